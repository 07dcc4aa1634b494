using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Ops;
using OpmlNode.Merkle;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

/// <summary>One ILGPU accelerator for the whole test class (the preferred device: CUDA/OpenCL if present, else CPU).</summary>
public sealed class IlgpuFixture : IDisposable
{
    public IlgpuBackend Backend { get; } = new();

    public void Dispose() => Backend.Dispose();
}

/// <summary>
/// IlgpuBackend == ScalarBackend (== CpuBackend) by tensor root for every op of OPS §5: swept shapes, seeded random data with
/// extremes, per-channel requant, masks/causal, out-of-range indices and positions; plus the OPS worked examples.
/// </summary>
public class IlgpuBackendTests(IlgpuFixture fx, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<IlgpuFixture>
{
    private readonly IlgpuBackend _gpu = fx.Backend;

    public static TheoryData<int> SizeData() => [.. Sizes];

    private static readonly ElemType[] Types = [ElemType.I8, ElemType.I16, ElemType.I32];

    /// <summary>Oracle, CpuBackend and ILGPU on the decoded descriptor; asserts one tensor root; returns the ILGPU output.</summary>
    private QTensor Agree(NodeDescriptor d, params QTensor[] inputs)
    {
        var dd = NodeDescriptor.Decode(d.Encode());
        var expected = ScalarBackend.Instance.Run(dd, inputs);
        var root = MerkleMath.TensorRoot(expected.Data);
        QTensor got = null!;
        foreach (IOpBackend b in new IOpBackend[] { CpuBackend.Instance, _gpu })
        {
            got = b.Run(dd, inputs);
            if (MerkleMath.TensorRoot(got.Data) != root)
            {
                int first = Enumerable.Range(0, expected.Data.Length).First(i => expected.Data[i] != got.Data[i]);
                Assert.Fail($"{b.Name} differs from scalar for {dd}: first differing byte {first} ({got.Data[first]} vs {expected.Data[first]})");
            }
        }
        return got;
    }

    private static int AnyInt(Random r) => r.Next(5) switch { 0 => int.MinValue, 1 => int.MaxValue, _ => (int)r.NextInt64(int.MinValue, (long)int.MaxValue + 1) };

    private static (int qmin, int qmax) Clamp(Random r, ElemType t) => r.Next(3) switch
    {
        0 => (int.MinValue, int.MaxValue),
        1 => (0, (int)t.Max()), // ReLU
        _ => ((int)t.Min() / 2, (int)t.Max() / 3),
    };

    // ---- helpers ----

    [Fact]
    public void IsqrtMatchesOracle()
    {
        ulong[] edge = [0, 1, 2, 3, 4, 17, 81, 1UL << 46, (1UL << 46) - 1, (1UL << 46) + 1, ulong.MaxValue, ulong.MaxValue - 1, 1UL << 62, (1UL << 63) + 12345];
        foreach (ulong v in edge) Assert.Equal(QMath.Isqrt(v), IlgpuKernels.Isqrt(v));
        Assert.Equal(0xFFFFFFFFUL, IlgpuKernels.Isqrt(ulong.MaxValue));
        Assert.Equal(1UL << 23, IlgpuKernels.Isqrt(1UL << 46));
        var r = new Random(7);
        for (int i = 0; i < 20000; i++)
        {
            ulong v = (ulong)r.NextInt64() >> r.Next(64);
            Assert.Equal(QMath.Isqrt(v), IlgpuKernels.Isqrt(v));
            ulong s = (ulong)r.Next() & 0xFFFFFF; // around perfect squares
            Assert.Equal(QMath.Isqrt(s * s - 1), IlgpuKernels.Isqrt(s * s - 1));
            Assert.Equal(s, IlgpuKernels.Isqrt(s * s));
        }
    }

    /// <summary>The equivalence tests run on a GPU where the machine has one (CUDA, else OpenCL), and say so; without one
    /// they run on ILGPU's CPU accelerator and the GPU run is reported as skipped.</summary>
    [Fact]
    public void TheEquivalenceTestsRunOnTheMachinesGpuWhenThereIsOne()
    {
        using var context = ILGPU.Context.Create(b => b.Default());
        var gpus = context.Devices.Where(d => d.AcceleratorType != ILGPU.Runtime.AcceleratorType.CPU).ToList();
        if (gpus.Count == 0)
        {
            Assert.Equal(ILGPU.Runtime.AcceleratorType.CPU, _gpu.AcceleratorType);
            output.WriteLine("no CUDA or OpenCL device on this machine: the ILGPU equivalence tests ran on ILGPU's CPU accelerator; the GPU run is skipped");
            return;
        }
        Assert.NotEqual(ILGPU.Runtime.AcceleratorType.CPU, _gpu.AcceleratorType);
        output.WriteLine($"ILGPU equivalence tests ran on {_gpu.AcceleratorType} {_gpu.DeviceName} (devices: {string.Join(", ", gpus.Select(d => $"{d.AcceleratorType} {d.Name}"))})");
    }

    [Fact]
    public void ReportsDeviceAndDisposesCleanly()
    {
        Assert.StartsWith("ilgpu-", _gpu.Name);
        Assert.False(string.IsNullOrEmpty(_gpu.DeviceName));
        var cpu = new IlgpuBackend(forceCpu: true);
        Assert.Equal(ILGPU.Runtime.AcceleratorType.CPU, cpu.AcceleratorType);
        var x = QTensor.I8([2], 3, -4);
        var d = new NodeDescriptor(OpCode.Requant, S(ElemType.I8, 2), [N(0, x.Spec)], [1, 0, 0, 127]);
        Assert.Equal([3, 0], cpu.Run(d, x).ToInts());
        cpu.Dispose();
        cpu.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => cpu.Run(d, x));
    }

    [Fact]
    public void WeightCacheKeepsResultsExact()
    {
        // Budget fits one of the two weights: every call alternates hit/miss/evict paths.
        using var cached = new IlgpuBackend(forceCpu: true, weightCacheBytes: 3000);
        var r = new Random(21);
        var w1 = Rand(r, S(ElemType.I8, 40, 64)); var w2 = Rand(r, S(ElemType.I8, 40, 64));
        for (int i = 0; i < 6; i++)
        {
            var a = Rand(r, S(ElemType.I8, 2, 64));
            var w = i % 3 == 2 ? w2 : w1;
            var d = new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 2, 40), [N(0, a.Spec), W(0, w.Spec)], [1 << 30, 38, -128, 127, 0, 0]);
            Assert.Equal(ScalarBackend.Instance.Run(d, a, w).Root, cached.Run(d, a, w).Root);
        }
    }

    [Fact]
    public void ShortInputIsZeroPadded()
    {
        var a = QTensor.I8([1, 8], 1, 2, 3, 4, 5, 6, 7, 8);
        var w = QTensor.I8([2, 8], 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2);
        var d = new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 1, 2), [InputRef.TaskInput(a.Spec), W(0, w.Spec)], [0, 0, 0, 0, 0, 0]);
        var output = new byte[8];
        _gpu.Execute(d, new ReadOnlyMemory<byte>[] { new byte[] { 1, 2, 3 }, w.Data }, output);
        Assert.Equal([6, 12], new QTensor(d.Output, output).ToInts());
    }

    // ---- §5.1 MatMul ----

    public static TheoryData<int, int, int> MatMulShapes() => new()
    {
        { 1, 1, 1 }, { 2, 3, 7 }, { 3, 7, 2 }, { 7, 16, 33 }, { 16, 33, 16 }, { 1, 255, 255 }, { 33, 4, 3 },
        { 255, 12, 7 }, { 3, 4096, 7 }, { 2, 4095, 16 }, { 1, 4096, 4096 }, { 16, 256, 255 },
    };

    [Theory]
    [MemberData(nameof(MatMulShapes))]
    public void MatMulSweep(int m, int k, int n)
    {
        var r = new Random(m * 7919 + k * 31 + n);
        // The oracle dominates the big shape's time; two variants cover it (byte-word kernel, bias + per-channel).
        var variants = (long)m * k * n > 1 << 22
            ? new[] { (ElemType.I32, 0), (ElemType.I8, 3) }
            : new[] { (ElemType.I32, 0), (ElemType.I8, 0), (ElemType.I8, 3), (ElemType.I16, 1), (ElemType.I32, 1), (ElemType.I8, 2) };
        foreach (var (ot, flags) in variants)
        {
            int extra = n > 1000 ? 0 : r.Next(0, 3), nw = n + extra, n0 = r.Next(0, extra + 1);
            var a = Rand(r, S(ElemType.I8, m, k), 0.3);
            var w = Rand(r, S(ElemType.I8, nw, k), 0.3);
            var ins = new List<QTensor> { a, w };
            var refs = new List<InputRef> { N(0, a.Spec), W(0, w.Spec) };
            if ((flags & 1) != 0) { var b = Rand(r, S(ElemType.I32, nw), 0.3); ins.Add(b); refs.Add(W(1, b.Spec)); }
            if ((flags & 2) != 0)
            {
                var pc = QTensor.I32([nw, 2], [.. Enumerable.Range(0, nw).SelectMany(_ => new[] { AnyInt(r), r.Next(-5, 70) })]);
                ins.Add(pc); refs.Add(W(2, pc.Spec));
            }
            var (qmin, qmax) = ot == ElemType.I32 ? (0, 0) : Clamp(r, ot);
            int mul = ot == ElemType.I32 ? 0 : r.Next(2) == 0 ? r.Next(1 << 30, int.MaxValue) : AnyInt(r);
            int s = ot == ElemType.I32 ? 0 : r.Next(4) == 0 ? r.Next(0, 63) : r.Next(28, 44);
            // 3-D A / output exercise the 2-D view.
            var outSpec = m % 2 == 0 && m > 1 ? S(ot, 2, m / 2, n) : S(ot, m, n);
            if (outSpec.Rank == 3) { a = new QTensor(S(ElemType.I8, 2, m / 2, k), a.Data); ins[0] = a; refs[0] = N(0, a.Spec); }
            Agree(new NodeDescriptor(OpCode.MatMul, outSpec, refs, [mul, s, qmin, qmax, n0, flags]), [.. ins]);
        }
    }

    [Fact]
    public void MatMulExtremes()
    {
        // Largest accumulation (-128·-128 over K = 65536 = 2^30) plus a bias that wraps int32.
        const int k = 65536;
        var a = Const(S(ElemType.I8, 1, k), -128);
        var w = Const(S(ElemType.I8, 2, k), -128);
        var bias = QTensor.I32([2], int.MaxValue, -5);
        var o = Agree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 1, 2), [N(0, a.Spec), W(0, w.Spec), W(1, bias.Spec)], [0, 0, 0, 0, 0, 1]), a, w, bias);
        Assert.Equal([unchecked((1 << 30) + int.MaxValue), (1 << 30) - 5], o.ToInts());
        // Same with K odd (byte kernel) and requant at the extreme shifts.
        var a2 = Const(S(ElemType.I8, 1, k - 1), 127);
        var w2 = Const(S(ElemType.I8, 3, k - 1), -128);
        foreach (int s in new[] { 0, 1, 31, 61, 62 })
            Agree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I16, 1, 3), [N(0, a2.Spec), W(0, w2.Spec)], [int.MinValue, s, int.MinValue, int.MaxValue, 0, 0]), a2, w2);
    }

    // ---- §5.2–5.5 elementwise ----

    [Theory]
    [MemberData(nameof(SizeData))]
    public void ElementwiseSweep(int size)
    {
        var r = new Random(3000 + size);
        foreach (var ta in Types)
            foreach (var tb in Types)
                foreach (var to in Types)
                {
                    var dims = size % 2 == 1 || size == 2 ? new[] { size } : new[] { 2, size / 2 };
                    var a = Rand(r, S(ta, dims)); var b = Rand(r, S(tb, size));
                    int ma = r.Next(4) == 0 ? (r.Next(2) == 0 ? 1 << 30 : -(1 << 30)) : r.Next(-(1 << 30), (1 << 30) + 1);
                    int mb = r.Next(-(1 << 30), (1 << 30) + 1);
                    var (qmin, qmax) = Clamp(r, to);
                    Agree(new NodeDescriptor(OpCode.Add, S(to, size), [N(0, a.Spec), N(1, b.Spec)], [ma, r.Next(0, 63), qmin, qmax, mb]), a, b);
                    Agree(new NodeDescriptor(OpCode.Requant, S(to, dims), [N(0, a.Spec)], [AnyInt(r), r.Next(0, 63), qmin, qmax]), a);
                    if (ta != ElemType.I32 && tb != ElemType.I32)
                        Agree(new NodeDescriptor(OpCode.Mul, S(to, size), [N(0, a.Spec), N(1, b.Spec)], [AnyInt(r), r.Next(0, 63), qmin, qmax]), a, b);
                    if (ta == ElemType.I8)
                    {
                        var table = Rand(r, S(to, 256));
                        Agree(new NodeDescriptor(OpCode.Lut, S(to, size), [N(0, a.Spec), W(0, table.Spec)]), a, table);
                    }
                }
    }

    [Fact]
    public void ElementwiseLarge()
    {
        var r = new Random(31);
        const int size = 1 << 18;
        var a = Rand(r, S(ElemType.I16, 64, size / 64)); var b = Rand(r, S(ElemType.I8, size));
        Agree(new NodeDescriptor(OpCode.Add, S(ElemType.I8, size), [N(0, a.Spec), N(1, b.Spec)], [1 << 20, 22, -128, 127, -(1 << 28)]), a, b);
        Agree(new NodeDescriptor(OpCode.Mul, S(ElemType.I16, size), [N(0, a.Spec), N(1, b.Spec)], [1 << 30, 38, -32768, 32767]), a, b);
        Agree(new NodeDescriptor(OpCode.Requant, S(ElemType.I32, size), [N(0, a.Spec)], [-1, 0, int.MinValue, int.MaxValue]), a);
        var table = Rand(r, S(ElemType.I32, 256));
        Agree(new NodeDescriptor(OpCode.Lut, S(ElemType.I32, size), [N(0, b.Spec), W(0, table.Spec)]), b, table);
    }

    // ---- §5.6 Norm ----

    [Theory]
    [MemberData(nameof(SizeData))]
    public void NormSweep(int dim)
    {
        var r = new Random(4000 + dim);
        foreach (int rows in new[] { 1, 3, 16 })
            foreach (int mode in new[] { 0, 1 })
                foreach (int flags in new[] { 0, 1 })
                    foreach (var ot in new[] { ElemType.I8, ElemType.I16 })
                        AgreeRandomNorm(r, Rand(r, S(ElemType.I8, rows, dim), 0.3), mode, flags, ot);
        // Constant rows: variance 0 (LayerNorm) and the largest |x|.
        var c = Const(S(ElemType.I8, 2, dim), -128);
        var g1 = Const(S(ElemType.I16, dim), short.MaxValue);
        foreach (int mode in new[] { 0, 1 })
            Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 2, dim), [N(0, c.Spec), W(0, g1.Spec)], [mode, 10, int.MinValue, int.MaxValue, 1, 0]), c, g1);
    }

    // One Norm over x (I8 or I16 [rows, dim]) with gamma, an optional beta, clamp, eps and shift drawn from r.
    private void AgreeRandomNorm(Random r, QTensor x, int mode, int flags, ElemType ot)
    {
        int rows = x.Spec.Dims[0], dim = x.Spec.Dims[1];
        var g = Rand(r, S(ElemType.I16, dim), 0.1);
        var ins = new List<QTensor> { x, g };
        var refs = new List<InputRef> { N(0, x.Spec), W(0, g.Spec) };
        if (flags == 1) { var b = Rand(r, S(ElemType.I32, dim), 0.2); ins.Add(b); refs.Add(W(1, b.Spec)); }
        var (qmin, qmax) = Clamp(r, ot);
        int eps = r.Next(3) switch { 0 => 1, 1 => int.MaxValue, _ => r.Next(1, 1 << 20) };
        Agree(new NodeDescriptor(OpCode.Norm, S(ot, rows, dim), refs, [mode, r.Next(0, 40), qmin, qmax, eps, flags]), [.. ins]);
    }

    [Fact]
    public void NormMaxDim()
    {
        var r = new Random(5);
        var x = Rand(r, S(ElemType.I8, 2, 65536), 0.9);
        var g = Rand(r, S(ElemType.I16, 65536));
        foreach (int mode in new[] { 0, 1 })
            Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 2, 65536), [N(0, x.Spec), W(0, g.Spec)], [mode, 22, -128, 127, mode == 0 ? 1 : int.MaxValue, 0]), x, g);
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void NormSweepI16(int dim)
    {
        var r = new Random(4600 + dim);
        foreach (int rows in new[] { 1, 3, 16 })
            foreach (int mode in new[] { 0, 1 })
                foreach (int flags in new[] { 0, 1 })
                    foreach (var ot in new[] { ElemType.I8, ElemType.I16 })
                    {
                        int mag = r.Next(3) switch { 0 => 127, 1 => 3000, _ => short.MaxValue };
                        AgreeRandomNorm(r, Rand(r, S(ElemType.I16, rows, dim), 0.3, -mag - 1, mag), mode, flags, ot);
                    }
        var g1 = Const(S(ElemType.I16, dim), short.MaxValue);
        foreach (var x in BackendEquivalenceTests.NormExtremes(dim))
            foreach (int mode in new[] { 0, 1 })
                Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, dim), [N(0, x.Spec), W(0, g1.Spec)], [mode, 10, int.MinValue, int.MaxValue, 1, 0]), x, g1);
    }

    [Fact]
    public void NormMaxDimI16()
    {
        var r = new Random(6);
        var x = Rand(r, S(ElemType.I16, 2, 65536), 0.9);
        var g = Rand(r, S(ElemType.I16, 65536));
        foreach (int mode in new[] { 0, 1 })
            Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 2, 65536), [N(0, x.Spec), W(0, g.Spec)], [mode, 22, -128, 127, mode == 0 ? 1 : int.MaxValue, 0]), x, g);
        foreach (var e in BackendEquivalenceTests.NormExtremes(65536))
            foreach (int mode in new[] { 0, 1 })
                Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, 65536), [N(0, e.Spec), W(0, g.Spec)], [mode, 14, int.MinValue, int.MaxValue, 1, 0]), e, g);
    }

    // ---- §5.7 Softmax, §5.11 Argmax, §5.8 Rope ----

    [Theory]
    [MemberData(nameof(SizeData))]
    public void SoftmaxArgmaxSweep(int c)
    {
        var r = new Random(5000 + c);
        foreach (int rows in new[] { 1, 3, 33 })
            foreach (var t in Types)
            {
                var x = Rand(r, S(t, rows, c), 0.3);
                // Realistic table, and one with out-of-range entries (clamped to [0, 2^15]).
                var lut = r.Next(2) == 0 ? ExpLut(r.Next(1, 40)) : Rand(r, S(ElemType.I32, 256), 0.3, -70000, 70000);
                int mul = r.Next(3) switch { 0 => 1, 1 => AnyInt(r), _ => r.Next(1 << 20, 1 << 30) };
                Agree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, rows, c), [N(0, x.Spec), W(0, lut.Spec)], [mul, r.Next(0, 63)]), x, lut);
                Agree(new NodeDescriptor(OpCode.Argmax, S(ElemType.I32, rows), [N(0, x.Spec)]), x);
                // Many ties: argmax must pick the lowest index.
                var ties = Rand(r, S(t, rows, c), 0, -2, 1);
                Agree(new NodeDescriptor(OpCode.Argmax, S(ElemType.I32, 1, rows), [N(0, ties.Spec)]), ties);
            }
    }

    [Fact]
    public void SoftmaxMaxRow()
    {
        var r = new Random(9);
        // All-equal row of the maximal length: Z = 65536 · 2^15 = 2^31 (the uint32 edge).
        var x = Const(S(ElemType.I8, 1, 65536), 5);
        var lut = ExpLut(4);
        Agree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 1, 65536), [N(0, x.Spec), W(0, lut.Spec)], [1, 0]), x, lut);
        var x2 = Rand(r, S(ElemType.I32, 2, 65536), 0.1);
        Agree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 2, 65536), [N(0, x2.Spec), W(0, lut.Spec)], [1 << 30, 52]), x2, lut);
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void RopeSweep(int rows)
    {
        var r = new Random(6000 + rows);
        foreach (int hd in new[] { 2, 4, 16, 64 })
            foreach (int heads in new[] { 1, 3 })
            {
                int c = hd * heads, p = r.Next(1, 40);
                var x = Rand(r, S(ElemType.I8, rows, c), 0.3);
                var cs = Rand(r, S(ElemType.I16, p, hd / 2, 2), 0.3);
                foreach (int pos in new[] { 0, -1, -rows, p - 1, p, r.Next(-5, p + 5), int.MaxValue, int.MinValue })
                    Agree(new NodeDescriptor(OpCode.Rope, S(ElemType.I8, rows, c), [N(0, x.Spec), W(0, cs.Spec), N(1, S(ElemType.I32, 2))], [hd]), x, cs, QTensor.I32([2], pos, 0));
            }
    }

    // ---- §5.9 Attention ----

    public static TheoryData<int, int, int, int, int> AttentionShapes() => new()
    {
        // h, hkv, hd, lk, lq
        { 1, 1, 1, 1, 1 }, { 1, 1, 2, 3, 1 }, { 4, 4, 2, 7, 1 }, { 8, 2, 64, 33, 1 }, { 8, 8, 16, 255, 1 },
        { 2, 1, 128, 4096, 1 }, { 4, 4, 8, 16, 16 }, { 2, 2, 33, 3, 3 }, { 3, 1, 7, 33, 7 }, { 2, 2, 16, 255, 33 },
    };

    [Theory]
    [MemberData(nameof(AttentionShapes))]
    public void AttentionSweep(int h, int hkv, int hd, int lk, int lq)
    {
        var r = new Random(h * 1000 + hkv * 100 + hd * 10 + lk + lq);
        var q = Rand(r, S(ElemType.I8, lq, h * hd), 0.2);
        var k = Rand(r, S(ElemType.I8, lk, hkv * hd), 0.2);
        var v = Rand(r, S(ElemType.I8, lk, hkv * hd), 0.2);
        for (int flags = 0; flags < 8; flags++)
        {
            var lut = r.Next(3) == 0 ? Rand(r, S(ElemType.I32, 256), 0.2, -1000, 40000) : ExpLut(r.Next(2, 16));
            var mt = Types[r.Next(3)];
            var mask = Rand(r, S(mt, lk), 0.2, -3, 3);
            var ins = new List<QTensor> { q, k, v, lut };
            var refs = new List<InputRef> { N(0, q.Spec), N(1, k.Spec), N(2, v.Spec), W(0, lut.Spec) };
            if ((flags & 1) != 0)
            {
                int p0 = r.Next(4) == 0 ? r.Next(-lq - 2, 0) : r.Next(0, lk);
                var pos = QTensor.I32([2], p0, p0 + 1); ins.Add(pos); refs.Add(N(3, pos.Spec));
            }
            if ((flags & 2) != 0) { ins.Add(mask); refs.Add(N(4, mask.Spec)); }
            int ms = r.Next(3) == 0 ? AnyInt(r) : r.Next(1, 1 << 30);
            Agree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, lq, h * hd), refs,
                [r.Next(1 << 20, 1 << 30), r.Next(25, 50), r.Next(2) == 0 ? -128 : 0, 127, h, hkv, ms, r.Next(15, 45), flags, (flags & 2) != 0 ? r.Next(-3, 3) : 0]), [.. ins]);
        }
    }

    [Fact]
    public void AttentionPositionNearInt32Max()
    {
        // qpos = pos[0] + i is not stated as wrap32 in OPS §5.9; the oracle evaluates it in int64 (no wrap), so with
        // causal masking every key stays allowed for rows past int32.MaxValue. Pin the backend to the oracle here.
        var r = new Random(17);
        var q = Rand(r, S(ElemType.I8, 4, 8)); var k = Rand(r, S(ElemType.I8, 5, 4)); var v = Rand(r, S(ElemType.I8, 5, 4));
        var lut = ExpLut(6);
        foreach (int p0 in new[] { int.MaxValue - 1, int.MinValue, -2 })
            Agree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, 4, 8), [N(0, q.Spec), N(1, k.Spec), N(2, v.Spec), W(0, lut.Spec), N(3, S(ElemType.I32, 2))],
                [1 << 30, 45, -128, 127, 2, 1, 1 << 28, 30, AttentionParams.PositionFlag | AttentionParams.CausalFlag, 0]), q, k, v, lut, QTensor.I32([2], p0, 0));
    }

    // ---- §5.10 Gather, §5.12 Concat, §5.13 ScatterRow ----

    [Theory]
    [MemberData(nameof(SizeData))]
    public void DataMovementSweep(int c)
    {
        var r = new Random(7000 + c);
        foreach (var t in Types)
        {
            int vr = r.Next(1, 9);
            var table = Rand(r, S(t, vr, c));
            var idx = QTensor.I32([6], r.Next(-2, vr + 2), r.Next(0, vr), vr - 1, int.MinValue, int.MaxValue, vr);
            foreach (int first in new[] { 0, 1, 5 })
                Agree(new NodeDescriptor(OpCode.Gather, S(t, 6 - first, c), [W(0, table.Spec), N(0, idx.Spec)], [first]), table, idx);

            for (int nIn = 1; nIn <= 8; nIn++)
            {
                var parts = Enumerable.Range(0, nIn).Select(_ => Rand(r, S(t, 3, r.Next(1, 4) * (r.Next(2) == 0 ? 1 : c)))).ToArray();
                int cols = parts.Sum(p => p.Spec.Cols);
                Agree(new NodeDescriptor(OpCode.Concat, S(t, 3, cols), [.. parts.Select((p, i) => N((uint)i, p.Spec))]), parts);
            }

            var buf = Rand(r, S(t, vr, c));
            var row = Rand(r, S(t, c));
            foreach (int p in new[] { -1, 0, vr - 1, vr, int.MaxValue })
                foreach (int off in new[] { 0, 1, int.MinValue + 1 })
                    Agree(new NodeDescriptor(OpCode.ScatterRow, buf.Spec, [N(9, buf.Spec, 1), N(0, row.Spec), N(1, S(ElemType.I32, 2))], [off]), buf, row, QTensor.I32([2], p, 0));
        }
    }

    [Fact]
    public void GatherEmbeddingRows()
    {
        var r = new Random(11);
        var emb = Rand(r, S(ElemType.I8, 1000, 4096));
        var ids = QTensor.I32([7], [.. Enumerable.Range(0, 7).Select(_ => r.Next(-10, 1010))]);
        Agree(new NodeDescriptor(OpCode.Gather, S(ElemType.I8, 7, 4096), [W(0, emb.Spec), N(0, ids.Spec)], [0]), emb, ids);
    }

    // ---- §5.14 Position, §5.15 TokenSelect ----

    [Fact]
    public void PositionAndTokenSelect()
    {
        var posD = new NodeDescriptor(OpCode.Position, S(ElemType.I32, 2), [N(0, S(ElemType.I32, 2), 1)]);
        var p = QTensor.Zeros(S(ElemType.I32, 2));
        for (int pass = 0; pass < 4; pass++)
        {
            p = Agree(posD, p);
            Assert.Equal([pass, pass + 1], p.ToInts());
        }
        Assert.Equal([int.MaxValue, int.MinValue], Agree(posD, QTensor.I32([2], 0, int.MaxValue)).ToInts());

        var pred = QTensor.I32([1], 99);
        foreach (int lmax in new[] { 1, 4, 16 })
            foreach (int n in new[] { int.MinValue, -1, 0, 2, lmax, lmax + 3, int.MaxValue })
            {
                var prompt = QTensor.I32([1 + lmax], [n, .. Enumerable.Range(0, lmax).Select(i => 1000 + i)]);
                var ts = new NodeDescriptor(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(prompt.Spec), N(0, S(ElemType.I32, 2)), N(9, pred.Spec, 1)]);
                foreach (int pos in new[] { int.MinValue, -1, 0, 1, lmax - 1, lmax, int.MaxValue })
                {
                    int expected = pos >= 0 && pos < Math.Min(n, lmax) ? 1000 + pos : 99;
                    Assert.Equal([expected], Agree(ts, prompt, QTensor.I32([2], pos, 0), pred).ToInts());
                }
            }
    }
}
