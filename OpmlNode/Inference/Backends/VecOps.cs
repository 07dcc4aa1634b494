using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OpmlNode.Inference.Backends;

/// <summary>
/// Exact integer vector kernels of <see cref="CpuBackend"/> for Softmax, Argmax and Rope, each with a Vector512 (Avx512), Vector256
/// (Avx2), Vector128 and scalar path chosen by the backend's <see cref="SimdLevel"/>. Integer max, compare and the int32
/// products below are exact, so every path gives the oracle's bits.
/// </summary>
internal static class VecOps
{
    /// <summary>Largest element of a non-empty span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Max<T>(ReadOnlySpan<T> x, SimdLevel level) where T : unmanaged, IBinaryInteger<T>
    {
        ref T r = ref MemoryMarshal.GetReference(x);
        int n = x.Length;
        // Each vector path starts from the last full vector (overlap is harmless for max), then folds to Vector128.
        if (level == SimdLevel.Avx512 && n >= Vector512<T>.Count)
        {
            var m = Vector512.LoadUnsafe(ref r, (nuint)(n - Vector512<T>.Count));
            for (int i = 0; i < n - Vector512<T>.Count; i += Vector512<T>.Count) m = Vector512.Max(m, Vector512.LoadUnsafe(ref r, (nuint)i));
            var m2 = Vector256.Max(m.GetLower(), m.GetUpper());
            return Max(Vector128.Max(m2.GetLower(), m2.GetUpper()));
        }
        if (level >= SimdLevel.Avx2 && n >= Vector256<T>.Count)
        {
            var m = Vector256.LoadUnsafe(ref r, (nuint)(n - Vector256<T>.Count));
            for (int i = 0; i < n - Vector256<T>.Count; i += Vector256<T>.Count) m = Vector256.Max(m, Vector256.LoadUnsafe(ref r, (nuint)i));
            return Max(Vector128.Max(m.GetLower(), m.GetUpper()));
        }
        if (level >= SimdLevel.Vector128 && n >= Vector128<T>.Count)
        {
            var m = Vector128.LoadUnsafe(ref r, (nuint)(n - Vector128<T>.Count));
            for (int i = 0; i < n - Vector128<T>.Count; i += Vector128<T>.Count) m = Vector128.Max(m, Vector128.LoadUnsafe(ref r, (nuint)i));
            return Max(m);
        }
        T best = x[0];
        for (int i = 1; i < n; i++) if (x[i] > best) best = x[i];
        return best;
    }

    private static T Max<T>(Vector128<T> v) where T : unmanaged, IBinaryInteger<T>
    {
        T best = v[0];
        for (int i = 1; i < Vector128<T>.Count; i++) best = T.Max(best, v[i]);
        return best;
    }

    /// <summary>(Σ x, Σ x²) of an int16 row, exact in int64 (OPS §5.6: |Σx| ≤ 2^31, Σx² ≤ 2^46 for ≤ 2^16 elements).</summary>
    /// <remarks>Each vector path widens int16 → int32 (x² ≤ 2^30 is exact in int32) → int64 lanes, so there is no wrap.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (long Sum, long SumSq) SumSquares(ReadOnlySpan<short> x, SimdLevel level)
    {
        ref short r = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        long s1 = 0, s2 = 0;
        if (level == SimdLevel.Avx512 && n >= Vector512<short>.Count)
        {
            Vector512<long> a1 = default, a2 = default;
            for (; i + Vector512<short>.Count <= n; i += Vector512<short>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref r, (nuint)i));
                var (l0, h0) = Vector512.Widen(lo);
                var (l1, h1) = Vector512.Widen(hi);
                var (q0, r0) = Vector512.Widen(lo * lo);
                var (q1, r1) = Vector512.Widen(hi * hi);
                a1 += l0 + h0 + l1 + h1;
                a2 += q0 + r0 + q1 + r1;
            }
            s1 = Vector512.Sum(a1);
            s2 = Vector512.Sum(a2);
        }
        else if (level >= SimdLevel.Avx2 && n >= Vector256<short>.Count)
        {
            Vector256<long> a1 = default, a2 = default;
            for (; i + Vector256<short>.Count <= n; i += Vector256<short>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref r, (nuint)i));
                var (l0, h0) = Vector256.Widen(lo);
                var (l1, h1) = Vector256.Widen(hi);
                var (q0, r0) = Vector256.Widen(lo * lo);
                var (q1, r1) = Vector256.Widen(hi * hi);
                a1 += l0 + h0 + l1 + h1;
                a2 += q0 + r0 + q1 + r1;
            }
            s1 = Vector256.Sum(a1);
            s2 = Vector256.Sum(a2);
        }
        else if (level >= SimdLevel.Vector128 && n >= Vector128<short>.Count)
        {
            Vector128<long> a1 = default, a2 = default;
            for (; i + Vector128<short>.Count <= n; i += Vector128<short>.Count)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref r, (nuint)i));
                var (l0, h0) = Vector128.Widen(lo);
                var (l1, h1) = Vector128.Widen(hi);
                var (q0, r0) = Vector128.Widen(lo * lo);
                var (q1, r1) = Vector128.Widen(hi * hi);
                a1 += l0 + h0 + l1 + h1;
                a2 += q0 + r0 + q1 + r1;
            }
            s1 = Vector128.Sum(a1);
            s2 = Vector128.Sum(a2);
        }
        for (; i < n; i++)
        {
            long v = x[i];
            s1 += v;
            s2 += v * v;
        }
        return (s1, s2);
    }

    /// <summary>Lowest index i with x[i] == value, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOf<T>(ReadOnlySpan<T> x, T value, SimdLevel level) where T : unmanaged, IBinaryInteger<T>
    {
        ref T r = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        if (level == SimdLevel.Avx512)
        {
            var v = Vector512.Create(value);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                ulong bits = Vector512.Equals(Vector512.LoadUnsafe(ref r, (nuint)i), v).ExtractMostSignificantBits();
                if (bits != 0) return i + BitOperations.TrailingZeroCount(bits);
            }
        }
        if (level >= SimdLevel.Avx2)
        {
            var v = Vector256.Create(value);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                uint bits = Vector256.Equals(Vector256.LoadUnsafe(ref r, (nuint)i), v).ExtractMostSignificantBits();
                if (bits != 0) return i + BitOperations.TrailingZeroCount(bits);
            }
        }
        if (level >= SimdLevel.Vector128)
        {
            var v = Vector128.Create(value);
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            {
                uint bits = Vector128.Equals(Vector128.LoadUnsafe(ref r, (nuint)i), v).ExtractMostSignificantBits();
                if (bits != 0) return i + BitOperations.TrailingZeroCount(bits);
            }
        }
        for (; i < n; i++) if (x[i] == value) return i;
        return -1;
    }

    /// <summary>OPS §5.11: lowest index of the maximum of a non-empty row.</summary>
    public static int Argmax<T>(ReadOnlySpan<T> x, SimdLevel level) where T : unmanaged, IBinaryInteger<T> => IndexOf(x, Max(x, level), level);

    /// <summary>
    /// One Rope head (OPS §5.8): o[k] = clamp(RoundShift(x[k]·cc[k] + x[k^1]·ss[k], 14), I8), with cc = [c0, c0, c1, c1, …] and
    /// ss = [−s0, s0, −s1, s1, …], which is a·c − b·s for the even and a·s + b·c for the odd element of each pair. Every
    /// product is ≤ 2^22 in magnitude, so int32 is exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RopeHead(ReadOnlySpan<sbyte> x, ReadOnlySpan<int> cc, ReadOnlySpan<int> ss, Span<sbyte> o, SimdLevel level)
    {
        int n = x.Length, k = 0;
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        ref sbyte orf = ref MemoryMarshal.GetReference(o);
        ref int cr = ref MemoryMarshal.GetReference(cc);
        ref int sr = ref MemoryMarshal.GetReference(ss);
        if (level == SimdLevel.Avx512)
            for (; k <= n - 64; k += 64)
            {
                var v = Vector512.LoadUnsafe(ref xr, (nuint)k);
                var u = v.AsUInt16();
                var (v0, v1) = Vector512.Widen(v);
                var (w0, w1) = Vector512.Widen(((u << 8) | (u >> 8)).AsSByte()); // adjacent bytes swapped: x[k^1]
                Vector512.Narrow(Rope16(v0, w0, ref cr, ref sr, k), Rope16(v1, w1, ref cr, ref sr, k + 32)).StoreUnsafe(ref orf, (nuint)k);
            }
        if (level >= SimdLevel.Avx2)
            for (; k <= n - 32; k += 32)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)k);
                var u = v.AsUInt16();
                var (v0, v1) = Vector256.Widen(v);
                var (w0, w1) = Vector256.Widen(((u << 8) | (u >> 8)).AsSByte());
                Vector256.Narrow(Rope16(v0, w0, ref cr, ref sr, k), Rope16(v1, w1, ref cr, ref sr, k + 16)).StoreUnsafe(ref orf, (nuint)k);
            }
        if (level >= SimdLevel.Vector128)
            for (; k <= n - 16; k += 16)
            {
                var v = Vector128.LoadUnsafe(ref xr, (nuint)k);
                var u = v.AsUInt16();
                var (v0, v1) = Vector128.Widen(v);
                var (w0, w1) = Vector128.Widen(((u << 8) | (u >> 8)).AsSByte());
                Vector128.Narrow(Rope16(v0, w0, ref cr, ref sr, k), Rope16(v1, w1, ref cr, ref sr, k + 8)).StoreUnsafe(ref orf, (nuint)k);
            }
        for (; k < n; k++) o[k] = (sbyte)Math.Clamp((x[k] * cc[k] + x[k ^ 1] * ss[k] + (1 << 13)) >> 14, sbyte.MinValue, sbyte.MaxValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Rope16(Vector512<short> x, Vector512<short> w, ref int cc, ref int ss, int k)
    {
        var (x0, x1) = Vector512.Widen(x); var (w0, w1) = Vector512.Widen(w);
        return Vector512.Narrow(Rope32(x0, w0, Vector512.LoadUnsafe(ref cc, (nuint)k), Vector512.LoadUnsafe(ref ss, (nuint)k)),
            Rope32(x1, w1, Vector512.LoadUnsafe(ref cc, (nuint)(k + 16)), Vector512.LoadUnsafe(ref ss, (nuint)(k + 16))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Rope32(Vector512<int> x, Vector512<int> w, Vector512<int> c, Vector512<int> s) =>
        Vector512.Clamp(Vector512.ShiftRightArithmetic(x * c + w * s + Vector512.Create(1 << 13), 14), Vector512.Create(-128), Vector512.Create(127));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Rope16(Vector256<short> x, Vector256<short> w, ref int cc, ref int ss, int k)
    {
        var (x0, x1) = Vector256.Widen(x); var (w0, w1) = Vector256.Widen(w);
        return Vector256.Narrow(Rope32(x0, w0, Vector256.LoadUnsafe(ref cc, (nuint)k), Vector256.LoadUnsafe(ref ss, (nuint)k)),
            Rope32(x1, w1, Vector256.LoadUnsafe(ref cc, (nuint)(k + 8)), Vector256.LoadUnsafe(ref ss, (nuint)(k + 8))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Rope32(Vector256<int> x, Vector256<int> w, Vector256<int> c, Vector256<int> s) =>
        Vector256.Clamp(Vector256.ShiftRightArithmetic(x * c + w * s + Vector256.Create(1 << 13), 14), Vector256.Create(-128), Vector256.Create(127));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Rope16(Vector128<short> x, Vector128<short> w, ref int cc, ref int ss, int k)
    {
        var (x0, x1) = Vector128.Widen(x); var (w0, w1) = Vector128.Widen(w);
        return Vector128.Narrow(Rope32(x0, w0, Vector128.LoadUnsafe(ref cc, (nuint)k), Vector128.LoadUnsafe(ref ss, (nuint)k)),
            Rope32(x1, w1, Vector128.LoadUnsafe(ref cc, (nuint)(k + 4)), Vector128.LoadUnsafe(ref ss, (nuint)(k + 4))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Rope32(Vector128<int> x, Vector128<int> w, Vector128<int> c, Vector128<int> s) =>
        Vector128.Clamp(Vector128.ShiftRightArithmetic(x * c + w * s + Vector128.Create(1 << 13), 14), Vector128.Create(-128), Vector128.Create(127));
}
