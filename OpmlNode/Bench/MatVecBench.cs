using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Bench;

/// <summary>int8 matrix-vector (CpuBackend MatMul node, int32 accumulate + requantise to int8) vs float32 TensorPrimitives.Dot per row, same shape, same run.</summary>
public sealed record MatVecBenchResult(
    int Rows,
    int Cols,
    string Int8Backend,
    double Int8Gops,
    double Float32Gops,
    IReadOnlyList<double> Int8RoundsGops,
    IReadOnlyList<double> Float32RoundsGops)
{
    /// <summary>Median int8 GOPS / median float32 GOPS (target ≥ 2).</summary>
    public double Ratio => Float32Gops > 0 ? Int8Gops / Float32Gops : double.NaN;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"matvec {Rows}x{Cols} single-thread: int8 ({Int8Backend}) {Int8Gops:F2} GOPS, float32 TensorPrimitives.Dot {Float32Gops:F2} GOPS, ratio {Ratio:F2}x (medians of {Int8RoundsGops.Count} rounds; 1 MAC = 2 ops)");
}

public static class MatVecBench
{
    public static MatVecBenchResult Run(int rows = 4096, int cols = 4096, int rounds = 7, double secondsPerRound = 0.25, SimdLevel level = SimdLevel.Avx512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var rnd = new Random(12345);
        var w8 = new byte[rows * cols];
        var x8 = new byte[cols];
        rnd.NextBytes(w8);
        rnd.NextBytes(x8);
        var wf = new float[rows * cols];
        var xf = new float[cols];
        for (int i = 0; i < wf.Length; i++) wf[i] = (sbyte)w8[i] / 64f;
        for (int i = 0; i < xf.Length; i++) xf[i] = (sbyte)x8[i] / 64f;
        var yf = new float[rows];

        var backend = new CpuBackend(level, maxThreads: 1); // single-thread, like the float32 baseline
        var d = new NodeDescriptor(new TensorSpec(ElemType.I8, 1, rows),
            [InputRef.Node(0, 0, new TensorSpec(ElemType.I8, 1, cols)), InputRef.Weight(0, new TensorSpec(ElemType.I8, rows, cols))],
            new MatMulParams(1 << 30, 40, QMin: -128, QMax: 127, N0: 0, HasBias: false, PerChannel: false));
        var inputs = new ReadOnlyMemory<byte>[] { x8, w8 };
        var y8 = new byte[rows];

        void Int8() => backend.Execute(d, inputs, y8);
        void Float32()
        {
            for (int r = 0; r < rows; r++) yf[r] = TensorPrimitives.Dot(wf.AsSpan(r * cols, cols), xf);
        }

        // Warm-up: tiered JIT reaches optimised code for both sides before timing.
        BenchStats.SecondsPerCall(Int8, 0.5); BenchStats.SecondsPerCall(Float32, 0.5);
        double ops = 2.0 * rows * cols;
        var i8 = new List<double>(); var f32 = new List<double>();
        for (int k = 0; k < rounds; k++)
        {
            i8.Add(ops / BenchStats.SecondsPerCall(Int8, secondsPerRound) / 1e9);
            f32.Add(ops / BenchStats.SecondsPerCall(Float32, secondsPerRound) / 1e9);
        }
        return new MatVecBenchResult(rows, cols, backend.Name, BenchStats.Median(i8), BenchStats.Median(f32), i8, f32);
    }


}
