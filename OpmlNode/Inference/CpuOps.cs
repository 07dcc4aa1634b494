using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OpmlNode.Inference;

/// <summary>
/// Fast CPU backend. MatMul and Attention use the SIMD int8 dot kernels of <see cref="Int8Dot"/>; elementwise ops are
/// operator structs run by one shared driver (<see cref="Elementwise"/>); Softmax, Argmax and Rope use the vector kernels of
/// <see cref="VecOps"/>; the data-movement ops are span copies. Tested equal to <see cref="ScalarOps"/> by tensor root at
/// every <see cref="SimdLevel"/>.
/// </summary>
public sealed class CpuOps(SimdLevel level = SimdLevel.Avx512, int maxThreads = 0) : IOpBackend
{
    public static readonly CpuOps Instance = new();

    /// <summary>The vector path actually used (requested level capped by the hardware).</summary>
    public SimdLevel Level { get; } = Int8Dot.Cap(level);

    /// <summary>Cores a large MatMul row may use (0 = all); 1 for single-thread benchmarks.</summary>
    public int MaxThreads { get; } = maxThreads > 0 ? maxThreads : Environment.ProcessorCount;

    public string Name => $"cpu-{Level}";

    public void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        var ins = OpBackendExtensions.PrepareInputs(d, inputs, output);
        switch (d.Op)
        {
            case OpCode.MatMul: MatMul(d, ins, output); break;
            case OpCode.Attention: Attention(d, ins, output); break;
            case OpCode.Norm: Norm(d, ins, output); break;
            case OpCode.Add:
                Elementwise.Binary(new AddOp(d.P(0), d.P(4), d.P(1)), ins[0].Span, d.In(0).Type, ins[1].Span, d.In(1).Type, output, d.Output.Type, d.P(2), d.P(3));
                break;
            case OpCode.Mul:
                Elementwise.Binary(new MulOp(d.P(0), d.P(1)), ins[0].Span, d.In(0).Type, ins[1].Span, d.In(1).Type, output, d.Output.Type, d.P(2), d.P(3));
                break;
            case OpCode.Requant:
                Elementwise.Binary(new RequantOp(d.P(0), d.P(1)), ins[0].Span, d.In(0).Type, ins[0].Span, d.In(0).Type, output, d.Output.Type, d.P(2), d.P(3));
                break;
            case OpCode.Lut: Lut(d, ins, output); break;
            case OpCode.Softmax: Softmax(d, ins, output); break;
            case OpCode.Rope: Rope(d, ins, output); break;
            case OpCode.Argmax: Argmax(d, ins, output); break;
            case OpCode.Gather: Gather(d, ins, output); break;
            case OpCode.Concat: Concat(d, ins, output); break;
            case OpCode.ScatterRow: ScatterRow(d, ins, output); break;
            case OpCode.Position:
            {
                int prev1 = I32(ins[0])[1];
                I32(output)[0] = prev1;
                I32(output)[1] = unchecked(prev1 + 1);
                break;
            }
            case OpCode.TokenSelect:
            {
                var prompt = I32(ins[0]);
                int p = I32(ins[1])[0];
                I32(output)[0] = p >= 0 && p < Math.Min(prompt[0], prompt.Length - 1) ? prompt[1 + p] : I32(ins[2])[0];
                break;
            }
            default: throw new InvalidDescriptorException($"unknown op {d.Op}");
        }
    }

    private static ReadOnlySpan<sbyte> I8(ReadOnlyMemory<byte> m) => MemoryMarshal.Cast<byte, sbyte>(m.Span);

    private static ReadOnlySpan<int> I32(ReadOnlyMemory<byte> m) => MemoryMarshal.Cast<byte, int>(m.Span);

    private static Span<int> I32(Span<byte> b) => MemoryMarshal.Cast<byte, int>(b);

    private void MatMul(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.Output.Rows, n = d.Output.Cols, k = d.In(1).Dims[1], n0 = d.P(4);
        bool bias = (d.P(5) & OpRules.MatMulBias) != 0, pc = (d.P(5) & OpRules.MatMulPerChannel) != 0;
        var biasSpan = bias ? MemoryMarshal.Cast<byte, int>(ins[2].Span) : default;
        var pcSpan = pc ? MemoryMarshal.Cast<byte, int>(ins[bias ? 3 : 2].Span) : default;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("CpuOps assumes a little-endian host");
        int[] rented = ArrayPool<int>.Shared.Rent(n);
        var acc = rented.AsSpan(0, n);
        try
        {
            for (int m = 0; m < rows; m++)
            {
                MatVecRow(ins[0], ins[1], m, k, n0, n, rented);
                if (bias) for (int j = 0; j < n; j++) acc[j] = unchecked(acc[j] + biasSpan[n0 + j]);
                var ot = d.Output.Type;
                var orow = output.Slice(m * n * ot.Size(), n * ot.Size());
                if (ot == ElemType.I32) MemoryMarshal.Cast<int, byte>(acc).CopyTo(orow);
                else if (pc)
                    for (int j = 0; j < n; j++)
                        ElemTypes.Write(orow, ot, j, QMath.Clamp(QMath.Requant(acc[j], pcSpan[2 * (n0 + j)], Math.Clamp(pcSpan[2 * (n0 + j) + 1], 0, OpRules.MaxShift)), d.P(2), d.P(3), ot));
                else if (ot == ElemType.I8)
                {
                    var o8 = MemoryMarshal.Cast<byte, sbyte>(orow);
                    int mul = d.P(0), s = d.P(1), qmin = d.P(2), qmax = d.P(3);
                    for (int j = 0; j < n; j++) o8[j] = (sbyte)QMath.Clamp(QMath.Requant(acc[j], mul, s), qmin, qmax, ElemType.I8);
                }
                else
                    for (int j = 0; j < n; j++) ElemTypes.Write(orow, ot, j, QMath.Clamp(QMath.Requant(acc[j], d.P(0), d.P(1)), d.P(2), d.P(3), ot));
            }
        }
        finally { ArrayPool<int>.Shared.Return(rented); }
    }

    /// <summary>Below this many multiply-accumulates a row stays on one thread (fork/join costs more than it saves).</summary>
    private const long ParallelMacs = 1 << 20;

    /// <summary>
    /// acc[j] = A[m]·W[n0 + j] for j &lt; n, split over cores by output columns when large. Integer sums do not depend on
    /// the split, so the result is the same bits on any core count (OPS §1).
    /// </summary>
    private void MatVecRow(ReadOnlyMemory<byte> aMem, ReadOnlyMemory<byte> wMem, int m, int k, int n0, int n, int[] acc)
    {
        int chunks = (long)n * k >= ParallelMacs ? Math.Min(MaxThreads, n / 64) : 1;
        if (chunks <= 1)
        {
            var a = I8(aMem); var w = I8(wMem);
            MatVec(ref Unsafe.AsRef(in a[m * k]), ref Unsafe.AsRef(in w[n0 * k]), n, k, acc.AsSpan(0, n));
            return;
        }
        int per = (n / chunks + 3) & ~3; // multiples of 4 keep the 4-row kernel busy
        Parallel.For(0, chunks, c =>
        {
            int j0 = c * per, j1 = Math.Min(n, j0 + per);
            if (j0 >= j1) return;
            var a = I8(aMem); var w = I8(wMem);
            MatVec(ref Unsafe.AsRef(in a[m * k]), ref Unsafe.AsRef(in w[(n0 + j0) * k]), j1 - j0, k, acc.AsSpan(j0, j1 - j0));
        });
    }

    /// <summary>acc[j] = Σ_k a[k]·w[j, k] for j &lt; n (w rows contiguous, stride k).</summary>
    internal void MatVec(ref sbyte a, ref sbyte w, int n, int k, Span<int> acc)
    {
        int j = 0;
        for (; j <= n - 4; j += 4) Int8Dot.Dot4(ref a, ref Unsafe.Add(ref w, (nint)j * k), k, k, Level, acc.Slice(j, 4));
        for (; j < n; j++) acc[j] = Int8Dot.Dot(ref a, ref Unsafe.Add(ref w, (nint)j * k), k, Level);
    }

    private void Attention(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int flags = d.P(8);
        bool hasPos = (flags & OpRules.AttnPos) != 0, hasMask = (flags & OpRules.AttnMask) != 0, causal = (flags & OpRules.AttnCausal) != 0;
        int h = d.P(4), hkv = d.P(5), lq = d.In(0).Rows, qc = d.In(0).Cols, hd = qc / h, lk = d.In(1).Rows, kc = d.In(1).Cols;
        int pos0 = hasPos ? BinaryPrimitives.ReadInt32LittleEndian(ins[4].Span) : 0;
        int maskInput = hasPos ? 5 : 4;
        var q = I8(ins[0]); var kk = I8(ins[1]); var v = I8(ins[2]);
        var lut = MemoryMarshal.Cast<byte, int>(ins[3].Span);
        var t = new int[lk]; var p = new int[lk]; var allowed = new bool[lk]; var acc = new int[hd];
        var o8 = MemoryMarshal.Cast<byte, sbyte>(output);
        for (int i = 0; i < lq; i++)
        {
            long qpos = (long)pos0 + i;
            for (int j = 0; j < lk; j++)
                allowed[j] = (!causal || j <= qpos) && (!hasMask || ElemTypes.Read(ins[maskInput].Span, d.In(maskInput).Type, j) != d.P(9));
            for (int head = 0; head < h; head++)
            {
                int g = head / (h / hkv);
                ref sbyte qr = ref Unsafe.AsRef(in q[i * qc + head * hd]);
                for (int j = 0; j < lk; j++)
                    t[j] = allowed[j] ? QMath.SoftmaxPrescale(Int8Dot.Dot(ref qr, ref Unsafe.AsRef(in kk[j * kc + g * hd]), hd, Level), d.P(6), d.P(7)) : 0;
                QMath.SoftmaxRow(t, allowed, lut, p);
                Array.Clear(acc);
                for (int j = 0; j < lk; j++)
                    if (p[j] != 0) AxpyI8(p[j], v.Slice(j * kc + g * hd, hd), acc);
                for (int e = 0; e < hd; e++)
                    o8[i * qc + head * hd + e] = (sbyte)QMath.Clamp(QMath.Requant(acc[e], d.P(0), d.P(1)), d.P(2), d.P(3), ElemType.I8);
            }
        }
    }

    /// <summary>acc[e] += p · x[e] (int8 widened to int32).</summary>
    private void AxpyI8(int p, ReadOnlySpan<sbyte> x, Span<int> acc)
    {
        int e = 0;
        if (Level >= SimdLevel.Vector128 && Vector256.IsHardwareAccelerated)
        {
            var vp = Vector256.Create(p);
            ref int ar = ref MemoryMarshal.GetReference(acc);
            for (; e <= x.Length - 16; e += 16)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Create(x.Slice(e, 16)));
                var lw = Vector256.Widen(Vector256.Create(lo, hi));
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref ar, (nuint)e) + lw.Lower * vp, ref ar, (nuint)e);
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref ar, (nuint)(e + 8)) + lw.Upper * vp, ref ar, (nuint)(e + 8));
            }
        }
        for (; e < x.Length; e++) acc[e] += p * x[e];
    }

    private void Norm(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, dim = d.In(0).Cols;
        bool layer = d.P(0) == OpRules.NormLayer, beta = (d.P(5) & OpRules.NormBeta) != 0;
        var x = I8(ins[0]);
        var g = MemoryMarshal.Cast<byte, short>(ins[1].Span);
        var b = beta ? MemoryMarshal.Cast<byte, int>(ins[2].Span) : default;
        var ot = d.Output.Type;
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * dim, dim);
            int s2 = Int8Dot.Dot(xr, xr, Level);
            int s1 = 0;
            foreach (sbyte e in xr) s1 += e;
            ulong var = layer ? (ulong)((long)dim * s2 - (long)s1 * s1) : (ulong)dim * (ulong)s2;
            ulong sd = QMath.Isqrt(var + (ulong)d.P(4));
            int inv = (int)((1UL << 30) / sd);
            int sub = layer ? s1 : 0;
            for (int i = 0; i < dim; i++)
            {
                long n = QMath.RoundShift((long)(dim * xr[i] - sub) * inv, 16);
                long y = n * g[i] + (beta ? b[i] : 0);
                ElemTypes.Write(output, ot, r * dim + i, QMath.Clamp(QMath.RoundShift(y, d.P(1)), d.P(2), d.P(3), ot));
            }
        }
    }

    private void Softmax(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, c = d.In(0).Cols, mul = d.P(0), s = d.P(1);
        Span<int> lut = stackalloc int[256];
        for (int i = 0; i < 256; i++) lut[i] = Math.Clamp(I32(ins[1])[i], 0, 32768);
        var t = new int[c];
        for (int r = 0; r < rows; r++)
        {
            switch (d.In(0).Type)
            {
                case ElemType.I8: Prescale(I8(ins[0]).Slice(r * c, c), t, mul, s); break;
                case ElemType.I16: Prescale(MemoryMarshal.Cast<byte, short>(ins[0].Span).Slice(r * c, c), t, mul, s); break;
                default: Prescale(I32(ins[0]).Slice(r * c, c), t, mul, s); break;
            }
            SoftmaxRow(t, lut, I32(output).Slice(r * c, c));
        }
    }

    private static void Prescale<T>(ReadOnlySpan<T> x, Span<int> t, int mul, int s) where T : unmanaged, IBinaryInteger<T>
    {
        for (int j = 0; j < x.Length; j++) t[j] = QMath.SoftmaxPrescale(int.CreateTruncating(x[j]), mul, s);
    }

    /// <summary>OPS §5.7 with every position allowed; <paramref name="lut"/> is the exp table already clamped to [0, 2^15].</summary>
    private void SoftmaxRow(ReadOnlySpan<int> t, ReadOnlySpan<int> lut, Span<int> p)
    {
        int m = VecOps.Max(t, Level);
        uint z = 0; // ≤ 65536 · 2^15 = 2^31: exact in uint32
        for (int j = 0; j < t.Length; j++)
        {
            uint dist = (uint)(m - t[j]); // in [0, 2^31 − 1]: t is clamped to ±2^30
            int e = dist <= 255 ? lut[(int)dist] : 0;
            p[j] = e;
            z += (uint)e;
        }
        if (z == 0) return; // every e_j was 0, so p is already all zero
        uint half = z / 2;
        for (int j = 0; j < p.Length; j++) p[j] = (int)(((uint)p[j] * 32768u + half) / z);
    }

    private void Argmax(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, c = d.In(0).Cols;
        var o = I32(output);
        for (int r = 0; r < rows; r++)
            o[r] = d.In(0).Type switch
            {
                ElemType.I8 => VecOps.Argmax(I8(ins[0]).Slice(r * c, c), Level),
                ElemType.I16 => VecOps.Argmax(MemoryMarshal.Cast<byte, short>(ins[0].Span).Slice(r * c, c), Level),
                _ => VecOps.Argmax(I32(ins[0]).Slice(r * c, c), Level),
            };
    }

    private void Rope(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int rows = d.In(0).Rows, c = d.In(0).Cols, hd = d.P(0), tableRows = d.In(1).Dims[0], pos0 = I32(ins[2])[0];
        var x = I8(ins[0]); var o = MemoryMarshal.Cast<byte, sbyte>(output);
        var cs = MemoryMarshal.Cast<byte, short>(ins[1].Span);
        x.CopyTo(o); // rows whose position is outside the table stay the identity
        var cc = new int[hd]; var ss = new int[hd];
        for (int r = 0; r < rows; r++)
        {
            int q = unchecked(pos0 + r);
            if (q < 0 || q >= tableRows) continue;
            var row = cs.Slice(q * hd, hd); // [hd/2, 2] of (cos, sin)
            for (int i = 0; i < hd; i += 2)
            {
                cc[i] = cc[i + 1] = row[i];
                ss[i] = -row[i + 1];
                ss[i + 1] = row[i + 1];
            }
            for (int h = r * c; h < (r + 1) * c; h += hd) VecOps.RopeHead(x.Slice(h, hd), cc, ss, o.Slice(h, hd), Level);
        }
    }

    private static void Gather(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        var table = d.In(0);
        int rowBytes = table.Cols * table.Type.Size();
        var idx = I32(ins[1]).Slice(d.P(0), d.Output.Rows);
        for (int r = 0; r < idx.Length; r++)
        {
            var dst = output.Slice(r * rowBytes, rowBytes);
            if ((uint)idx[r] < (uint)table.Rows) ins[0].Span.Slice(idx[r] * rowBytes, rowBytes).CopyTo(dst);
            else dst.Clear();
        }
    }

    private static void Concat(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        int es = d.Output.Type.Size(), off = 0;
        for (int r = 0; r < d.Output.Rows; r++)
            for (int i = 0; i < ins.Length; i++)
            {
                int len = d.In(i).Cols * es;
                ins[i].Span.Slice(r * len, len).CopyTo(output[off..]);
                off += len;
            }
    }

    private static void ScatterRow(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        ins[0].Span.CopyTo(output);
        int r = unchecked(I32(ins[2])[0] + d.P(0)), rowBytes = d.Output.Cols * d.Output.Type.Size();
        if ((uint)r < (uint)d.Output.Rows) ins[1].Span.CopyTo(output.Slice(r * rowBytes, rowBytes));
    }

    private static void Lut(NodeDescriptor d, ReadOnlyMemory<byte>[] ins, Span<byte> output)
    {
        var x = ins[0].Span;
        var table = ins[1].Span;
        switch (d.Output.Type)
        {
            case ElemType.I8:
                for (int i = 0; i < x.Length; i++) output[i] = table[(byte)(x[i] ^ 0x80)];
                break;
            case ElemType.I16:
            {
                var t16 = MemoryMarshal.Cast<byte, short>(table); var o16 = MemoryMarshal.Cast<byte, short>(output);
                for (int i = 0; i < x.Length; i++) o16[i] = t16[(byte)(x[i] ^ 0x80)];
                break;
            }
            default:
            {
                var t32 = MemoryMarshal.Cast<byte, int>(table); var o32 = MemoryMarshal.Cast<byte, int>(output);
                for (int i = 0; i < x.Length; i++) o32[i] = t32[(byte)(x[i] ^ 0x80)];
                break;
            }
        }
    }
}

/// <summary>An elementwise operator: maps two sign-extended inputs to an unclamped int64 (OPS §5.2–5.4).</summary>
public interface IElementwiseOp
{
    long Apply(int a, int b);
}

public readonly struct AddOp(int ma, int mb, int s) : IElementwiseOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Apply(int a, int b) => QMath.RoundShift((long)a * ma + (long)b * mb, s);
}

public readonly struct MulOp(int m, int s) : IElementwiseOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Apply(int a, int b) => QMath.Requant(a * b, m, s);
}

public readonly struct RequantOp(int m, int s) : IElementwiseOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Apply(int a, int b) => QMath.Requant(a, m, s);
}

/// <summary>The shared elementwise driver: specialised per operator struct; an all-int8 fast path, a typed general path.</summary>
public static class Elementwise
{
    public static void Binary<TOp>(TOp op, ReadOnlySpan<byte> a, ElemType ta, ReadOnlySpan<byte> b, ElemType tb, Span<byte> o, ElemType to, int qmin, int qmax)
        where TOp : struct, IElementwiseOp
    {
        long lo = Math.Max(qmin, to.Min()), hi = Math.Min(qmax, to.Max());
        int n = o.Length / to.Size();
        if (ta == ElemType.I8 && tb == ElemType.I8 && to == ElemType.I8)
        {
            var a8 = MemoryMarshal.Cast<byte, sbyte>(a)[..n]; var b8 = MemoryMarshal.Cast<byte, sbyte>(b)[..n]; var o8 = MemoryMarshal.Cast<byte, sbyte>(o);
            for (int i = 0; i < n; i++) o8[i] = (sbyte)Math.Clamp(op.Apply(a8[i], b8[i]), lo, hi);
            return;
        }
        for (int i = 0; i < n; i++)
            ElemTypes.Write(o, to, i, (int)Math.Clamp(op.Apply(ElemTypes.Read(a, ta, i), ElemTypes.Read(b, tb, i)), lo, hi));
    }
}
