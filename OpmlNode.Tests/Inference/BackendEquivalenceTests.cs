using OpmlNode.Inference;
using static OpmlNode.Tests.Inference.T;

namespace OpmlNode.Tests.Inference;

/// <summary>CpuBackend (every SIMD level) == ScalarBackend by tensor root, swept over sizes, seeded random data with extremes.</summary>
public class BackendEquivalenceTests
{
    public static TheoryData<int> SizeData() => [.. Sizes];

    [Theory]
    [MemberData(nameof(SizeData))]
    public void MatMulSweepK(int k)
    {
        var r = new Random(1000 + k);
        foreach (int n in new[] { 1, 3, 5, 8 })
            foreach (var (ot, flags) in new[] { (ElemType.I8, 0), (ElemType.I8, 1), (ElemType.I16, 3), (ElemType.I32, 1), (ElemType.I8, 2) })
            {
                int nw = n + 2, n0 = r.Next(0, 3);
                var a = Rand(r, S(ElemType.I8, 2, k));
                var w = Rand(r, S(ElemType.I8, nw, k));
                var ins = new List<QTensor> { a, w };
                var refs = new List<InputRef> { N(0, a.Spec), W(0, w.Spec) };
                if ((flags & 1) != 0) { var b = Rand(r, S(ElemType.I32, nw), 0.3); ins.Add(b); refs.Add(W(1, b.Spec)); }
                if ((flags & 2) != 0)
                {
                    var pc = QTensor.I32([nw, 2], [.. Enumerable.Range(0, nw).SelectMany(_ => new[] { r.Next(), r.Next(-5, 70) })]);
                    ins.Add(pc); refs.Add(W(2, pc.Spec));
                }
                int s = r.Next(0, 63);
                AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ot, 2, n), refs, ot == ElemType.I32 ? [0, 0, 0, 0, n0, flags] : [r.Next(int.MinValue, int.MaxValue), s, -100, 120, n0, flags]), [.. ins]);
            }
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void MatMulSweepN(int n)
    {
        var r = new Random(2000 + n);
        foreach (int k in new[] { 5, 64, 100 })
        {
            var a = Rand(r, S(ElemType.I8, 3, k));
            var w = Rand(r, S(ElemType.I8, n, k));
            AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 3, n), [N(0, a.Spec), W(0, w.Spec)], [0, 0, 0, 0, 0, 0]), a, w);
            AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 3, n), [N(0, a.Spec), W(0, w.Spec)], [1 << 30, 40, -128, 127, 0, 0]), a, w);
        }
    }

    [Fact]
    public void MatMulExtremesAndLargeSquare()
    {
        // All -128 · -128 over K = 65536 gives 2^30, the largest accumulation; a bias near int32.MaxValue then wraps.
        int k = 65536;
        var a = Const(S(ElemType.I8, 1, k), -128);
        var w = Const(S(ElemType.I8, 2, k), -128);
        var bias = QTensor.I32([2], int.MaxValue, -5);
        var o = AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I32, 1, 2), [N(0, a.Spec), W(0, w.Spec), W(1, bias.Spec)], [0, 0, 0, 0, 0, 1]), a, w, bias);
        Assert.Equal([unchecked((1 << 30) + int.MaxValue), (1 << 30) - 5], o.ToInts());

        var r = new Random(3);
        var a2 = Rand(r, S(ElemType.I8, 1, 4096));
        var w2 = Rand(r, S(ElemType.I8, 4096, 4096));
        AssertAllAgree(new NodeDescriptor(OpCode.MatMul, S(ElemType.I8, 1, 4096), [N(0, a2.Spec), W(0, w2.Spec)], [1 << 30, 38, -128, 127, 0, 0]), a2, w2);
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void ElementwiseSweep(int size)
    {
        var r = new Random(3000 + size);
        var types = new[] { ElemType.I8, ElemType.I16, ElemType.I32 };
        foreach (var ta in types)
            foreach (var tb in types)
                foreach (var to in types)
                {
                    var a = Rand(r, S(ta, size)); var b = Rand(r, S(tb, size));
                    int ma = r.Next(-(1 << 30), (1 << 30) + 1), mb = r.Next(-(1 << 30), (1 << 30) + 1);
                    AssertAllAgree(new NodeDescriptor(OpCode.Add, S(to, size), [N(0, a.Spec), N(1, b.Spec)], [ma, r.Next(0, 63), int.MinValue, int.MaxValue, mb]), a, b);
                    AssertAllAgree(new NodeDescriptor(OpCode.Requant, S(to, size), [N(0, a.Spec)], [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63), -1000, 1000]), a);
                    if (ta != ElemType.I32 && tb != ElemType.I32)
                        AssertAllAgree(new NodeDescriptor(OpCode.Mul, S(to, size), [N(0, a.Spec), N(1, b.Spec)], [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63), -50, int.MaxValue]), a, b);
                    if (ta == ElemType.I8)
                    {
                        var table = Rand(r, S(to, 256));
                        AssertAllAgree(new NodeDescriptor(OpCode.Lut, S(to, size), [N(0, a.Spec), W(0, table.Spec)]), a, table);
                    }
                }
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void NormSweep(int dim)
    {
        var r = new Random(4000 + dim);
        foreach (int mode in new[] { 0, 1 })
            foreach (int flags in new[] { 0, 1 })
                foreach (var ot in new[] { ElemType.I8, ElemType.I16 })
                {
                    var x = Rand(r, S(ElemType.I8, 3, dim), 0.3);
                    var g = Rand(r, S(ElemType.I16, dim));
                    var ins = new List<QTensor> { x, g };
                    var refs = new List<InputRef> { N(0, x.Spec), W(0, g.Spec) };
                    if (flags == 1) { var b = Rand(r, S(ElemType.I32, dim)); ins.Add(b); refs.Add(W(1, b.Spec)); }
                    AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ot, 3, dim), refs, [mode, r.Next(0, 40), -20000, 20000, r.Next(1, 1000), flags]), [.. ins]);
                }
        // Constant rows (variance 0) and the largest D.
        var c = Const(S(ElemType.I8, 1, dim), -128);
        var g1 = Const(S(ElemType.I16, dim), short.MaxValue);
        foreach (int mode in new[] { 0, 1 })
            AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, dim), [N(0, c.Spec), W(0, g1.Spec)], [mode, 20, -128, 127, 1, 0]), c, g1);
    }

    [Fact]
    public void NormMaxDim()
    {
        var r = new Random(5);
        var x = Rand(r, S(ElemType.I8, 1, 65536), 0.9);
        var g = Rand(r, S(ElemType.I16, 65536));
        foreach (int mode in new[] { 0, 1 })
            AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I8, 1, 65536), [N(0, x.Spec), W(0, g.Spec)], [mode, 22, -128, 127, int.MaxValue, 0]), x, g);
    }

    /// <summary>I16 x (OPS §5.6, k = 52): random rows of several magnitudes, constant and alternating extreme rows.</summary>
    [Theory]
    [MemberData(nameof(SizeData))]
    public void NormSweepI16(int dim)
    {
        var r = new Random(4500 + dim);
        foreach (int mode in new[] { 0, 1 })
            foreach (int flags in new[] { 0, 1 })
                foreach (var ot in new[] { ElemType.I8, ElemType.I16 })
                    foreach (int mag in new[] { 127, 3000, short.MaxValue })
                    {
                        var x = Rand(r, S(ElemType.I16, 3, dim), 0.3, -mag - 1, mag);
                        var g = Rand(r, S(ElemType.I16, dim));
                        var ins = new List<QTensor> { x, g };
                        var refs = new List<InputRef> { N(0, x.Spec), W(0, g.Spec) };
                        if (flags == 1) { var b = Rand(r, S(ElemType.I32, dim)); ins.Add(b); refs.Add(W(1, b.Spec)); }
                        int eps = r.Next(3) switch { 0 => 1, 1 => int.MaxValue, _ => r.Next(1, 1000) };
                        AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ot, 3, dim), refs, [mode, r.Next(0, 40), -20000, 20000, eps, flags]), [.. ins]);
                    }
        var g1 = Const(S(ElemType.I16, dim), short.MaxValue);
        foreach (var x in NormExtremes(dim))
            foreach (int mode in new[] { 0, 1 })
                foreach (int eps in new[] { 1, int.MaxValue })
                    AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, dim), [N(0, x.Spec), W(0, g1.Spec)], [mode, 20, int.MinValue, int.MaxValue, eps, 0]), x, g1);
    }

    /// <summary>Rows at the I16 extremes: constant ±32767 and −32768 (V = 0 for Layer, the largest V for RMS) and alternating +32767/−32768 (the largest Layer V).</summary>
    internal static IEnumerable<QTensor> NormExtremes(int dim)
    {
        yield return Const(S(ElemType.I16, 1, dim), short.MaxValue);
        yield return Const(S(ElemType.I16, 1, dim), -short.MaxValue);
        yield return Const(S(ElemType.I16, 1, dim), short.MinValue);
        yield return QTensor.FromInts(ElemType.I16, [1, dim], Enumerable.Range(0, dim).Select(i => i % 2 == 0 ? (int)short.MaxValue : short.MinValue).ToArray());
        yield return QTensor.FromInts(ElemType.I16, [1, dim], Enumerable.Range(0, dim).Select(i => i == 0 ? (int)short.MinValue : 0).ToArray());
    }

    [Fact]
    public void NormMaxDimI16()
    {
        var r = new Random(6);
        var x = Rand(r, S(ElemType.I16, 1, 65536), 0.9);
        var g = Rand(r, S(ElemType.I16, 65536));
        foreach (int mode in new[] { 0, 1 })
            AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, 65536), [N(0, x.Spec), W(0, g.Spec)], [mode, 22, -128, 127, int.MaxValue, 0]), x, g);
        foreach (var e in NormExtremes(65536))
            foreach (int mode in new[] { 0, 1 })
                AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 1, 65536), [N(0, e.Spec), W(0, g.Spec)], [mode, 14, int.MinValue, int.MaxValue, 1, 0]), e, g);
    }

    /// <summary>The same values as I8 and as I16 x: the results differ only by the reciprocal's precision (k = 30 vs 52), by at most a unit here.</summary>
    [Fact]
    public void NormI16CloseToI8OnI8Values()
    {
        var r = new Random(7);
        var x8 = Rand(r, S(ElemType.I8, 4, 384));
        var x16 = QTensor.FromInts(ElemType.I16, [4, 384], x8.ToInts());
        var g = Const(S(ElemType.I16, 384), 1);
        foreach (int mode in new[] { 0, 1 })
        {
            var a = AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 4, 384), [N(0, x8.Spec), W(0, g.Spec)], [mode, 0, int.MinValue, int.MaxValue, 1, 0]), x8, g).ToInts();
            var b = AssertAllAgree(new NodeDescriptor(OpCode.Norm, S(ElemType.I16, 4, 384), [N(0, x16.Spec), W(0, g.Spec)], [mode, 0, int.MinValue, int.MaxValue, 1, 0]), x16, g).ToInts();
            for (int i = 0; i < a.Length; i++) Assert.InRange(a[i] - b[i], -1, 1);
        }
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void SoftmaxRopeArgmaxSweep(int c)
    {
        var r = new Random(5000 + c);
        var lut = ExpLut(r.Next(1, 40));
        foreach (var t in new[] { ElemType.I8, ElemType.I16, ElemType.I32 })
        {
            var x = Rand(r, S(t, 2, c), 0.3);
            AssertAllAgree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 2, c), [N(0, x.Spec), W(0, lut.Spec)], [r.Next(int.MinValue, int.MaxValue), r.Next(0, 63)]), x, lut);
            AssertAllAgree(new NodeDescriptor(OpCode.Argmax, S(ElemType.I32, 2), [N(0, x.Spec)]), x);
        }
        int hd = 2 * c > 64 ? 64 : 2 * c;
        var xr = Rand(r, S(ElemType.I8, 3, 2 * c));
        if ((2 * c) % hd != 0) hd = 2;
        var cs = Rand(r, S(ElemType.I16, 5, hd / 2, 2), 0.1, -16384, 16384);
        foreach (int p in new[] { -1, 0, 2, 3, 5 })
            AssertAllAgree(new NodeDescriptor(OpCode.Rope, S(ElemType.I8, 3, 2 * c), [N(0, xr.Spec), W(0, cs.Spec), N(1, S(ElemType.I32, 2))], [hd]), xr, cs, QTensor.I32([2], p, p + 1));
    }

    /// <summary>Rows of length c built to stress the vector max/compare paths: ties, max at start/end/late, constant rows, extremes.</summary>
    private static QTensor ShapedRows(Random r, ElemType t, int c)
    {
        int min = (int)t.Min(), max = (int)t.Max();
        List<int[]> rows =
        [
            [.. Enumerable.Range(0, c).Select(_ => r.Next(-2, 3))],                            // few values: many ties
            [.. Enumerable.Repeat(min, c)], [.. Enumerable.Repeat(max, c)],                     // constant rows
            [.. Enumerable.Range(0, c).Select(j => j == 0 ? max : r.Next(min, max))],           // max at the start
            [.. Enumerable.Range(0, c).Select(j => j == c - 1 ? max : r.Next(min, max))],       // max at the end
            [.. Enumerable.Range(0, c).Select(j => j >= c - 2 ? max - 1 : r.Next(min, max - 1))], // tie in the last two
            [.. Enumerable.Range(0, c).Select(j => r.Next(2) == 0 ? min : max)],               // largest spread
            [.. Enumerable.Range(0, c).Select(j => j == c / 2 ? min + 1 : min)],                // one bump in the middle
        ];
        return QTensor.FromInts(t, [rows.Count, c], [.. rows.SelectMany(x => x)]);
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void ArgmaxSoftmaxShapedSweep(int c)
    {
        var r = new Random(7000 + c);
        var clampLut = Rand(r, S(ElemType.I32, 256), 0.3); // negatives and > 2^15 exercise the exp-table clamp
        var zeroLut = Const(S(ElemType.I32, 256), 0);       // Z = 0: all-zero output
        foreach (var t in new[] { ElemType.I8, ElemType.I16, ElemType.I32 })
        {
            var x = ShapedRows(r, t, c);
            var o = AssertAllAgree(new NodeDescriptor(OpCode.Argmax, S(ElemType.I32, x.Spec.Dims[0]), [N(0, x.Spec)]), x).ToInts();
            Assert.Equal(0, o[1]); // constant rows: lowest index
            Assert.Equal(c - 1, o[4]);
            foreach (var (lut, m, s) in new[] { (ExpLut(3), 1, 0), (ExpLut(30), int.MaxValue, 0), (ExpLut(1), int.MinValue, 0), (clampLut, r.Next(), r.Next(0, 40)), (zeroLut, 1, 0) })
                AssertAllAgree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, x.Spec.Dims[0], c), [N(0, x.Spec), W(0, lut.Spec)], [m, s]), x, lut);
        }
    }

    [Fact]
    public void SoftmaxLongestRowHasZ2Pow31()
    {
        // 65536 equal scores with exp[0] = 2^15: Z = 2^31, the largest uint32 sum; each p = (2^30 + 2^30) / 2^31 = 1.
        var x = Const(S(ElemType.I16, 1, 65536), -7);
        var o = AssertAllAgree(new NodeDescriptor(OpCode.Softmax, S(ElemType.I32, 1, 65536), [N(0, x.Spec), W(0, S(ElemType.I32, 256))], [1, 0]), x, ExpLut(4));
        Assert.All(o.ToInts(), p => Assert.Equal(1, p));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(14, 2)]
    [InlineData(16, 1)]
    [InlineData(32, 3)]
    [InlineData(64, 2)]
    [InlineData(96, 1)]
    [InlineData(128, 4)]
    [InlineData(130, 1)]
    public void RopeSweep(int hd, int heads)
    {
        var r = new Random(8000 + hd * 10 + heads);
        int rows = 4, tableRows = 6;
        var x = Rand(r, S(ElemType.I8, rows, heads * hd), 0.4);
        var cs = Rand(r, S(ElemType.I16, tableRows, hd / 2, 2), 0.3); // full int16 range, including -32768
        var d = new NodeDescriptor(OpCode.Rope, x.Spec, [N(0, x.Spec), W(0, cs.Spec), N(1, S(ElemType.I32, 2))], [hd]);
        foreach (int p in new[] { 0, 2, 3, -2, tableRows - 1, tableRows, int.MaxValue - 1, int.MinValue })
        {
            var o = AssertAllAgree(d, x, cs, QTensor.I32([2], p, 0));
            if (p >= tableRows || p == int.MaxValue - 1) Assert.Equal(x.Data.ToArray(), o.Data.ToArray()); // every position out of range (or wrapped negative)
        }
    }

    [Fact]
    public void PositionAndTokenSelectEdges()
    {
        var posD = new NodeDescriptor(OpCode.Position, S(ElemType.I32, 2), [N(0, S(ElemType.I32, 2), 1)]);
        foreach (int v in new[] { 0, -1, int.MaxValue, int.MinValue })
            AssertAllAgree(posD, QTensor.I32([2], 5, v));
        var pred = QTensor.I32([1], -9);
        foreach (int n in new[] { 0, 2, 4, 7, -1, int.MaxValue })
        {
            var prompt = QTensor.I32([5], n, 11, 12, 13, 14);
            var ts = new NodeDescriptor(OpCode.TokenSelect, S(ElemType.I32, 1), [InputRef.TaskInput(prompt.Spec), N(0, S(ElemType.I32, 2)), N(9, pred.Spec, 1)]);
            foreach (int p in new[] { -1, 0, 1, 3, 4, int.MinValue, int.MaxValue })
                AssertAllAgree(ts, prompt, QTensor.I32([2], p, 0), pred);
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 16, 1)]
    [InlineData(4, 4, 2, 7, 1)]
    [InlineData(8, 2, 64, 33, 1)]
    [InlineData(8, 8, 16, 255, 1)]
    [InlineData(2, 1, 128, 4096, 1)]
    [InlineData(4, 4, 8, 16, 16)]
    [InlineData(2, 2, 33, 3, 3)]
    public void AttentionSweep(int h, int hkv, int hd, int lk, int lq)
    {
        var r = new Random(h * 1000 + hkv * 100 + hd * 10 + lk + lq);
        var lut = ExpLut(8);
        var q = Rand(r, S(ElemType.I8, lq, h * hd), 0.2);
        var k = Rand(r, S(ElemType.I8, lk, hkv * hd), 0.2);
        var v = Rand(r, S(ElemType.I8, lk, hkv * hd), 0.2);
        var mask = QTensor.I32([lk], [.. Enumerable.Range(0, lk).Select(_ => r.Next(4) == 0 ? 0 : r.Next(1, 100))]);
        foreach (int flags in new[] { 0, 1 | 4, 2, 1 | 2 | 4 })
        {
            var ins = new List<QTensor> { q, k, v, lut };
            var refs = new List<InputRef> { N(0, q.Spec), N(1, k.Spec), N(2, v.Spec), W(0, lut.Spec) };
            if ((flags & 1) != 0) { var pos = QTensor.I32([2], r.Next(-1, lk), 0); ins.Add(pos); refs.Add(N(3, pos.Spec)); }
            if ((flags & 2) != 0) { ins.Add(mask); refs.Add(N(4, mask.Spec)); }
            AssertAllAgree(new NodeDescriptor(OpCode.Attention, S(ElemType.I8, lq, h * hd), refs,
                [r.Next(1 << 20, 1 << 30), r.Next(30, 50), -128, 127, h, hkv, r.Next(1, 1 << 30), r.Next(20, 45), flags, 0]), [.. ins]);
        }
    }

    [Theory]
    [MemberData(nameof(SizeData))]
    public void DataMovementSweep(int c)
    {
        var r = new Random(6000 + c);
        foreach (var t in new[] { ElemType.I8, ElemType.I16, ElemType.I32 })
        {
            var table = Rand(r, S(t, 5, c));
            var idx = QTensor.I32([4], r.Next(-2, 7), r.Next(0, 5), r.Next(0, 5), int.MinValue);
            AssertAllAgree(new NodeDescriptor(OpCode.Gather, S(t, 3, c), [W(0, table.Spec), N(0, idx.Spec)], [1]), table, idx);
            var c2 = Rand(r, S(t, 5, 3));
            AssertAllAgree(new NodeDescriptor(OpCode.Concat, S(t, 5, c + 3 + c), [N(0, table.Spec), N(1, c2.Spec), N(2, table.Spec)]), table, c2, table);
            var row = Rand(r, S(t, c));
            foreach (int p in new[] { -1, 0, 4, 5 })
                AssertAllAgree(new NodeDescriptor(OpCode.ScatterRow, table.Spec, [N(9, table.Spec, 1), N(0, row.Spec), N(1, S(ElemType.I32, 2))], [0]), table, row, QTensor.I32([2], p, 0));
        }
    }
}
