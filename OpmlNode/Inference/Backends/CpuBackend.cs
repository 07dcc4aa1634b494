using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Backends;

/// <summary>
/// Fast CPU backend. MatMul and Attention use the SIMD int8 dot kernels of <see cref="Int8Dot"/>; elementwise ops are
/// the ops' operator structs run by one shared driver (<see cref="ElementwiseKernel"/>); Softmax, Argmax and Rope use the vector kernels of
/// <see cref="VecOps"/>; the data-movement ops are span copies. Tested equal to <see cref="ScalarBackend"/> by tensor root at
/// every <see cref="SimdLevel"/>.
/// </summary>
public sealed class CpuBackend(SimdLevel level = SimdLevel.Avx512, int maxThreads = 0) : IOpBackend, IOpKernels<OpIo>
{
    public static readonly CpuBackend Instance = new();

    /// <summary>The vector path actually used (requested level capped by the hardware).</summary>
    public SimdLevel Level { get; } = Int8Dot.Cap(level);

    /// <summary>Cores a large MatMul row may use (0 = all); 1 for single-thread benchmarks.</summary>
    public int MaxThreads { get; } = maxThreads > 0 ? maxThreads : Environment.ProcessorCount;

    public string Name => $"cpu-{Level}";

    public void Execute(NodeDescriptor d, ReadOnlySpan<ReadOnlyMemory<byte>> inputs, Span<byte> output)
    {
        var ins = OpBackendExtensions.PrepareInputs(d, inputs, output);
        d.Parameters.Dispatch(this, new OpIo(d, ins, output));
    }

    public void Add(in AddParams p, OpIo io) => Binary(p.Operator, io, 1, p.QMin, p.QMax);

    public void Mul(in MulParams p, OpIo io) => Binary(p.Operator, io, 1, p.QMin, p.QMax);

    public void Requant(in RequantParams p, OpIo io) => Binary(p.Operator, io, 0, p.QMin, p.QMax);

    private static void Binary<TOp>(TOp op, OpIo io, int second, int qmin, int qmax) where TOp : struct, IElementwiseOperator =>
        ElementwiseKernel.Binary(op, io.In(0), io.InSpec(0).Type, io.In(second), io.InSpec(second).Type, io.Output, io.OutSpec.Type, qmin, qmax);

    public void Position(in PositionParams p, OpIo io) => p.Reference(io);

    public void TokenSelect(in TokenSelectParams p, OpIo io) => p.Reference(io);

    /// <summary>Span copies: the reference is already the fast path.</summary>
    public void Concat(in ConcatParams p, OpIo io) => p.Reference(io);

    /// <summary>Span copies: the reference is already the fast path.</summary>
    public void ScatterRow(in ScatterRowParams p, OpIo io) => p.Reference(io);

    private static ReadOnlySpan<sbyte> I8(ReadOnlyMemory<byte> m) => MemoryMarshal.Cast<byte, sbyte>(m.Span);

    private static Span<int> I32(Span<byte> b) => MemoryMarshal.Cast<byte, int>(b);

    public void MatMul(in MatMulParams p, OpIo io)
    {
        var o = io.OutSpec;
        int rows = o.Rows, n = o.Cols, k = MatMulParams.K(io.Descriptor), n0 = p.N0;
        var biasSpan = p.HasBias ? io.I32(p.BiasInput) : default;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("CpuBackend assumes a little-endian host");
        int[] rented = ArrayPool<int>.Shared.Rent(n);
        var acc = rented.AsSpan(0, n);
        try
        {
            for (int m = 0; m < rows; m++)
            {
                MatVecRow(io.Inputs[0], io.Inputs[1], m, k, n0, n, rented);
                if (p.HasBias) for (int j = 0; j < n; j++) acc[j] = unchecked(acc[j] + biasSpan[n0 + j]);
                var ot = o.Type;
                var orow = io.Output.Slice(m * n * ot.Size(), n * ot.Size());
                if (ot == ElemType.I32) MemoryMarshal.Cast<int, byte>(acc).CopyTo(orow);
                else if (p.PerChannel)
                    for (int j = 0; j < n; j++)
                        ElemTypes.Write(orow, ot, j, QMath.Clamp(QMath.Requant(acc[j], p.ChannelMultiplier(io, j), p.ChannelShift(io, j)), p.QMin, p.QMax, ot));
                else if (ot == ElemType.I8)
                {
                    var o8 = MemoryMarshal.Cast<byte, sbyte>(orow);
                    int mul = p.Multiplier, s = p.Shift, qmin = p.QMin, qmax = p.QMax;
                    for (int j = 0; j < n; j++) o8[j] = (sbyte)QMath.Clamp(QMath.Requant(acc[j], mul, s), qmin, qmax, ElemType.I8);
                }
                else
                    for (int j = 0; j < n; j++) ElemTypes.Write(orow, ot, j, QMath.Clamp(QMath.Requant(acc[j], p.Multiplier, p.Shift), p.QMin, p.QMax, ot));
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

    public void Attention(in AttentionParams p, OpIo io)
    {
        int lq = io.InSpec(0).Rows, qc = io.InSpec(0).Cols, hd = p.HeadDim(io.Descriptor), lk = io.InSpec(1).Rows, kc = io.InSpec(1).Cols;
        int pos0 = p.HasPosition ? io.I32(p.PositionInput)[0] : 0;
        var q = io.I8(0); var kk = io.I8(1); var v = io.I8(2);
        var lut = io.I32(AttentionParams.ExpTableInput);
        var t = new int[lk]; var pr = new int[lk]; var allowed = new bool[lk]; var acc = new int[hd];
        var o8 = MemoryMarshal.Cast<byte, sbyte>(io.Output);
        for (int i = 0; i < lq; i++)
        {
            long qpos = (long)pos0 + i;
            for (int j = 0; j < lk; j++) allowed[j] = p.Allowed(qpos, j, p.HasMask ? io.Get(p.MaskInput, j) : 0);
            for (int head = 0; head < p.Heads; head++)
            {
                int g = head / p.GroupSize;
                ref sbyte qr = ref Unsafe.AsRef(in q[i * qc + head * hd]);
                for (int j = 0; j < lk; j++)
                    t[j] = allowed[j] ? QMath.SoftmaxPrescale(Int8Dot.Dot(ref qr, ref Unsafe.AsRef(in kk[j * kc + g * hd]), hd, Level), p.ScoreMultiplier, p.ScoreShift) : 0;
                QMath.SoftmaxRow(t, allowed, lut, pr);
                Array.Clear(acc);
                for (int j = 0; j < lk; j++)
                    if (pr[j] != 0) AxpyI8(pr[j], v.Slice(j * kc + g * hd, hd), acc);
                for (int e = 0; e < hd; e++)
                    o8[i * qc + head * hd + e] = (sbyte)QMath.Clamp(QMath.Requant(acc[e], p.OutMultiplier, p.OutShift), p.QMin, p.QMax, ElemType.I8);
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

    public void Norm(in NormParams p, OpIo io)
    {
        int rows = io.InSpec(0).Rows, dim = io.InSpec(0).Cols;
        var g = io.I16(1);
        var b = p.HasBeta ? io.I32(2) : default;
        var ot = io.OutSpec.Type;
        bool wide = io.InSpec(0).Type == ElemType.I16;
        int k = NormParams.InverseBits(io.InSpec(0).Type);
        var x8 = wide ? default : io.I8(0);
        var x16 = wide ? io.I16(0) : default;
        for (int r = 0; r < rows; r++)
        {
            long s1, s2;
            if (wide) (s1, s2) = VecOps.SumSquares(x16.Slice(r * dim, dim), Level);
            else
            {
                var xr = x8.Slice(r * dim, dim);
                s2 = Int8Dot.Dot(xr, xr, Level);
                int t = 0;
                foreach (sbyte e in xr) t += e;
                s1 = t;
            }
            long inv = p.InverseStdDev(dim, s1, s2, k);
            long sub = p.IsLayerNorm ? s1 : 0;
            for (int i = 0; i < dim; i++)
            {
                long xv = wide ? x16[r * dim + i] : x8[r * dim + i];
                long n = QMath.RoundShift((dim * xv - sub) * inv, k - 14);
                long y = n * g[i] + (p.HasBeta ? b[i] : 0);
                ElemTypes.Write(io.Output, ot, r * dim + i, QMath.Clamp(QMath.RoundShift(y, p.Shift), p.QMin, p.QMax, ot));
            }
        }
    }

    public void Softmax(in SoftmaxParams p, OpIo io)
    {
        int rows = io.InSpec(0).Rows, c = io.InSpec(0).Cols, mul = p.Multiplier, s = p.Shift;
        Span<int> lut = stackalloc int[256];
        var table = io.I32(1);
        for (int i = 0; i < 256; i++) lut[i] = Math.Clamp(table[i], 0, 32768);
        var t = new int[c];
        for (int r = 0; r < rows; r++)
        {
            switch (io.InSpec(0).Type)
            {
                case ElemType.I8: Prescale(io.I8(0).Slice(r * c, c), t, mul, s); break;
                case ElemType.I16: Prescale(io.I16(0).Slice(r * c, c), t, mul, s); break;
                default: Prescale(io.I32(0).Slice(r * c, c), t, mul, s); break;
            }
            SoftmaxRow(t, lut, I32(io.Output).Slice(r * c, c));
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

    public void Argmax(in ArgmaxParams p, OpIo io)
    {
        int rows = io.InSpec(0).Rows, c = io.InSpec(0).Cols;
        var o = I32(io.Output);
        for (int r = 0; r < rows; r++)
            o[r] = io.InSpec(0).Type switch
            {
                ElemType.I8 => VecOps.Argmax(io.I8(0).Slice(r * c, c), Level),
                ElemType.I16 => VecOps.Argmax(io.I16(0).Slice(r * c, c), Level),
                _ => VecOps.Argmax(io.I32(0).Slice(r * c, c), Level),
            };
    }

    public void Rope(in RopeParams p, OpIo io)
    {
        int rows = io.InSpec(0).Rows, c = io.InSpec(0).Cols, hd = p.HeadDim, tableRows = RopeParams.TableRows(io.Descriptor), pos0 = io.I32(2)[0];
        var x = io.I8(0); var o = MemoryMarshal.Cast<byte, sbyte>(io.Output);
        var cs = io.I16(1);
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

    public void Gather(in GatherParams p, OpIo io)
    {
        var table = io.InSpec(0);
        int rowBytes = table.Cols * table.Type.Size();
        var idx = io.I32(1).Slice(p.First, io.OutSpec.Rows);
        for (int r = 0; r < idx.Length; r++)
        {
            var dst = io.Output.Slice(r * rowBytes, rowBytes);
            if ((uint)idx[r] < (uint)table.Rows) io.In(0).Slice(idx[r] * rowBytes, rowBytes).CopyTo(dst);
            else dst.Clear();
        }
    }

    public void Lut(in LutParams p, OpIo io)
    {
        var x = io.In(0);
        var table = io.In(1);
        var output = io.Output;
        switch (io.OutSpec.Type)
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

/// <summary>The elementwise driver of <see cref="CpuBackend"/>: specialised per operator struct; an all-int8 fast path, a typed general path.</summary>
internal static class ElementwiseKernel
{
    public static void Binary<TOp>(TOp op, ReadOnlySpan<byte> a, ElemType ta, ReadOnlySpan<byte> b, ElemType tb, Span<byte> o, ElemType to, int qmin, int qmax)
        where TOp : struct, IElementwiseOperator
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
