using System.Runtime.CompilerServices;
using ILGPU;

// ILGPU's CPU accelerator emits the kernel launcher into a dynamic assembly named ILGPURuntime; it must see the internal
// argument structs and kernels below.
[assembly: InternalsVisibleTo("ILGPURuntime")]

namespace OpmlNode.Inference.Backends.Gpu;

// Kernel argument records. Everything is int: the kernels are integer-only (OPS §1.1) and ILGPU passes unmanaged
// structs by value. Lo/Hi are the clamp bounds of OPS §1.3 already intersected with the output type's range on the host.

internal struct MatMulArgs
{
    public int Count, Stride, N, K, N0, OutType, HasBias, HasPc, M, S, Lo, Hi;
}

internal struct EltArgs
{
    public int Count, Stride, TypeA, TypeB, OutType, M, S, Mb, Lo, Hi;
}

internal struct NormArgs
{
    public int Count, Stride, D, Layer, HasBeta, S, Eps, OutType, Lo, Hi, InType, K;
}

internal struct SoftmaxArgs
{
    public int Count, Stride, C, InType, M, S;
}

internal struct RopeArgs
{
    public int Count, Stride, C, Hd, TableRows;
}

internal struct AttnArgs
{
    public int Count, Stride, Lk, H, Hkv, Hd, Qc, Kc, HasPos, HasMask, Causal, MaskType, PadValue, Ms, Ss, Mo, So, Lo, Hi, Pair0;
}

internal struct GatherArgs
{
    public int Count, Stride, RowBytes, TableRows, First;
}

internal struct ConcatArgs
{
    public int Count, Stride, OutRowBytes, W0, W1, W2, W3, W4, W5, W6, W7;
}

internal struct ScatterArgs
{
    public int Count, Stride, RowBytes, Rows, Offset;
}

/// <summary>
/// ILGPU kernels for OPS §5 (one static method per kernel; the helpers are inlined into them). Tensors are raw
/// little-endian byte views (OPS §1.2) read and written byte by byte, so the kernels do not depend on the device's
/// endianness or on buffer alignment; the one exception, <see cref="MatMulK4"/>, reads int8 quadruples as int32 words
/// and is only used on little-endian devices (every CUDA/OpenCL/x86/ARM device ILGPU supports).
/// Every kernel is a direct transcription of the oracle (<see cref="ScalarBackend"/>); all arithmetic is on int/long/uint/ulong
/// with C#'s wrapping semantics, which ILGPU preserves on every backend. Every kernel is a grid-stride loop over its work
/// items ("one thread per X" below means one work item per X; the host caps the launch at a few device waves).
/// </summary>
internal static class IlgpuKernels
{
    public const int I8 = 1, I16 = 2, I32 = 3;

    // ---- helpers (OPS §1.2, §1.3, §1.6) ----

    /// <summary>Element <paramref name="i"/> of a tensor of type <paramref name="t"/>, sign-extended.</summary>
    public static int Rd(ArrayView<byte> v, int t, long i)
    {
        if (t == I8) return (sbyte)v[i];
        if (t == I16)
        {
            long o = 2 * i;
            return (short)(v[o] | (v[o + 1] << 8));
        }
        return Rd32(v, i);
    }

    public static int Rd32(ArrayView<byte> v, long i)
    {
        long o = 4 * i;
        return v[o] | (v[o + 1] << 8) | (v[o + 2] << 16) | (v[o + 3] << 24);
    }

    public static void Wr(ArrayView<byte> v, int t, long i, int x)
    {
        if (t == I8) { v[i] = (byte)x; return; }
        if (t == I16)
        {
            long o = 2 * i;
            v[o] = (byte)x;
            v[o + 1] = (byte)(x >> 8);
            return;
        }
        Wr32(v, i, x);
    }

    public static void Wr32(ArrayView<byte> v, long i, int x)
    {
        long o = 4 * i;
        v[o] = (byte)x;
        v[o + 1] = (byte)(x >> 8);
        v[o + 2] = (byte)(x >> 16);
        v[o + 3] = (byte)(x >> 24);
    }

    /// <summary>OPS §1.3 RoundShift, s in 0..62.</summary>
    public static long RoundShift(long x, int s) => s == 0 ? x : (x + (1L << (s - 1))) >> s;

    /// <summary>Clamp to [lo, hi] where lo/hi already include the output type's range.</summary>
    public static int ClampL(long v, int lo, int hi) => v < lo ? lo : v > hi ? hi : (int)v;

    public static int ClampI(int v, int lo, int hi) => v < lo ? lo : v > hi ? hi : v;

    /// <summary>
    /// OPS §1.6 isqrt: largest r with r·r ≤ v. Digit-by-digit with a fixed 32 iterations (no data-dependent trip count,
    /// so every GPU lane runs the same loop); the iterations where bit &gt; v leave r = 0, exactly as the oracle's
    /// initial "while (bit &gt; v) bit &gt;&gt;= 2" would.
    /// </summary>
    public static ulong Isqrt(ulong v)
    {
        ulong r = 0, bit = 1UL << 62;
        for (int it = 0; it < 32; it++)
        {
            ulong t = r + bit;
            if (v >= t) { v -= t; r = (r >> 1) + bit; }
            else r >>= 1;
            bit >>= 2;
        }
        return r;
    }

    /// <summary>OPS §5.7 prescale t = clamp(Requant(x, M, s), −2^30, 2^30 − 1).</summary>
    public static int Prescale(int x, int m, int s)
    {
        long t = RoundShift((long)x * m, s);
        const long lo = -(1L << 30), hi = (1L << 30) - 1;
        return (int)(t < lo ? lo : t > hi ? hi : t);
    }

    /// <summary>OPS §5.7 e_j for distance d ≥ 0.</summary>
    public static uint ExpOf(ArrayView<byte> exp, int d) => d <= 255 ? (uint)ClampI(Rd32(exp, d), 0, 32768) : 0u;

    /// <summary>OPS §5.7 p_j = Z = 0 ? 0 : (e·2^15 + Z/2) / Z (uint32).</summary>
    public static int Prob(uint e, uint z) => z == 0 ? 0 : (int)((e * 32768u + z / 2) / z);

    // ---- §5.1 MatMul: one thread per output element ----

    private static int Finish(int acc, int row, ArrayView<byte> bias, ArrayView<byte> pc, MatMulArgs p)
    {
        if (p.HasBias != 0) acc += Rd32(bias, row); // wrap32
        if (p.OutType == I32) return acc;
        int mul = p.M, s = p.S;
        if (p.HasPc != 0)
        {
            mul = Rd32(pc, 2L * row);
            s = ClampI(Rd32(pc, 2L * row + 1), 0, 62);
        }
        return ClampL(RoundShift((long)acc * mul, s), p.Lo, p.Hi);
    }

    public static void MatMul(Index1D idx, ArrayView<byte> a, ArrayView<byte> w, ArrayView<byte> bias, ArrayView<byte> pc, ArrayView<byte> o, MatMulArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int m = e / p.N, j = e - m * p.N, row = p.N0 + j;
            long ab = (long)m * p.K, wb = (long)row * p.K;
            int acc = 0;
            for (int x = 0; x < p.K; x++) acc += (sbyte)a[ab + x] * (sbyte)w[wb + x];
            Wr(o, p.OutType, e, Finish(acc, row, bias, pc, p));
        }
    }

    /// <summary>MatMul for K % 4 == 0: A and W viewed as int32 words, four int8 lanes each (little-endian device).</summary>
    public static void MatMulK4(Index1D idx, ArrayView<int> a, ArrayView<int> w, ArrayView<byte> bias, ArrayView<byte> pc, ArrayView<byte> o, MatMulArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int m = e / p.N, j = e - m * p.N, row = p.N0 + j, k4 = p.K >> 2;
            long ab = (long)m * k4, wb = (long)row * k4;
            int acc = 0;
            for (int x = 0; x < k4; x++)
            {
                int av = a[ab + x], wv = w[wb + x];
                acc += ((av << 24) >> 24) * ((wv << 24) >> 24)
                     + ((av << 16) >> 24) * ((wv << 16) >> 24)
                     + ((av << 8) >> 24) * ((wv << 8) >> 24)
                     + (av >> 24) * (wv >> 24);
            }
            Wr(o, p.OutType, e, Finish(acc, row, bias, pc, p));
        }
    }

    // ---- §5.2–5.5 elementwise: one thread per element ----

    public static void Add(Index1D idx, ArrayView<byte> a, ArrayView<byte> b, ArrayView<byte> o, EltArgs p)
    {
        for (int i = idx; i < p.Count; i += p.Stride)
        {
            long x = (long)Rd(a, p.TypeA, i) * p.M + (long)Rd(b, p.TypeB, i) * p.Mb;
            Wr(o, p.OutType, i, ClampL(RoundShift(x, p.S), p.Lo, p.Hi));
        }
    }

    public static void Mul(Index1D idx, ArrayView<byte> a, ArrayView<byte> b, ArrayView<byte> o, EltArgs p)
    {
        for (int i = idx; i < p.Count; i += p.Stride)
        {
            int prod = Rd(a, p.TypeA, i) * Rd(b, p.TypeB, i);
            Wr(o, p.OutType, i, ClampL(RoundShift((long)prod * p.M, p.S), p.Lo, p.Hi));
        }
    }

    public static void Requant(Index1D idx, ArrayView<byte> a, ArrayView<byte> o, EltArgs p)
    {
        for (int i = idx; i < p.Count; i += p.Stride)
        {
            Wr(o, p.OutType, i, ClampL(RoundShift((long)Rd(a, p.TypeA, i) * p.M, p.S), p.Lo, p.Hi));
        }
    }

    public static void Lut(Index1D idx, ArrayView<byte> x, ArrayView<byte> table, ArrayView<byte> o, EltArgs p)
    {
        for (int i = idx; i < p.Count; i += p.Stride)
        {
            Wr(o, p.OutType, i, Rd(table, p.OutType, (sbyte)x[i] + 128));
        }
    }

    // ---- §5.6 Norm: per-row statistics, then one thread per element ----

    /// <summary>stats[3r] = S1 (exact in int32 for I8 and I16 x), stats[3r+1..3r+2] = inv = 2^k / isqrt(V + eps) (int64, low word first).</summary>
    public static void NormStats(Index1D idx, ArrayView<byte> x, ArrayView<int> stats, NormArgs p)
    {
        for (int r = idx; r < p.Count; r += p.Stride)
        {
            long b = (long)r * p.D;
            long s1 = 0, s2 = 0;
            for (int i = 0; i < p.D; i++)
            {
                long v = Rd(x, p.InType, b + i);
                s1 += v;
                s2 += v * v;
            }
            ulong var = p.Layer != 0 ? (ulong)(p.D * s2 - s1 * s1) : (ulong)p.D * (ulong)s2;
            ulong sd = Isqrt(var + (ulong)p.Eps);
            long inv = (long)((1UL << p.K) / sd);
            stats[3 * r] = (int)s1;
            stats[3 * r + 1] = (int)inv;
            stats[3 * r + 2] = (int)(inv >> 32);
        }
    }

    public static void NormApply(Index1D idx, ArrayView<byte> x, ArrayView<byte> g, ArrayView<byte> beta, ArrayView<int> stats, ArrayView<byte> o, NormArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int r = e / p.D, i = e - r * p.D;
            long xv = Rd(x, p.InType, e);
            long c = p.Layer != 0 ? p.D * xv - stats[3 * r] : p.D * xv;
            long inv = (long)(((ulong)(uint)stats[3 * r + 2] << 32) | (uint)stats[3 * r + 1]);
            long n = RoundShift(c * inv, p.K - 14);
            long y = n * Rd(g, I16, i) + (p.HasBeta != 0 ? Rd32(beta, i) : 0);
            Wr(o, p.OutType, e, ClampL(RoundShift(y, p.S), p.Lo, p.Hi));
        }
    }

    // ---- §5.7 Softmax: per-row max and Z, then one thread per element ----

    /// <summary>stats[2r] = m (max prescaled score), stats[2r+1] = Z (uint32 bits).</summary>
    public static void SoftmaxStats(Index1D idx, ArrayView<byte> x, ArrayView<byte> exp, ArrayView<int> stats, SoftmaxArgs p)
    {
        for (int r = idx; r < p.Count; r += p.Stride)
        {
            long b = (long)r * p.C;
            int m = int.MinValue;
            for (int j = 0; j < p.C; j++)
            {
                int t = Prescale(Rd(x, p.InType, b + j), p.M, p.S);
                if (t > m) m = t;
            }
            uint z = 0;
            for (int j = 0; j < p.C; j++) z += ExpOf(exp, m - Prescale(Rd(x, p.InType, b + j), p.M, p.S));
            stats[2 * r] = m;
            stats[2 * r + 1] = (int)z;
        }
    }

    public static void SoftmaxApply(Index1D idx, ArrayView<byte> x, ArrayView<byte> exp, ArrayView<int> stats, ArrayView<byte> o, SoftmaxArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int r = e / p.C;
            uint ev = ExpOf(exp, stats[2 * r] - Prescale(Rd(x, p.InType, e), p.M, p.S));
            Wr32(o, e, Prob(ev, (uint)stats[2 * r + 1]));
        }
    }

    // ---- §5.8 Rope: one thread per (row, pair) ----

    public static void Rope(Index1D idx, ArrayView<byte> x, ArrayView<byte> cs, ArrayView<byte> pos, ArrayView<byte> o, RopeArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int half = p.C >> 1;
            int r = e / half, col = 2 * (e - r * half);
            long at = (long)r * p.C + col;
            int a = (sbyte)x[at], b = (sbyte)x[at + 1];
            int q = Rd32(pos, 0) + r; // wrap32
            int y0 = a, y1 = b;
            if (q >= 0 && q < p.TableRows)
            {
                int hh = p.Hd >> 1;
                long t = ((long)q * hh + (col % p.Hd) / 2) * 2;
                int c = Rd(cs, I16, t), s = Rd(cs, I16, t + 1);
                y0 = ClampL(RoundShift(a * c - b * s, 14), -128, 127);
                y1 = ClampL(RoundShift(a * s + b * c, 14), -128, 127);
            }
            o[at] = (byte)y0;
            o[at + 1] = (byte)y1;
        }
    }

    // ---- §5.9 Attention: scores per (pair, key), stats per pair, output per (pair, channel) ----
    // A "pair" is (query row i, head h), pair = i·H + h; a launch covers pairs [Pair0, Pair0 + count).

    private static bool Allowed(int i, int j, ArrayView<byte> pos, ArrayView<byte> mask, AttnArgs p)
    {
        long qpos = (long)(p.HasPos != 0 ? Rd32(pos, 0) : 0) + i;
        if (p.Causal != 0 && j > qpos) return false;
        return p.HasMask == 0 || Rd(mask, p.MaskType, j) != p.PadValue;
    }

    public static void AttnScores(Index1D idx, ArrayView<byte> q, ArrayView<byte> k, ArrayView<int> scores, AttnArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int local = e / p.Lk, j = e - local * p.Lk;
            int pair = p.Pair0 + local, i = pair / p.H, h = pair - i * p.H, g = h / (p.H / p.Hkv);
            long qb = (long)i * p.Qc + (long)h * p.Hd, kb = (long)j * p.Kc + (long)g * p.Hd;
            int x = 0;
            for (int d = 0; d < p.Hd; d++) x += (sbyte)q[qb + d] * (sbyte)k[kb + d]; // wrap32 like the oracle
            scores[e] = Prescale(x, p.Ms, p.Ss);
        }
    }

    /// <summary>stats[2·local] = m over allowed keys, stats[2·local+1] = Z (0 when nothing is allowed).</summary>
    public static void AttnStats(Index1D idx, ArrayView<int> scores, ArrayView<byte> exp, ArrayView<byte> pos, ArrayView<byte> mask, ArrayView<int> stats, AttnArgs p)
    {
        for (int local = idx; local < p.Count; local += p.Stride)
        {
            int i = (p.Pair0 + local) / p.H;
            long b = (long)local * p.Lk;
            int m = int.MinValue;
            bool any = false;
            for (int j = 0; j < p.Lk; j++)
            {
                if (!Allowed(i, j, pos, mask, p)) continue;
                any = true;
                int t = scores[b + j];
                if (t > m) m = t;
            }
            uint z = 0;
            if (any)
                for (int j = 0; j < p.Lk; j++)
                    if (Allowed(i, j, pos, mask, p)) z += ExpOf(exp, m - scores[b + j]);
            stats[2 * local] = m;
            stats[2 * local + 1] = (int)z;
        }
    }

    public static void AttnOut(Index1D idx, ArrayView<int> scores, ArrayView<byte> v, ArrayView<byte> exp, ArrayView<byte> pos, ArrayView<byte> mask, ArrayView<int> stats, ArrayView<byte> o, AttnArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int local = e / p.Hd, c = e - local * p.Hd;
            int pair = p.Pair0 + local, i = pair / p.H, h = pair - i * p.H, g = h / (p.H / p.Hkv);
            int m = stats[2 * local];
            uint z = (uint)stats[2 * local + 1];
            long b = (long)local * p.Lk, vb = (long)g * p.Hd + c;
            int acc = 0;
            if (z != 0)
                for (int j = 0; j < p.Lk; j++)
                {
                    if (!Allowed(i, j, pos, mask, p)) continue;
                    int pj = Prob(ExpOf(exp, m - scores[b + j]), z);
                    acc += pj * (sbyte)v[(long)j * p.Kc + vb];
                }
            o[(long)i * p.Qc + (long)h * p.Hd + c] = (byte)ClampL(RoundShift((long)acc * p.Mo, p.So), p.Lo, p.Hi);
        }
    }

    // ---- §5.10–5.15 data movement ----

    /// <summary>One thread per output byte.</summary>
    public static void Gather(Index1D idx, ArrayView<byte> table, ArrayView<byte> index, ArrayView<byte> o, GatherArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int r = e / p.RowBytes, b = e - r * p.RowBytes;
            int t = Rd32(index, (long)p.First + r);
            o[e] = t >= 0 && t < p.TableRows ? table[(long)t * p.RowBytes + b] : (byte)0;
        }
    }

    /// <summary>One thread per row; lowest index on ties.</summary>
    public static void Argmax(Index1D idx, ArrayView<byte> x, ArrayView<byte> o, SoftmaxArgs p)
    {
        for (int r = idx; r < p.Count; r += p.Stride)
        {
            long b = (long)r * p.C;
            int best = 0, bestV = Rd(x, p.InType, b);
            for (int j = 1; j < p.C; j++)
            {
                int v = Rd(x, p.InType, b + j);
                if (v > bestV) { bestV = v; best = j; }
            }
            Wr32(o, r, best);
        }
    }

    /// <summary>One thread per output byte; inputs beyond the node's count are never read (their width is 0).</summary>
    public static void Concat(Index1D idx, ArrayView<byte> i0, ArrayView<byte> i1, ArrayView<byte> i2, ArrayView<byte> i3,
        ArrayView<byte> i4, ArrayView<byte> i5, ArrayView<byte> i6, ArrayView<byte> i7, ArrayView<byte> o, ConcatArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int r = e / p.OutRowBytes, c = e - r * p.OutRowBytes;
            byte v;
            if (c < p.W0) v = i0[(long)r * p.W0 + c];
            else if ((c -= p.W0) < p.W1) v = i1[(long)r * p.W1 + c];
            else if ((c -= p.W1) < p.W2) v = i2[(long)r * p.W2 + c];
            else if ((c -= p.W2) < p.W3) v = i3[(long)r * p.W3 + c];
            else if ((c -= p.W3) < p.W4) v = i4[(long)r * p.W4 + c];
            else if ((c -= p.W4) < p.W5) v = i5[(long)r * p.W5 + c];
            else if ((c -= p.W5) < p.W6) v = i6[(long)r * p.W6 + c];
            else { c -= p.W6; v = i7[(long)r * p.W7 + c]; }
            o[e] = v;
        }
    }

    /// <summary>One thread per output byte: buf, except row pos[0] + offset (wrap32) when it is in range.</summary>
    public static void ScatterRow(Index1D idx, ArrayView<byte> buf, ArrayView<byte> row, ArrayView<byte> pos, ArrayView<byte> o, ScatterArgs p)
    {
        for (int e = idx; e < p.Count; e += p.Stride)
        {
            int target = Rd32(pos, 0) + p.Offset; // wrap32
            int r = e / p.RowBytes;
            o[e] = r == target ? row[e - r * p.RowBytes] : buf[e];
        }
    }

    /// <summary>Single thread: Out = [prev[1], wrap32(prev[1] + 1)].</summary>
    public static void Position(Index1D idx, ArrayView<byte> prev, ArrayView<byte> o)
    {
        int p1 = Rd32(prev, 1);
        Wr32(o, 0, p1);
        Wr32(o, 1, p1 + 1);
    }

    /// <summary>Single thread: prompt token at pos, or the previous prediction. lmax is passed in (count(prompt) − 1).</summary>
    public static void TokenSelect(Index1D idx, ArrayView<byte> prompt, ArrayView<byte> pos, ArrayView<byte> pred, ArrayView<byte> o, int lmax)
    {
        int n = Rd32(prompt, 0), q = Rd32(pos, 0);
        int lim = n < lmax ? n : lmax;
        Wr32(o, 0, q >= 0 && q < lim ? Rd32(prompt, 1L + q) : Rd32(pred, 0));
    }
}
