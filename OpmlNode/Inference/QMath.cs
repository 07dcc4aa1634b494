using System.Runtime.CompilerServices;

namespace OpmlNode.Inference;

/// <summary>The rounding, requantisation and integer helpers of OPS §1.3, §1.6 and the softmax row of §5.7.</summary>
public static class QMath
{
    /// <summary>Round half up: (x + 2^(s-1)) &gt;&gt; s, arithmetic shift; s = 0 is the identity (OPS §1.3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long RoundShift(long x, int s) => s == 0 ? x : (x + (1L << (s - 1))) >> s;

    /// <summary>RoundShift((int64)acc * M, s): one 32x32-&gt;64 product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Requant(int acc, int m, int s) => RoundShift((long)acc * m, s);

    /// <summary>Clamp to [max(qmin, min(T)), min(qmax, max(T))].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Clamp(long v, int qmin, int qmax, ElemType t)
    {
        long lo = Math.Max(qmin, t.Min()), hi = Math.Min(qmax, t.Max());
        return (int)(v < lo ? lo : v > hi ? hi : v);
    }

    /// <summary>Largest r with r*r &lt;= v (OPS §1.6); bitwise digit-by-digit, the same algorithm a guest would use.</summary>
    public static ulong Isqrt(ulong v)
    {
        ulong r = 0, bit = 1UL << 62;
        while (bit > v) bit >>= 2;
        while (bit != 0)
        {
            if (v >= r + bit) { v -= r + bit; r = (r >> 1) + bit; }
            else r >>= 1;
            bit >>= 2;
        }
        return r;
    }

    /// <summary>Softmax prescale t = clamp(Requant(x, M, s), -2^30, 2^30 - 1) (OPS §5.7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SoftmaxPrescale(int x, int m, int s)
    {
        long t = Requant(x, m, s);
        return (int)Math.Clamp(t, -(1L << 30), (1L << 30) - 1);
    }

    /// <summary>
    /// OPS §5.7 SoftmaxRow over prescaled scores <paramref name="t"/>; positions with allowed[j] false get p = 0.
    /// Writes Q15 probabilities to <paramref name="p"/>.
    /// </summary>
    public static void SoftmaxRow(ReadOnlySpan<int> t, ReadOnlySpan<bool> allowed, ReadOnlySpan<int> expLut, Span<int> p)
    {
        int n = t.Length;
        bool any = false;
        int m = int.MinValue;
        for (int j = 0; j < n; j++)
            if (allowed[j]) { any = true; if (t[j] > m) m = t[j]; }
        if (!any) { p[..n].Clear(); return; }
        uint z = 0;
        for (int j = 0; j < n; j++)
        {
            uint e = 0;
            if (allowed[j])
            {
                int d = m - t[j];
                if (d <= 255) e = (uint)Math.Clamp(expLut[d], 0, 32768);
            }
            p[j] = (int)e;
            z += e;
        }
        if (z == 0) { p[..n].Clear(); return; }
        uint half = z / 2;
        for (int j = 0; j < n; j++) p[j] = (int)(((uint)p[j] * 32768u + half) / z);
    }
}
