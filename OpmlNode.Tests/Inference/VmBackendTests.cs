using System.Buffers.Binary;
using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Merkle;
using OpmlNode.Tests.Support;
using OpmlNode.Vm;
using Xunit.Abstractions;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

/// <summary>
/// The opml-ops guest (guest/ops, guest/bin/opml-ops.elf) on the VM: worked examples of docs/OPS.md, seeded random
/// comparisons with <see cref="ScalarBackend"/> by tensor root, descriptor validation exit codes, start-state roots.
/// </summary>
public class VmBackendTests(ITestOutputHelper log)
{
    private static readonly Lazy<VmBackend> LazyVm = new(() => VmBackend.FromFile(Repo.Guest("opml-ops"), 2_000_000_000));
    internal static VmBackend Vm => LazyVm.Value;

    /// <summary>Runs the node on the VM and on ScalarBackend; asserts equal tensor roots; returns the VM output and steps.</summary>
    private static (QTensor Out, ulong Steps) Agree(NodeDescriptor d, params QTensor[] inputs)
    {
        var dd = NodeDescriptor.Decode(d.Encode());
        var expected = ScalarBackend.Instance.Run(dd, inputs);
        var run = Vm.RunNode(dd, inputs);
        if (MerkleMath.TensorRoot(run.Output) != MerkleMath.TensorRoot(expected.Data))
        {
            int first = Enumerable.Range(0, expected.Data.Length).First(i => expected.Data[i] != run.Output[i]);
            Assert.Fail($"VM differs from scalar for {dd}: first differing byte {first} (vm {run.Output[first]}, scalar {expected.Data[first]})");
        }
        return (new QTensor(dd.Output, run.Output), run.Steps);
    }

    private static int[] VmInts(NodeDescriptor d, params QTensor[] inputs) => Agree(d, inputs).Out.ToInts();

    // ---------------------------------------------------------------- program root and start state

    private static readonly string RootFile = Repo.Path("guest", "bin", "opml-ops.root");

    [Fact]
    public void ProgramRootMatchesTheCheckedInRootFile()
    {
        var root = NodeStartState.ProgramRoot(File.ReadAllBytes(Repo.Guest("opml-ops")));
        Assert.Equal(root, Vm.ProgramRoot());
        if (Environment.GetEnvironmentVariable("OPML_UPDATE_GUEST_ROOT") == "1") File.WriteAllText(RootFile, root + "\n");
        Assert.True(File.Exists(RootFile), $"missing {RootFile}; run with OPML_UPDATE_GUEST_ROOT=1 to write {root}");
        Assert.Equal(root, Hash256.FromHex(File.ReadAllText(RootFile).Trim()));
    }

    [Fact]
    public void StartStateRootFromRootsEqualsTheLoadedMemoryRoot()
    {
        var r = new Random(11);
        var cases = new List<(NodeDescriptor, QTensor[])>();
        var pos = QTensor.I32([2], 0, 1);
        cases.Add((new NodeDescriptor(OpCode.Position, S(ElemType.I32, 2), [N(0, pos.Spec, 1)]), [pos]));
        var a = Rand(r, S(ElemType.I8, 3, 300)); var w = Rand(r, S(ElemType.I8, 70, 300)); var b = Rand(r, S(ElemType.I32, 70));
        cases.Add((new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 3, 70), [N(0, a.Spec), W(0, w.Spec), W(1, b.Spec)], [1 << 30, 40, -128, 127, 0, 1]), [a, w, b]));
        var parts = Enumerable.Range(0, 8).Select(i => Rand(r, S(ElemType.I16, 2, 1 + 37 * i))).ToArray();
        cases.Add((new NodeDescriptor(OpCode.Concat, S(ElemType.I16, 2, parts.Sum(p => p.Spec.Cols)), [.. parts.Select((p, i) => N((uint)i, p.Spec))]), parts));
        var prog = Vm.ProgramRoot();
        foreach (var (d, ins) in cases)
        {
            var mem = new PagedMemory();
            Vm.LoadStartMemory(mem, d.Encode(), ins.Select(t => (ReadOnlyMemory<byte>)t.Data).ToArray());
            var expected = NodeStartState.MemoryRoot(prog, d, ins.Select(t => t.Root).ToArray());
            Assert.Equal(mem.Root(), expected);
            Assert.Equal(mem.RegionRoot(0), prog);
            Assert.Equal(mem.RegionRoot(1), MerkleMath.TensorRoot(d.Encode()));
            Assert.Equal(mem.RegionRoot(10), ZeroHashes.At(23));
        }
    }

    /// <summary>
    /// Small nodes stepped one instruction at a time against the reference stepper (every post-state hash equal), from a
    /// start state whose memory root is the one computed from roots alone: what a fraud proof replays.
    /// </summary>
    [Fact]
    public void SmallNodesAgreeStepByStepWithTheReferenceStepper()
    {
        var q = QTensor.I8([1, 2], 2, 0); var k = QTensor.I8([2, 2], 3, 0, 1, 0); var v = QTensor.I8([2, 2], 10, -10, 20, 40);
        var lut = new int[256]; lut[0] = 32768; lut[4] = 12055;
        var e = QTensor.I32([256], lut);
        var x = QTensor.I8([4], 2, 4, 6, 8); var g = QTensor.I16([4], 1, 1, 1, 1); var beta = QTensor.I32([4], 0, 0, 0, 256);
        var a = QTensor.I8([3, 5], 1, -2, 3, 4, 5, -128, 127, 0, 1, 2, 3, 4, 5, 6, 7); var w = QTensor.I8([5, 5], [.. Enumerable.Range(-12, 25)]);
        var cases = new (NodeDescriptor D, QTensor[] In)[]
        {
            (new(OpCode.Attention, S(ElemType.I8, 1, 2), [N(0, q.Spec), N(1, k.Spec), N(2, v.Spec), W(0, e.Spec)], [1, 15, -128, 127, 1, 1, 1, 0, 0, 0]), [q, k, v, e]),
            (new(OpCode.Norm, S(ElemType.I8, 4), [N(0, x.Spec), W(0, g.Spec), W(1, beta.Spec)], [1, 8, -128, 127, 1, 1]), [x, g, beta]),
            (new(OpCode.MatMul, S(ElemType.I8, 3, 5), [N(0, a.Spec), W(0, w.Spec)], [1 << 30, 33, -128, 127, 0, 0]), [a, w]),
        };
        foreach (var (d, ins) in cases)
        {
            var mem = new PagedMemory();
            uint entry = Vm.LoadStartMemory(mem, d.Encode(), ins.Select(t => (ReadOnlyMemory<byte>)t.Data).ToArray());
            var m = new Machine(mem, entry);
            Assert.Equal(NodeStartState.MemoryRoot(Vm.ProgramRoot(), d, ins.Select(t => t.Root).ToArray()), m.State().MemRoot);
            OpmlNode.Tests.Vm.VmHarness.RunChecked(m, 200_000);
            Assert.Equal(ExitKind.Exited, m.Exited);
            Assert.Equal(0, m.ExitCode);
            var output = new byte[d.Output.ByteLength];
            mem.Read(VmBackend.OutputAddress, output);
            Assert.Equal(ScalarBackend.Instance.Run(d, ins).Data, output);
            log.WriteLine($"{d.Op}: {m.Step} steps checked");
        }
    }

    // ---------------------------------------------------------------- worked examples (OPS §1.3, §5), expected by hand

    [Fact]
    public void RoundShiftAndRequantExamples()
    {
        QTensor x(params int[] v) => QTensor.I32([v.Length], v);
        NodeDescriptor rq(int n, ElemType to, int m, int s) => new(OpCode.Requant, S(to, n), [N(0, S(ElemType.I32, n))], [m, s, int.MinValue, int.MaxValue]);
        Assert.Equal([3, -2], VmInts(rq(2, ElemType.I32, 1, 1), x(5, -5)));
        Assert.Equal([-1, 2], VmInts(rq(2, ElemType.I32, 1, 2), x(-6, 7)));
        Assert.Equal([47, -47, 4688], VmInts(rq(3, ElemType.I32, 1610612736, 35), x(1000, -1000, 100000)));
        Assert.Equal([47, -47, 127], VmInts(rq(3, ElemType.I8, 1610612736, 35), x(1000, -1000, 100000)));
        Assert.Equal([11, 12], VmInts(rq(2, ElemType.I32, 1 << 30, 31), x(22, 23)));
        // ReLU on int8 is Requant(M = 1, s = 0, qmin = 0, qmax = 127).
        Assert.Equal([0, 0, 5, 127], VmInts(new NodeDescriptor(OpCode.Requant, S(ElemType.I8, 4), [N(0, S(ElemType.I8, 4))], [1, 0, 0, 127]), QTensor.I8([4], -128, 0, 5, 127)));
        // Extremes: |acc·M| = 2^62 plus the largest rounding term.
        Assert.Equal([1, -1], VmInts(new NodeDescriptor(OpCode.Requant, S(ElemType.I32, 2), [N(0, S(ElemType.I32, 2))], [int.MinValue, 62, int.MinValue, int.MaxValue]), x(int.MinValue, int.MaxValue)));
    }

    [Fact]
    public void ShortTaskInputIsZeroPadded()
    {
        var prompt = QTensor.I32([5], 4, 11, 12, 0, 0);
        var ts = new NodeDescriptor(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(prompt.Spec), N(0, S(ElemType.I32, 2)), N(1, S(ElemType.I32, 1), 1)]);
        var output = new byte[4];
        Vm.Execute(ts, new ReadOnlyMemory<byte>[] { prompt.Data.AsMemory(0, 12), QTensor.I32([2], 3, 4).Data, QTensor.I32([1], 99).Data }, output);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(output)); // prompt[1 + 3] reads the zero padding
    }

    // ---------------------------------------------------------------- seeded random comparisons with ScalarBackend

    public static TheoryData<int> SmallSizes() => [1, 2, 3, 7, 16, 33, 255];

    [Theory]
    [MemberData(nameof(SmallSizes))]
    public void MatMulRandomK(int k)
    {
        var r = new Random(100 + k);
        foreach (int m in new[] { 1, 2, 3 })
            foreach (int n in new[] { 1, 3, 4, 5, 9 })
                foreach (var (ot, flags) in new[] { (ElemType.I8, 0), (ElemType.I8, 1), (ElemType.I16, 3), (ElemType.I32, 1), (ElemType.I8, 2), (ElemType.I32, 0) })
                {
                    int nw = n + 2, n0 = r.Next(0, 3);
                    var a = Rand(r, S(ElemType.I8, m, k));
                    var w = Rand(r, S(ElemType.I8, nw, k));
                    var ins = new List<QTensor> { a, w };
                    var refs = new List<InputRef> { N(0, a.Spec), W(0, w.Spec) };
                    if ((flags & 1) != 0) { var b = Rand(r, S(ElemType.I32, nw), 0.3); ins.Add(b); refs.Add(W(1, b.Spec)); }
                    if ((flags & 2) != 0)
                    {
                        var pc = QTensor.I32([nw, 2], [.. Enumerable.Range(0, nw).SelectMany(_ => new[] { r.Next(int.MinValue, int.MaxValue), r.Next(-5, 70) })]);
                        ins.Add(pc); refs.Add(W(2, pc.Spec));
                    }
                    int qmin = r.Next(-200, 50), qmax = r.Next(Math.Max(qmin, -100), 300);
                    Agree(new NodeDescriptor(OpCode.MatMul, S(ot, m, n), refs, ot == ElemType.I32 ? [0, 0, 0, 0, n0, flags] : [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63), qmin, qmax, n0, flags]), [.. ins]);
                }
    }

    [Theory]
    [InlineData(1, 4096, 64)]
    [InlineData(5, 257, 33)]
    [InlineData(16, 64, 255)]
    [InlineData(2, 16, 7)]
    public void MatMulRandomLarger(int m, int k, int n)
    {
        var r = new Random(m * 1000 + k + n);
        var a = Rand(r, S(ElemType.I8, m, k)); var w = Rand(r, S(ElemType.I8, n + 1, k)); var b = Rand(r, S(ElemType.I32, n + 1), 0.1, -100000, 100000);
        Agree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, m, n), [N(0, a.Spec), W(0, w.Spec), W(1, b.Spec)], [1 << 30, 42, -128, 127, 1, 1]), a, w, b);
        // rank-3 A / output with the same leading dims
        if (m % 2 == 0)
            Agree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 2, m / 2, n), [N(0, S(ElemType.I8, 2, m / 2, k)), W(0, w.Spec)], [0, 0, 0, 0, 0, 0]),
                new QTensor(S(ElemType.I8, 2, m / 2, k), a.Data), w);
    }

    [Fact]
    public void MatMulExtremes()
    {
        // All -128·-128 over K = 4096 and a bias at int32.MaxValue that wraps; all 127·-128.
        int k = 4096;
        var a = Const(S(ElemType.I8, 3, k), -128);
        var w = Const(S(ElemType.I8, 5, k), -128);
        var bias = QTensor.I32([5], int.MaxValue, -5, int.MinValue, 0, 1);
        var o = VmInts(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 3, 5), [N(0, a.Spec), W(0, w.Spec), W(1, bias.Spec)], [0, 0, 0, 0, 0, 1]), a, w, bias);
        Assert.Equal(unchecked((1 << 26) + int.MaxValue), o[0]);
        var w2 = Const(S(ElemType.I8, 5, k), 127);
        Agree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I16, 3, 5), [N(0, a.Spec), W(0, w2.Spec)], [int.MaxValue, 10, int.MinValue, int.MaxValue, 0, 0]), a, w2);
    }

    public static TheoryData<int> ElementwiseSizes() => [1, 2, 3, 7, 16, 33, 255];

    [Theory]
    [MemberData(nameof(ElementwiseSizes))]
    public void ElementwiseRandom(int size)
    {
        var r = new Random(300 + size);
        var types = new[] { ElemType.I8, ElemType.I16, ElemType.I32 };
        foreach (var ta in types)
            foreach (var tb in types)
                foreach (var to in types)
                {
                    var a = Rand(r, S(ta, size)); var b = Rand(r, S(tb, 1, size));
                    int ma = r.Next(-(1 << 30), (1 << 30) + 1), mb = r.Next(-(1 << 30), (1 << 30) + 1);
                    if (r.Next(4) == 0) (ma, mb) = (1 << 30, -(1 << 30));
                    Agree(new NodeDescriptor(OpCode.Add, S(to, size), [N(0, a.Spec), N(1, b.Spec)], [ma, r.Next(0, 63), int.MinValue, int.MaxValue, mb]), a, b);
                    if (tb == ElemType.I8)
                        Agree(new NodeDescriptor(OpCode.Requant, S(to, size, 1), [N(0, a.Spec)], [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63), -1000, 1000]), a);
                    if (ta != ElemType.I32 && tb != ElemType.I32)
                        Agree(new NodeDescriptor(OpCode.Mul, S(to, size), [N(0, a.Spec), N(1, b.Spec)], [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63), -5000, 70]), a, b);
                    if (ta == ElemType.I8 && tb == ElemType.I8)
                    {
                        var table = Rand(r, S(to, 256));
                        Agree(new NodeDescriptor(OpCode.Lut, S(to, size), [N(0, a.Spec), W(0, table.Spec)]), a, table);
                    }
                }
    }

    /// <summary>Row lengths of the random Norm sweeps: 1, odd, a vector width, past it, and long.</summary>
    public static TheoryData<int> NormDims => new() { 1, 3, 16, 33, 255, 4096 };

    [Theory]
    [MemberData(nameof(NormDims))]
    public void NormRandom(int dim)
    {
        var r = new Random(400 + dim);
        foreach (int mode in new[] { 0, 1 })
            foreach (var (ot, flags) in new[] { (ElemType.I8, 0), (ElemType.I16, 1) })
                AgreeRandomNorm(r, Rand(r, S(ElemType.I8, 2, dim)), mode, flags, ot);
        // constant rows (variance 0), extremes, big eps
        var c = Const(S(ElemType.I8, 1, dim), -128); var g1 = Const(S(ElemType.I16, dim), 32767);
        foreach (int mode in new[] { 0, 1 })
            Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, dim), [N(0, c.Spec), W(0, g1.Spec)], [mode, 20, -128, 127, int.MaxValue, 0]), c, g1);
    }

    // One Norm over x (I8 or I16 [2, dim]) with gamma, an optional beta, shift and eps drawn from r.
    private static void AgreeRandomNorm(Random r, QTensor x, int mode, int flags, ElemType ot)
    {
        int dim = x.Spec.Dims[1];
        var g = Rand(r, S(ElemType.I16, dim));
        var ins = new List<QTensor> { x, g };
        var refs = new List<InputRef> { N(0, x.Spec), W(0, g.Spec) };
        if (flags == 1) { var beta = Rand(r, S(ElemType.I32, dim), 0.1, -(1 << 24), 1 << 24); ins.Add(beta); refs.Add(W(1, beta.Spec)); }
        Agree(new NodeDescriptor(OpCode.Norm, S(ot, 2, dim), refs, [mode, r.Next(0, 40), -20000, 20000, r.Next(1, 1000), flags]), [.. ins]);
    }

    [Theory]
    [MemberData(nameof(NormDims))]
    public void NormRandomI16(int dim)
    {
        var r = new Random(450 + dim);
        foreach (int mode in new[] { 0, 1 })
            foreach (var (ot, flags) in new[] { (ElemType.I8, 0), (ElemType.I16, 1) })
                foreach (int mag in new[] { 127, short.MaxValue })
                    AgreeRandomNorm(r, Rand(r, S(ElemType.I16, 2, dim), 0.2, -mag - 1, mag), mode, flags, ot);
        var g1 = Const(S(ElemType.I16, dim), 32767);
        foreach (var x in BackendEquivalenceTests.NormExtremes(dim))
            foreach (int mode in new[] { 0, 1 })
                foreach (int eps in new[] { 1, int.MaxValue })
                    Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, dim), [N(0, x.Spec), W(0, g1.Spec)], [mode, 20, int.MinValue, int.MaxValue, eps, 0]), x, g1);
    }

    /// <summary>The guest at D = 65536 with I16 extremes (the largest V, sd = 2^31, inv = 2^21).</summary>
    [Fact]
    public void NormMaxDimI16()
    {
        var g = Const(S(ElemType.I16, 65536), -32768);
        foreach (var x in BackendEquivalenceTests.NormExtremes(65536).Take(4))
            Agree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, 65536), [N(0, x.Spec), W(0, g.Spec)], [x.ToInts()[1] == x.ToInts()[0] ? 0 : 1, 14, int.MinValue, int.MaxValue, int.MaxValue, 0]), x, g);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(255)]
    [InlineData(4096)]
    public void SoftmaxRopeArgmaxRandom(int c)
    {
        var r = new Random(500 + c);
        var lut = ExpLut(r.Next(1, 20));
        foreach (var t in new[] { ElemType.I8, ElemType.I16, ElemType.I32 })
        {
            var x = Rand(r, S(t, 2, c));
            Agree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 2, c), [N(0, x.Spec), W(0, lut.Spec)], [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63)]), x, lut);
            Agree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 2, c), [N(0, x.Spec), W(0, lut.Spec)], [1, 0]), x, lut);
            Agree(new NodeDescriptor(OpCode.Argmax, S(ElemType.I32, 2), [N(0, x.Spec)]), x);
        }
        // a LUT with negative and > 2^15 entries (clamped), and one whose only non-zero is at d = 0
        var odd = Rand(r, S(ElemType.I32, 256));
        var xs = Rand(r, S(ElemType.I16, 1, c));
        Agree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 1, c), [N(0, xs.Spec), W(0, odd.Spec)], [3, 1]), xs, odd);
        if (c <= 255)
        {
            int hd = 2 * (1 + r.Next(3));
            var xr = Rand(r, S(ElemType.I8, 3, hd * c));
            var cs = Rand(r, S(ElemType.I16, 10, hd / 2, 2));
            foreach (int p in new[] { 0, 5, 8, 9, 10, -1, int.MaxValue, -3 })
                Agree(new NodeDescriptor(OpCode.Rope, S(ElemType.I8, 3, hd * c), [N(0, xr.Spec), W(0, cs.Spec), N(1, S(ElemType.I32, 2))], [hd]), xr, cs, QTensor.I32([2], p, 0));
        }
    }

    [Theory]
    [InlineData(1, 1, 2, 1, 1)]
    [InlineData(2, 1, 4, 7, 1)]
    [InlineData(4, 2, 8, 16, 3)]
    [InlineData(3, 3, 2, 33, 7)]
    [InlineData(2, 2, 16, 255, 2)]
    [InlineData(1, 1, 64, 1000, 1)]
    public void AttentionRandom(int h, int hkv, int hd, int lk, int lq)
    {
        var r = new Random(600 + h * 100 + lk);
        var lut = ExpLut(r.Next(1, 30));
        foreach (int flags in new[] { 0, 1, 2, 3, 4, 5, 6, 7 })
        {
            var q = Rand(r, S(ElemType.I8, lq, h * hd)); var k = Rand(r, S(ElemType.I8, lk, hkv * hd)); var v = Rand(r, S(ElemType.I8, lk, hkv * hd));
            var ins = new List<QTensor> { q, k, v, lut };
            var refs = new List<InputRef> { N(0, q.Spec), N(1, k.Spec), N(2, v.Spec), W(0, lut.Spec) };
            if ((flags & 1) != 0) { var pos = QTensor.I32([2], r.Next(-2, lk + 2), 0); ins.Add(pos); refs.Add(N(3, pos.Spec)); }
            if ((flags & 2) != 0)
            {
                var mt = new[] { ElemType.I8, ElemType.I16, ElemType.I32 }[r.Next(3)];
                var mask = Rand(r, S(mt, lk), 0, 0, 3);
                ins.Add(mask); refs.Add(InputRef.TaskInput(mask.Spec));
            }
            int pad = (flags & 2) != 0 ? r.Next(0, 3) : 0; // padValue only with a mask (canonical encoding)
            Agree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, lq, h * hd), refs,
                [r.Next(1 << 20, 1 << 30), r.Next(30, 50), -128, 127, h, hkv, r.Next(1, 1 << 30), r.Next(25, 40), flags, pad]), [.. ins]);
        }
    }

    [Theory]
    [MemberData(nameof(SmallSizes))]
    public void DataMovementRandom(int c)
    {
        var r = new Random(700 + c);
        foreach (var t in new[] { ElemType.I8, ElemType.I16, ElemType.I32 })
        {
            var table = Rand(r, S(t, 9, c));
            var idx = QTensor.I32([6], [.. Enumerable.Range(0, 6).Select(_ => r.Next(-2, 11))]);
            Agree(new NodeDescriptor(OpCode.Gather, S(t, 4, c), [W(0, table.Spec), N(0, idx.Spec)], [2]), table, idx);
            var parts = Enumerable.Range(0, 1 + r.Next(8)).Select(_ => Rand(r, S(t, 3, 1 + r.Next(c + 2)))).ToArray();
            Agree(new NodeDescriptor(OpCode.Concat, S(t, 3, parts.Sum(p => p.Spec.Cols)), [.. parts.Select((p, i) => N((uint)i, p.Spec))]), parts);
            var buf = Rand(r, S(t, 5, c)); var row = Rand(r, S(t, c));
            foreach (int p in new[] { -2, 0, 3, 4, 5, int.MaxValue })
                Agree(new NodeDescriptor(OpCode.ScatterRow, S(t, 5, c), [N(0, buf.Spec, 1), N(1, row.Spec), N(2, S(ElemType.I32, 2))], [1]), buf, row, QTensor.I32([2], p, 0));
        }
        var prompt = QTensor.I32([c + 1], [r.Next(-1, c + 3), .. Enumerable.Range(0, c).Select(_ => r.Next())]);
        foreach (int p in new[] { -1, 0, c - 1, c, c + 5 })
            Agree(new NodeDescriptor(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(prompt.Spec), N(0, S(ElemType.I32, 2)), N(1, S(ElemType.I32, 1), 1)]),
                prompt, QTensor.I32([2], p, p + 1), QTensor.I32([1], -7));
    }

    // ---------------------------------------------------------------- invalid descriptors

    private static NodeDescriptor SampleMatMul() => new(OpCode.MatMul, S(ElemType.I8, 2, 4),
        [N(0, S(ElemType.I8, 2, 8)), W(3, S(ElemType.I8, 6, 8)), W(4, S(ElemType.I32, 6))], [1 << 30, 31, -128, 127, 2, 1]);

    private static int GuestExit(byte[] desc)
    {
        var run = Vm.Run(desc, [], 0, 1_000_000);
        Assert.Equal(ExitKind.Exited, run.Exited);
        return run.ExitCode;
    }

    private static byte[] Mutate(NodeDescriptor d, Action<byte[]> f)
    {
        var b = d.Encode();
        f(b);
        return b;
    }

    public static TheoryData<string, int> InvalidCases() => new()
    {
        { "magic", GuestExitCodes.BadMagic },
        { "version", GuestExitCodes.BadVersion },
        { "op0", GuestExitCodes.UnknownOp },
        { "op16", GuestExitCodes.UnknownOp },
        { "nInputs9", GuestExitCodes.TooManyInputs },
        { "reservedHeader", GuestExitCodes.NonCanonical },
        { "reservedHeader28", GuestExitCodes.NonCanonical },
        { "unusedOutputDim", GuestExitCodes.NonCanonical },
        { "unusedRecord", GuestExitCodes.NonCanonical },
        { "recordReserved", GuestExitCodes.NonCanonical },
        { "unusedParam", GuestExitCodes.NonCanonical },
        { "outType0", GuestExitCodes.BadElementType },
        { "inType4", GuestExitCodes.BadElementType },
        { "outRank0", GuestExitCodes.BadRank },
        { "inRank5", GuestExitCodes.BadRank },
        { "dim0", GuestExitCodes.BadDim },
        { "dimHuge", GuestExitCodes.BadDim },
        { "tooManyBytes", GuestExitCodes.BadDim },
        { "kind0", GuestExitCodes.BadReference },
        { "lagOnWeight", GuestExitCodes.BadReference },
        { "taskIndex", GuestExitCodes.BadReference },
        { "arity", GuestExitCodes.WrongArity },
        { "aType", GuestExitCodes.OpTypeRule },
        { "kMismatch", GuestExitCodes.OpShapeRule },
        { "rowsMismatch", GuestExitCodes.OpShapeRule },
        { "n0", GuestExitCodes.OpParamRule },
        { "shift63", GuestExitCodes.OpParamRule },
        { "clampEmpty", GuestExitCodes.OpParamRule },
        { "flags", GuestExitCodes.OpParamRule },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void InvalidDescriptorsExitWithTheirClassCode(string name, int expected)
    {
        var d = SampleMatMul();
        var b = Mutate(d, x =>
        {
            void U32(int off, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(x.AsSpan(off), v);
            switch (name)
            {
                case "magic": x[0] ^= 1; break;
                case "version": x[4] = 2; break;
                case "op0": x[6] = 0; break;
                case "op16": x[6] = 16; break;
                case "nInputs9": x[8] = 9; break;
                case "reservedHeader": x[11] = 1; break;
                case "reservedHeader28": x[30] = 1; break;
                case "unusedOutputDim": U32(12 + 8, 1); break;
                case "unusedRecord": x[32 + 3 * 32 + 5] = 1; break;
                case "recordReserved": x[32 + 3] = 1; break;
                case "unusedParam": U32(288 + 4 * 6, 1); break;
                case "outType0": x[9] = 0; break;
                case "inType4": x[32 + 1] = 4; break;
                case "outRank0": x[10] = 0; break;
                case "inRank5": x[32 + 2] = 5; break;
                case "dim0": U32(32 + 12, 0); break;
                case "dimHuge": U32(32 + 12, (1u << 28) + 1); break;
                case "tooManyBytes": U32(32 + 12, 1u << 26); U32(32 + 16, 8); break;
                case "kind0": x[32] = 0; break;
                case "lagOnWeight": U32(64 + 8, 1); break;
                case "taskIndex": x[32] = 2; U32(32 + 4, 1); break;
                case "arity": U32(288 + 20, 0); break; // flags 0 (no bias) but 3 inputs
                case "aType": x[32 + 1] = 2; break;
                case "kMismatch": U32(32 + 16, 7); break;
                case "rowsMismatch": U32(12, 3); break;
                case "n0": U32(288 + 16, 3); break;
                case "shift63": U32(288 + 4, 63); break;
                case "clampEmpty": U32(288 + 8, 200); U32(288 + 12, 300); break;
                case "flags": U32(288 + 20, 5); break;
                default: throw new ArgumentException(name);
            }
        });
        Assert.Throws<InvalidDescriptorException>(() => NodeDescriptor.Decode(b));
        Assert.Equal(expected, GuestExit(b));
    }

    [Fact]
    public void ValidDescriptorValidatesAndExecuteThrowsNamingTheCode()
    {
        var d = SampleMatMul();
        var run = Vm.Run(d.Encode(), [], d.Output.ByteLength);
        Assert.True(run.Succeeded);
        var ex = Assert.Throws<VmOpException>(() => VmBackend.EnsureSucceeded(Vm.Run(d.Encode(), [], d.Output.ByteLength, 50), "x"));
        Assert.Contains("step budget", ex.Message);
        var bad = d.Encode(); bad[4] = 9;
        var ex2 = Assert.Throws<VmOpException>(() => VmBackend.EnsureSucceeded(Vm.Run(bad, [], 0), "x"));
        Assert.Contains("exited with code 2", ex2.Message);
    }

    /// <summary>Random byte mutations of valid descriptors of every op: the guest rejects exactly what Decode rejects.</summary>
    [Fact]
    public void GuestValidationAgreesWithDecodeOnMutatedDescriptors()
    {
        var r = new Random(800);
        var seeds = SeedDescriptors();
        int rejected = 0, accepted = 0;
        for (int iter = 0; iter < 700; iter++)
        {
            var b = seeds[r.Next(seeds.Length)].Encode();
            int nmut = 1 + r.Next(2);
            for (int j = 0; j < nmut; j++)
            {
                int off = r.Next(4) == 0 ? r.Next(0, 32) : r.Next(4) == 0 ? 288 + r.Next(64) : r.Next(NodeDescriptor.Size);
                b[off] = r.Next(3) switch { 0 => (byte)r.Next(256), 1 => (byte)(b[off] + r.Next(-2, 3)), _ => (byte)r.Next(0, 4) };
            }
            bool csharpOk = true;
            string why = "";
            try { NodeDescriptor.Decode(b); } catch (InvalidDescriptorException e) { csharpOk = false; why = e.Message; }
            var run = Vm.Run(b, [], 0, 20_000);
            bool guestRejected = run.Exited == ExitKind.Exited && GuestExitCodes.IsInvalidDescriptor(run.ExitCode);
            if (csharpOk)
            {
                accepted++;
                Assert.False(guestRejected, $"guest rejected (code {run.ExitCode}) a descriptor Decode accepts: {Convert.ToHexString(b)}");
                Assert.NotEqual(ExitKind.Trapped, run.Exited);
            }
            else
            {
                rejected++;
                Assert.True(guestRejected, $"guest accepted ({run.Exited}/{run.ExitCode}) a descriptor Decode rejects ({why}): {Convert.ToHexString(b)}");
            }
        }
        Assert.True(accepted > 10 && rejected > 250, $"accepted {accepted}, rejected {rejected}");
    }

    private static NodeDescriptor[] SeedDescriptors()
    {
        var i8 = S(ElemType.I8, 2, 4); var lut32 = S(ElemType.I32, 256);
        return
        [
            SampleMatMul(),
            new(OpCode.MatMul, S(ElemType.I32, 1, 2), [N(0, S(ElemType.I8, 1, 3)), W(0, S(ElemType.I8, 2, 3)), W(1, S(ElemType.I32, 2, 2))], [0, 0, 0, 0, 0, 2]),
            new(OpCode.Add, S(ElemType.I16, 8), [N(0, i8), N(1, S(ElemType.I32, 8))], [1, 3, -5, 5, 2]),
            new(OpCode.Mul, S(ElemType.I8, 8), [N(0, i8), N(1, S(ElemType.I16, 8))], [1, 3, -5, 5]),
            new(OpCode.Requant, S(ElemType.I8, 8), [N(0, i8)], [1, 0, 0, 127]),
            new(OpCode.Lut, S(ElemType.I16, 2, 4), [N(0, i8), W(0, S(ElemType.I16, 256))]),
            new(OpCode.Norm, S(ElemType.I8, 2, 4), [N(0, i8), W(0, S(ElemType.I16, 4)), W(1, S(ElemType.I32, 4))], [1, 8, -128, 127, 1, 1]),
            new(OpCode.Norm, S(ElemType.I16, 2, 4), [N(0, S(ElemType.I16, 2, 4)), W(0, S(ElemType.I16, 4))], [0, 8, -128, 127, 1, 0]),
            new(OpCode.Softmax, S(ElemType.I32, 2, 4), [N(0, i8), W(0, lut32)], [1, 0]),
            new(OpCode.Rope, S(ElemType.I8, 2, 4), [N(0, i8), W(0, S(ElemType.I16, 3, 2, 2)), N(1, S(ElemType.I32, 2))], [4]),
            new(OpCode.Attention, S(ElemType.I8, 1, 4), [N(0, S(ElemType.I8, 1, 4)), N(1, S(ElemType.I8, 3, 2)), N(2, S(ElemType.I8, 3, 2)), W(0, lut32), N(3, S(ElemType.I32, 2)), InputRef.TaskInput(S(ElemType.I32, 3))],
                [1, 15, -128, 127, 2, 1, 1, 0, 7, 0]),
            new(OpCode.Gather, S(ElemType.I16, 2, 4), [W(0, S(ElemType.I16, 5, 4)), N(0, S(ElemType.I32, 3))], [1]),
            new(OpCode.Argmax, S(ElemType.I32, 2), [N(0, i8)]),
            new(OpCode.Concat, S(ElemType.I8, 2, 6), [N(0, i8), N(1, S(ElemType.I8, 2, 2))]),
            new(OpCode.ScatterRow, S(ElemType.I8, 2, 4), [N(0, i8, 1), N(1, S(ElemType.I8, 4)), N(2, S(ElemType.I32, 2))], [0]),
            new(OpCode.Position, S(ElemType.I32, 2), [N(0, S(ElemType.I32, 2), 1)]),
            new(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(S(ElemType.I32, 4)), N(0, S(ElemType.I32, 2)), N(1, S(ElemType.I32, 1), 1)]),
        ];
    }

    // ---------------------------------------------------------------- steps per MAC (docs/BENCHMARKS-guest.md)

    /// <summary>VM steps of one MatMul node [M, K] x [N, K]^T -> I8 with bias, on random data; and steps per MAC.</summary>
    public static (ulong Steps, double StepsPerMac) MeasureMatMul(int m, int k, int n)
    {
        var r = new Random(42);
        var a = Rand(r, S(ElemType.I8, m, k)); var w = Rand(r, S(ElemType.I8, n, k)); var b = Rand(r, S(ElemType.I32, n), 0, -1000, 1000);
        var d = new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, m, n), [N(0, a.Spec), W(0, w.Spec), W(1, b.Spec)], [1 << 30, 40, -128, 127, 0, 1]);
        var run = Vm.RunNode(d, a, w, b);
        return (run.Steps, (double)run.Steps / ((double)m * k * n));
    }

    [Fact]
    public void MatMulStepsPerMac()
    {
        foreach (var (m, k, n) in new[] { (1, 4096, 64), (16, 256, 256), (1, 256, 256), (2, 4096, 64) })
        {
            var (steps, spm) = MeasureMatMul(m, k, n);
            log.WriteLine($"MatMul M={m} K={k} N={n}: {steps} steps, {spm:F3} steps/MAC");
            Assert.True(spm <= 5.0, $"M={m} K={k} N={n}: {spm:F3} steps/MAC > 5");
        }
    }

    /// <summary>Step costs of the other ops at typical sizes (printed; the graph builder's cost model, OPS §4).</summary>
    [Fact]
    public void OtherOpStepCosts()
    {
        var r = new Random(43);
        int n = 4096;
        var x8 = Rand(r, S(ElemType.I8, 1, n)); var y8 = Rand(r, S(ElemType.I8, 1, n));
        var g = Rand(r, S(ElemType.I16, n)); var lut8 = Rand(r, S(ElemType.I8, 256)); var exp = ExpLut();
        var cs = Rand(r, S(ElemType.I16, 256, 64, 2));
        var kc = Rand(r, S(ElemType.I8, 256, 512)); var vc = Rand(r, S(ElemType.I8, 256, 512)); var q = Rand(r, S(ElemType.I8, 1, 512));
        var pos = QTensor.I32([2], 255, 256);
        var x16 = Rand(new Random(44), S(ElemType.I16, 1, n));
        var cases = new (string Name, long Elems, NodeDescriptor D, QTensor[] In)[]
        {
            ("Add I8 [1,4096]", n, new(OpCode.Add, S(ElemType.I8, 1, n), [N(0, x8.Spec), N(1, y8.Spec)], [1 << 29, 30, -128, 127, 1 << 29]), [x8, y8]),
            ("Mul I8 [1,4096]", n, new(OpCode.Mul, S(ElemType.I8, 1, n), [N(0, x8.Spec), N(1, y8.Spec)], [1 << 30, 37, -128, 127]), [x8, y8]),
            ("Requant I8 [1,4096]", n, new(OpCode.Requant, S(ElemType.I8, 1, n), [N(0, x8.Spec)], [1, 0, 0, 127]), [x8]),
            ("Lut I8 [1,4096]", n, new(OpCode.Lut, S(ElemType.I8, 1, n), [N(0, x8.Spec), W(0, lut8.Spec)]), [x8, lut8]),
            ("Norm RMS [1,4096]", n, new(OpCode.Norm, S(ElemType.I8, 1, n), [N(0, x8.Spec), W(0, g.Spec)], [0, 20, -128, 127, 1, 0]), [x8, g]),
            ("Norm RMS I16 x [1,4096]", n, new(OpCode.Norm, S(ElemType.I8, 1, n), [N(0, x16.Spec), W(0, g.Spec)], [0, 20, -128, 127, 1, 0]), [x16, g]),
            ("Norm Layer I16 x [1,4096]", n, new(OpCode.Norm, S(ElemType.I8, 1, n), [N(0, x16.Spec), W(0, g.Spec)], [1, 20, -128, 127, 1, 0]), [x16, g]),
            ("Softmax I8 [1,4096]", n, new(OpCode.Softmax, S(ElemType.I32, 1, n), [N(0, x8.Spec), W(0, exp.Spec)], [1, 0]), [x8, exp]),
            ("Rope [1,4096] hd=128", n, new(OpCode.Rope, S(ElemType.I8, 1, n), [N(0, x8.Spec), W(0, cs.Spec), N(1, pos.Spec)], [128]), [x8, cs, pos]),
            ("Attention decode H=8 hd=64 Lk=256 (per Lk*H*hd)", 256L * 512, new(OpCode.Attention, S(ElemType.I8, 1, 512), [N(0, q.Spec), N(1, kc.Spec), N(2, vc.Spec), W(0, exp.Spec), N(3, pos.Spec)],
                [1 << 30, 45, -128, 127, 8, 8, 1 << 30, 36, 5, 0]), [q, kc, vc, exp, pos]),
            ("ScatterRow I8 [256,512]", 256L * 512, new(OpCode.ScatterRow, S(ElemType.I8, 256, 512), [N(0, kc.Spec, 1), N(1, q.Spec), N(2, pos.Spec)], [0]), [kc, q, pos]),
            ("Concat I8 2x[1,2048]", n, new(OpCode.Concat, S(ElemType.I8, 1, n), [N(0, S(ElemType.I8, 1, n / 2)), N(1, S(ElemType.I8, 1, n / 2))]),
                [new QTensor(S(ElemType.I8, 1, n / 2), x8.Data[..(n / 2)]), new QTensor(S(ElemType.I8, 1, n / 2), x8.Data[(n / 2)..])]),
            ("Argmax I32 [1,4096]", n, new(OpCode.Argmax, S(ElemType.I32, 1), [N(0, S(ElemType.I32, 1, n))]), [Rand(r, S(ElemType.I32, 1, n))]),
        };
        foreach (var (name, elems, d, ins) in cases)
        {
            var (_, steps) = Agree(d, ins);
            log.WriteLine($"{name}: {steps} steps, {(double)steps / elems:F2} steps/element");
        }
    }
}
