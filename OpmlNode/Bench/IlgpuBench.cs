using System.Diagnostics;
using System.Globalization;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Bench;

/// <summary>
/// int8 matvec MatMul node (int32 accumulate, requantise to int8) on the ILGPU accelerator vs <see cref="CpuBackend"/>, same
/// node, same bytes (checked equal). "Upload" times a full <see cref="IOpBackend.Execute"/> that ships W every call;
/// "resident" keeps W on the device (the weight cache), which is what a real GPU node would do.
/// </summary>
public sealed record IlgpuBenchResult(
    int Rows,
    int Cols,
    string Device,
    string CpuBackend,
    double CpuMs,
    double IlgpuUploadMs,
    double IlgpuResidentMs,
    IReadOnlyList<double> CpuRoundsMs,
    IReadOnlyList<double> IlgpuUploadRoundsMs,
    IReadOnlyList<double> IlgpuResidentRoundsMs)
{
    public double CpuGops => Gops(CpuMs);
    public double IlgpuResidentGops => Gops(IlgpuResidentMs);

    private double Gops(double ms) => ms > 0 ? 2.0 * Rows * Cols / (ms * 1e6) : double.NaN;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"matvec {Rows}x{Cols} int8: {CpuBackend} {CpuMs:F3} ms ({CpuGops:F2} GOPS); ILGPU {Device} resident W {IlgpuResidentMs:F3} ms ({IlgpuResidentGops:F2} GOPS), uploading W {IlgpuUploadMs:F3} ms (medians of {CpuRoundsMs.Count} rounds)");
}

public static class IlgpuBench
{
    public static IlgpuBenchResult Run(int rows = 4096, int cols = 4096, int rounds = 7, double secondsPerRound = 0.25, bool forceCpu = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var rnd = new Random(12345);
        var w = new byte[rows * cols];
        var x = new byte[cols];
        rnd.NextBytes(w);
        rnd.NextBytes(x);
        var d = new NodeDescriptor(new TensorSpec(ElemType.I8, 1, rows),
            [InputRef.Node(0, 0, new TensorSpec(ElemType.I8, 1, cols)), InputRef.Weight(0, new TensorSpec(ElemType.I8, rows, cols))],
            new MatMulParams(1 << 30, 40, QMin: -128, QMax: 127, N0: 0, HasBias: false, PerChannel: false));
        var inputs = new ReadOnlyMemory<byte>[] { x, w };
        var yCpu = new byte[rows];
        var yUp = new byte[rows];
        var yRes = new byte[rows];

        var cpu = CpuBackend.Instance;
        using var upload = new IlgpuBackend(forceCpu);
        using var resident = new IlgpuBackend(forceCpu, weightCacheBytes: (long)w.Length);

        void Cpu() => cpu.Execute(d, inputs, yCpu);
        void Upload() => upload.Execute(d, inputs, yUp);
        void Resident() => resident.Execute(d, inputs, yRes);

        // Warm-up: JIT tiers and ILGPU kernel compilation happen before timing; the weight upload is cached here.
        BenchStats.SecondsPerCall(Cpu, 0.3); BenchStats.SecondsPerCall(Upload, 0.3); BenchStats.SecondsPerCall(Resident, 0.3);
        if (!yCpu.AsSpan().SequenceEqual(yUp) || !yCpu.AsSpan().SequenceEqual(yRes))
            throw new InvalidOperationException("ILGPU matvec output differs from CpuBackend");

        var c = new List<double>(); var u = new List<double>(); var r = new List<double>();
        for (int k = 0; k < rounds; k++)
        {
            c.Add(1e3 * BenchStats.SecondsPerCall(Cpu, secondsPerRound));
            u.Add(1e3 * BenchStats.SecondsPerCall(Upload, secondsPerRound));
            r.Add(1e3 * BenchStats.SecondsPerCall(Resident, secondsPerRound));
        }
        return new IlgpuBenchResult(rows, cols, $"{resident.AcceleratorType}:{resident.DeviceName}", cpu.Name, BenchStats.Median(c), BenchStats.Median(u), BenchStats.Median(r), c, u, r);
    }


}
