using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OpmlNode.Inference.Backends;


/// <summary>
/// Exact int8·int8 dot products with int32 accumulation. Each pair is sign-extended to int16 and multiplied with
/// vpmaddwd (int16·int16 pairs summed into int32: no saturation is possible for int8-sourced values, unlike
/// vpmaddubsw), so every path gives exactly the mathematical sum (wrapping mod 2^32, which never happens for K ≤ 2^16).
/// </summary>
internal static class Int8Dot
{
    public static SimdLevel Best =>
        Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? SimdLevel.Avx512
        : Avx2.IsSupported ? SimdLevel.Avx2
        : Vector128.IsHardwareAccelerated ? SimdLevel.Vector128
        : SimdLevel.Scalar;

    public static SimdLevel Cap(SimdLevel requested) => (SimdLevel)Math.Min((int)requested, (int)Best);

    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, SimdLevel level)
    {
        if (a.Length != b.Length) throw new ArgumentException("length mismatch");
        return Dot(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), a.Length, level);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Dot(ref sbyte a, ref sbyte b, int k, SimdLevel level)
    {
        int i = 0, sum = 0;
        if (level == SimdLevel.Avx512 && k >= 32)
        {
            var acc = Vector512<int>.Zero;
            for (; i <= k - 32; i += 32)
            {
                var va = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref a, (nuint)i));
                var vb = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref b, (nuint)i));
                acc += Avx512BW.MultiplyAddAdjacent(va, vb);
            }
            sum = Vector512.Sum(acc);
        }
        else if (level == SimdLevel.Avx2 && k >= 16)
        {
            var acc = Vector256<int>.Zero;
            for (; i <= k - 16; i += 16)
            {
                var va = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref a, (nuint)i));
                var vb = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref b, (nuint)i));
                acc += Avx2.MultiplyAddAdjacent(va, vb);
            }
            sum = Vector256.Sum(acc);
        }
        else if (level == SimdLevel.Vector128 && k >= 16)
        {
            var acc = Vector128<int>.Zero;
            for (; i <= k - 16; i += 16)
            {
                var va = Vector128.LoadUnsafe(ref a, (nuint)i);
                var vb = Vector128.LoadUnsafe(ref b, (nuint)i);
                var (al, ah) = Vector128.Widen(va);
                var (bl, bh) = Vector128.Widen(vb);
                acc += MulWiden(al, bl) + MulWiden(ah, bh);
            }
            sum = Vector128.Sum(acc);
        }
        for (; i < k; i++) sum += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> MulWiden(Vector128<short> a, Vector128<short> b)
    {
        var (a0, a1) = Vector128.Widen(a);
        var (b0, b1) = Vector128.Widen(b);
        return a0 * b0 + a1 * b1;
    }

    /// <summary>
    /// Four dot products of one activation row against four weight rows (stride <paramref name="stride"/> bytes apart):
    /// the activation chunk is widened once and reused, which is what makes the matvec load-bound on W only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4(ref sbyte a, ref sbyte w, int stride, int k, SimdLevel level, Span<int> result)
    {
        int i = 0;
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        ref sbyte w0 = ref w;
        ref sbyte w1 = ref Unsafe.Add(ref w, stride);
        ref sbyte w2 = ref Unsafe.Add(ref w, 2 * stride);
        ref sbyte w3 = ref Unsafe.Add(ref w, 3 * stride);
        if (level == SimdLevel.Avx512 && k >= 32)
        {
            Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default;
            for (; i <= k - 32; i += 32)
            {
                var va = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref a, (nuint)i));
                c0 += Avx512BW.MultiplyAddAdjacent(va, Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w0, (nuint)i)));
                c1 += Avx512BW.MultiplyAddAdjacent(va, Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w1, (nuint)i)));
                c2 += Avx512BW.MultiplyAddAdjacent(va, Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w2, (nuint)i)));
                c3 += Avx512BW.MultiplyAddAdjacent(va, Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref w3, (nuint)i)));
            }
            s0 = Vector512.Sum(c0); s1 = Vector512.Sum(c1); s2 = Vector512.Sum(c2); s3 = Vector512.Sum(c3);
        }
        else if (level == SimdLevel.Avx2 && k >= 16)
        {
            Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default;
            for (; i <= k - 16; i += 16)
            {
                var va = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref a, (nuint)i));
                c0 += Avx2.MultiplyAddAdjacent(va, Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w0, (nuint)i)));
                c1 += Avx2.MultiplyAddAdjacent(va, Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w1, (nuint)i)));
                c2 += Avx2.MultiplyAddAdjacent(va, Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w2, (nuint)i)));
                c3 += Avx2.MultiplyAddAdjacent(va, Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w3, (nuint)i)));
            }
            s0 = Vector256.Sum(c0); s1 = Vector256.Sum(c1); s2 = Vector256.Sum(c2); s3 = Vector256.Sum(c3);
        }
        else if (level == SimdLevel.Vector128)
        {
            result[0] = Dot(ref a, ref w0, k, level);
            result[1] = Dot(ref a, ref w1, k, level);
            result[2] = Dot(ref a, ref w2, k, level);
            result[3] = Dot(ref a, ref w3, k, level);
            return;
        }
        for (; i < k; i++)
        {
            int x = Unsafe.Add(ref a, i);
            s0 += x * Unsafe.Add(ref w0, i);
            s1 += x * Unsafe.Add(ref w1, i);
            s2 += x * Unsafe.Add(ref w2, i);
            s3 += x * Unsafe.Add(ref w3, i);
        }
        result[0] = s0; result[1] = s1; result[2] = s2; result[3] = s3;
    }
}
