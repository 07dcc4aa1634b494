using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Ops;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

/// <summary>
/// The worked examples of docs/OPS.md, computed by hand there, checked on every backend: the oracle, CpuBackend at each
/// SIMD level, ILGPU (CPU accelerator here) and the RV32IM guest in the VM.
/// </summary>
public class SpecExampleTests
{
    private static readonly IOpBackend[] SlowBackends = [new IlgpuBackend(forceCpu: true), VmBackend.Embedded()];

    /// <summary>All fast backends agree with the oracle (<see cref="T.AssertAllAgree"/>), and so do ILGPU and the VM.</summary>
    private static QTensor AssertAllAgree(NodeDescriptor d, params QTensor[] inputs)
    {
        var expected = T.AssertAllAgree(d, inputs);
        foreach (var b in SlowBackends)
            Assert.True(expected.Data.AsSpan().SequenceEqual(b.Run(NodeDescriptor.Decode(d.Encode()), inputs).Data), $"{b.Name} differs from the oracle for {d}");
        return expected;
    }

    [Theory]
    [InlineData(5L, 1, 3L)]
    [InlineData(-5L, 1, -2L)]
    [InlineData(-6L, 2, -1L)]
    [InlineData(7L, 2, 2L)]
    [InlineData(42L, 0, 42L)]
    public void RoundShiftTable(long x, int s, long expected) => Assert.Equal(expected, QMath.RoundShift(x, s));

    [Fact]
    public void RequantTable()
    {
        Assert.Equal(47, QMath.Requant(1000, 1610612736, 35));
        Assert.Equal(-47, QMath.Requant(-1000, 1610612736, 35));
        Assert.Equal(4688, QMath.Requant(100000, 1610612736, 35));
        Assert.Equal(127, QMath.Clamp(QMath.Requant(100000, 1610612736, 35), int.MinValue, int.MaxValue, ElemType.I8));
        Assert.Equal(11, QMath.Requant(22, 1 << 30, 31));
        Assert.Equal(12, QMath.Requant(23, 1 << 30, 31));
        // Extremes: |acc·M| = 2^62 plus the largest rounding term stays in int64.
        Assert.Equal(1L << 0, QMath.Requant(int.MinValue, int.MinValue, 62));
        Assert.Equal(-(1L << 31) + 1, QMath.Requant(int.MinValue, int.MaxValue, 31));
    }

    [Fact]
    public void IsqrtTable()
    {
        Assert.Equal(0UL, QMath.Isqrt(0));
        Assert.Equal(1UL, QMath.Isqrt(1));
        Assert.Equal(4UL, QMath.Isqrt(17));
        Assert.Equal(9UL, QMath.Isqrt(81));
        Assert.Equal(1UL << 23, QMath.Isqrt(1UL << 46));
        Assert.Equal(uint.MaxValue, QMath.Isqrt(ulong.MaxValue));
        var r = new Random(7);
        for (int i = 0; i < 10000; i++)
        {
            ulong v = (ulong)r.NextInt64() >> r.Next(0, 63);
            ulong s = QMath.Isqrt(v);
            Assert.True(s * s <= v && (s + 1) * (s + 1) > v, $"isqrt({v}) = {s}");
        }
    }

    [Fact]
    public void MatMulExample()
    {
        var a = QTensor.I8([1, 3], 1, -2, 3);
        var w = QTensor.I8([2, 3], 4, 5, 6, -1, 0, 127);
        var bias = QTensor.I32([2], 10, -20);
        InputRef[] ins = [N(0, a.Spec), W(0, w.Spec), W(1, bias.Spec)];
        var i32 = AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 1, 2), ins, [0, 0, 0, 0, 0, 1]), a, w, bias);
        Assert.Equal([22, 360], i32.ToInts());
        var i8 = AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 1, 2), ins, [1 << 30, 31, -128, 127, 0, 1]), a, w, bias);
        Assert.Equal([11, 127], i8.ToInts());
        var bias2 = QTensor.I32([2], -40, -20);
        var relu = AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 1, 2), ins, [1 << 30, 31, 0, 127, 0, 1]), a, w, bias2);
        Assert.Equal([0, 127], relu.ToInts());
        // Row tile: n0 = 1 computes only output column 1.
        var tile = AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 1, 1), ins, [0, 0, 0, 0, 1, 1]), a, w, bias);
        Assert.Equal([360], tile.ToInts());
    }

    [Fact]
    public void AddMulRequantLutExamples()
    {
        var a = QTensor.I8([2], 100, -100); var b = QTensor.I8([2], 50, 50);
        var add = AssertAllAgree(new NodeDescriptor(OpCode.Add, S(ElemType.I8, 2), [N(0, a.Spec), N(1, b.Spec)], [1 << 14, 14, -128, 127, 1 << 13]), a, b);
        Assert.Equal([125, -75], add.ToInts());

        var ma = QTensor.I8([2], 100, -7); var mb = QTensor.I8([2], 100, 9);
        var mul = AssertAllAgree(new NodeDescriptor(OpCode.Mul, S(ElemType.I8, 2), [N(0, ma.Spec), N(1, mb.Spec)], [1 << 30, 37, -128, 127]), ma, mb);
        Assert.Equal([78, 0], mul.ToInts());

        var x = QTensor.I8([3], -5, 0, 7);
        var relu = AssertAllAgree(new NodeDescriptor(OpCode.Requant, S(ElemType.I8, 3), [N(0, x.Spec)], [1, 0, 0, 127]), x);
        Assert.Equal([0, 0, 7], relu.ToInts());
        var table = QTensor.I8([256], [.. Enumerable.Range(0, 256).Select(i => i >= 128 ? i - 128 : 0)]);
        var lut = AssertAllAgree(new NodeDescriptor(OpCode.Lut, S(ElemType.I8, 3), [N(0, x.Spec), W(0, table.Spec)]), x, table);
        Assert.Equal([0, 0, 7], lut.ToInts());
    }

    [Fact]
    public void NormExamples()
    {
        var x = QTensor.I8([1, 4], 1, -1, 1, -1);
        var g = QTensor.I16([4], 32, 32, 32, 32);
        var rms = AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 4), [N(0, x.Spec), W(0, g.Spec)], [0, 13, -128, 127, 1, 0]), x, g);
        Assert.Equal([64, -64, 64, -64], rms.ToInts());

        var x2 = QTensor.I8([1, 4], 2, 4, 6, 8);
        var g2 = QTensor.I16([4], 1, 1, 1, 1);
        var beta = QTensor.I32([4], 0, 0, 0, 256);
        var ln = AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 4), [N(0, x2.Spec), W(0, g2.Spec), W(1, beta.Spec)], [1, 8, -128, 127, 1, 1]), x2, g2, beta);
        Assert.Equal([-85, -28, 28, 86], ln.ToInts());
        Assert.Equal(119304647, (int)((1UL << 30) / 9));

        // I16 x (k = 52)
        var x3 = QTensor.I16([1, 4], 1000, -1000, 3000, 30000);
        var g3 = QTensor.I16([4], 1, 1, 1, 1);
        var ln16 = AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 4), [N(0, x3.Spec), W(0, g3.Spec)], [1, 8, -128, 127, 1, 0]), x3, g3);
        Assert.Equal([-37, -47, -27, 110], ln16.ToInts());
        Assert.Equal(50547UL, QMath.Isqrt(2555000001));
        Assert.Equal(89097268430L, (long)((1UL << 52) / 50547));
        var x4 = QTensor.I16([1, 1], short.MinValue);
        var g4 = QTensor.I16([1], 1);
        var rms16 = AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, 1), [N(0, x4.Spec), W(0, g4.Spec)], [0, 0, int.MinValue, int.MaxValue, 1, 0]), x4, g4);
        Assert.Equal([-16384], rms16.ToInts());
    }

    [Fact]
    public void SoftmaxExample()
    {
        var x = QTensor.I8([1, 3], 10, 9, 0);
        var lutV = new int[256]; lutV[0] = 32768; lutV[1] = 25520; lutV[10] = 2690;
        var lut = QTensor.I32([256], lutV);
        var p = AssertAllAgree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 1, 3), [N(0, x.Spec), W(0, lut.Spec)], [1, 0]), x, lut);
        Assert.Equal([17609, 13714, 1446], p.ToInts());
    }

    [Fact]
    public void RopeExample()
    {
        var x = QTensor.I8([1, 2], 100, 50);
        var cs = QTensor.I16([1, 1, 2], 11585, 11585);
        var pos = QTensor.I32([2], 0, 1);
        var d = new NodeDescriptor(OpCode.Rope, S(ElemType.I8, 1, 2), [N(0, x.Spec), W(0, cs.Spec), N(1, pos.Spec)], [2]);
        Assert.Equal([35, 106], AssertAllAgree(d, x, cs, pos).ToInts());
        var outOfRange = QTensor.I32([2], 1, 2); // position 1 >= P = 1: identity
        Assert.Equal([100, 50], AssertAllAgree(d, x, cs, outOfRange).ToInts());
    }

    [Fact]
    public void AttentionExample()
    {
        var q = QTensor.I8([1, 2], 2, 0);
        var k = QTensor.I8([2, 2], 3, 0, 1, 0);
        var v = QTensor.I8([2, 2], 10, -10, 20, 40);
        var lutV = new int[256]; lutV[0] = 32768; lutV[4] = 12055;
        var lut = QTensor.I32([256], lutV);
        InputRef[] ins = [N(0, q.Spec), N(1, k.Spec), N(2, v.Spec), W(0, lut.Spec)];
        var plain = AssertAllAgree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, 1, 2), ins, [1, 15, -128, 127, 1, 1, 1, 0, 0, 0]), q, k, v, lut);
        Assert.Equal([13, 3], plain.ToInts());
        var pos = QTensor.I32([2], 0, 1);
        var causal = AssertAllAgree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, 1, 2), [.. ins, N(3, pos.Spec)],
            [1, 15, -128, 127, 1, 1, 1, 0, AttentionParams.PositionFlag | AttentionParams.CausalFlag, 0]), q, k, v, lut, pos);
        Assert.Equal([10, -10], causal.ToInts());
        // Padding mask: key 0 is padding (token id 0), only key 1 remains.
        var mask = QTensor.I32([2], 0, 5);
        var masked = AssertAllAgree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, 1, 2), [.. ins, N(4, mask.Spec)],
            [1, 15, -128, 127, 1, 1, 1, 0, AttentionParams.MaskFlag, 0]), q, k, v, lut, mask);
        Assert.Equal([20, 40], masked.ToInts());
        // Everything masked: output Clamp(0).
        var allPad = QTensor.I32([2], 0, 0);
        Assert.Equal([0, 0], AssertAllAgree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, 1, 2), [.. ins, N(4, allPad.Spec)],
            [1, 15, -128, 127, 1, 1, 1, 0, AttentionParams.MaskFlag, 0]), q, k, v, lut, allPad).ToInts());
    }

    [Fact]
    public void DataMovementExamples()
    {
        var table = QTensor.I8([3, 2], 1, 2, 3, 4, 5, 6);
        var idx = QTensor.I32([3], 2, -1, 0);
        var gather = AssertAllAgree(new NodeDescriptor(OpCode.Gather, S(ElemType.I8, 3, 2), [W(0, table.Spec), N(0, idx.Spec)], [0]), table, idx);
        Assert.Equal([5, 6, 0, 0, 1, 2], gather.ToInts());
        var gather1 = AssertAllAgree(new NodeDescriptor(OpCode.Gather, S(ElemType.I8, 1, 2), [W(0, table.Spec), N(0, idx.Spec)], [2]), table, idx);
        Assert.Equal([1, 2], gather1.ToInts());

        var am = QTensor.I8([1, 4], 3, 7, 7, -1);
        Assert.Equal([1], AssertAllAgree(new NodeDescriptor(OpCode.Argmax, S(ElemType.I32, 1), [N(0, am.Spec)]), am).ToInts());

        var c0 = QTensor.I8([2, 1], 1, 2); var c1 = QTensor.I8([2, 2], 3, 4, 5, 6);
        Assert.Equal([1, 3, 4, 2, 5, 6], AssertAllAgree(new NodeDescriptor(OpCode.Concat, S(ElemType.I8, 2, 3), [N(0, c0.Spec), N(1, c1.Spec)]), c0, c1).ToInts());

        var buf = QTensor.I32([3, 1], 7, 8, 9); var row = QTensor.I32([1], 42); var pos = QTensor.I32([2], 1, 2);
        var scatter = new NodeDescriptor(OpCode.ScatterRow, buf.Spec, [N(5, buf.Spec, 1), N(0, row.Spec), N(1, pos.Spec)], [0]);
        Assert.Equal([7, 42, 9], AssertAllAgree(scatter, buf, row, pos).ToInts());
        var scatterOff = new NodeDescriptor(OpCode.ScatterRow, buf.Spec, [N(5, buf.Spec, 1), N(0, row.Spec), N(1, pos.Spec)], [2]);
        Assert.Equal([7, 8, 9], AssertAllAgree(scatterOff, buf, row, pos).ToInts()); // row 3 out of range: unchanged

        var posD = new NodeDescriptor(OpCode.Position, S(ElemType.I32, 2), [N(0, S(ElemType.I32, 2), 1)]);
        var p = QTensor.Zeros(S(ElemType.I32, 2));
        for (int pass = 0; pass < 3; pass++)
        {
            p = AssertAllAgree(posD, p);
            Assert.Equal([pass, pass + 1], p.ToInts());
        }

        var prompt = QTensor.I32([5], 2, 11, 12, 0, 0); // length 2, Lmax 4
        var pred = QTensor.I32([1], 99);
        var ts = new NodeDescriptor(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(prompt.Spec), N(0, S(ElemType.I32, 2)), N(9, pred.Spec, 1)]);
        Assert.Equal([11], AssertAllAgree(ts, prompt, QTensor.I32([2], 0, 1), pred).ToInts());
        Assert.Equal([12], AssertAllAgree(ts, prompt, QTensor.I32([2], 1, 2), pred).ToInts());
        Assert.Equal([99], AssertAllAgree(ts, prompt, QTensor.I32([2], 2, 3), pred).ToInts());
    }
}
