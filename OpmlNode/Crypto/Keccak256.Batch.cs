using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OpmlNode.Crypto;

public static partial class Keccak256
{
    /// <summary>The batch paths of <see cref="HashPairs(ReadOnlySpan{Hash256}, Span{Hash256})"/>: independent hashes one at
    /// a time, 4 in AVX2 lanes, or 8 in AVX-512 lanes.</summary>
    public enum BatchPath { Scalar, Avx2x4, Avx512x8 }

    /// <summary>The widest batch path this CPU runs (AVX-512 where there is AVX-512F, else AVX2, else scalar).</summary>
    public static BatchPath BestBatchPath { get; } = !BitConverter.IsLittleEndian ? BatchPath.Scalar
        : Avx512F.IsSupported ? BatchPath.Avx512x8 : Avx2.IsSupported ? BatchPath.Avx2x4 : BatchPath.Scalar;

    /// <summary>Whether this CPU runs <paramref name="path"/>.</summary>
    public static bool Supports(BatchPath path) => path switch
    {
        BatchPath.Scalar => true,
        BatchPath.Avx2x4 => Avx2.IsSupported && BitConverter.IsLittleEndian,
        BatchPath.Avx512x8 => Avx512F.IsSupported && BitConverter.IsLittleEndian,
        _ => false,
    };

    /// <summary>
    /// output[i] = H(nodes[2i] ‖ nodes[2i+1]) for i &lt; output.Length: one Merkle level. Independent hashes run 8 at a time
    /// in AVX-512 lanes or 4 in AVX2 lanes, as the CPU allows (<see cref="BestBatchPath"/>). output may alias the start of
    /// nodes (in-place level reduction).
    /// </summary>
    public static void HashPairs(ReadOnlySpan<Hash256> nodes, Span<Hash256> output) => HashPairs(nodes, output, BestBatchPath);

    /// <summary><see cref="HashPairs(ReadOnlySpan{Hash256}, Span{Hash256})"/> on a chosen path (tests and benchmarks
    /// compare them on one machine); a path this CPU lacks is an error.</summary>
    public static void HashPairs(ReadOnlySpan<Hash256> nodes, Span<Hash256> output, BatchPath path)
    {
        if (nodes.Length < 2 * output.Length) throw new ArgumentException($"{output.Length} parents need {2 * output.Length} nodes, got {nodes.Length}", nameof(nodes));
        if (!Supports(path)) throw new PlatformNotSupportedException($"keccak batch path {path} needs an instruction set this CPU lacks");
        int i = 0;
        ref ulong src = ref Unsafe.As<Hash256, ulong>(ref MemoryMarshal.GetReference(nodes));
        ref ulong dst = ref Unsafe.As<Hash256, ulong>(ref MemoryMarshal.GetReference(output));
        // Batch k of width w reads nodes [2wk, 2wk+2w) and then writes output [wk, wk+w): in-place use never overwrites unread input.
        if (path == BatchPath.Avx512x8)
            for (; i + 8 <= output.Length; i += 8)
                HashPairs8(ref Unsafe.Add(ref src, 8 * i), ref Unsafe.Add(ref dst, 4 * i));
        if (path is BatchPath.Avx512x8 or BatchPath.Avx2x4)
            for (; i + 4 <= output.Length; i += 4)
                HashPairs4(ref Unsafe.Add(ref src, 8 * i), ref Unsafe.Add(ref dst, 4 * i));
        for (; i < output.Length; i++) output[i] = HashPair(nodes[2 * i], nodes[2 * i + 1]);
    }

    /// <summary>4 single-block 64-byte hashes: message k is the 8 ulongs at src[8k..8k+8], digest k goes to dst[4k..4k+4].</summary>
    private static void HashPairs4(ref ulong src, ref ulong dst)
    {
        // Transposed state: vector j holds lane j of all 4 messages.
        VState4 s = default;
        ref Vector256<ulong> v = ref s[0];
        for (int j = 0; j < 8; j++)
            Unsafe.Add(ref v, j) = Vector256.Create(Unsafe.Add(ref src, j), Unsafe.Add(ref src, 8 + j), Unsafe.Add(ref src, 16 + j), Unsafe.Add(ref src, 24 + j));
        Unsafe.Add(ref v, 8) = Vector256.Create(0x01UL);
        Unsafe.Add(ref v, RateLanes - 1) = Vector256.Create(0x8000000000000000UL);
        Permute4(ref v);
        for (int j = 0; j < 4; j++)
        {
            var lane = Unsafe.Add(ref v, j);
            for (int k = 0; k < 4; k++) Unsafe.Add(ref dst, 4 * k + j) = lane.GetElement(k);
        }
    }

    // AVX2 has no 64-bit rotate: a shift pair, or one byte shuffle for the two byte-sized rotations.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Rot(Vector256<ulong> x, int r) => (x << r) | (x >>> (64 - r)); // r constant once inlined: vpsllq/vpsrlq imm

    // x << 1 as x + x: vpaddq issues on more ports than the shifts do.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Rot1(Vector256<ulong> x) => (x + x) | (x >>> 63);

    private static readonly Vector256<byte> Rot8Mask = Vector256.Create((byte)7, 0, 1, 2, 3, 4, 5, 6, 15, 8, 9, 10, 11, 12, 13, 14, 7, 0, 1, 2, 3, 4, 5, 6, 15, 8, 9, 10, 11, 12, 13, 14);
    private static readonly Vector256<byte> Rot56Mask = Vector256.Create((byte)1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Rot8(Vector256<ulong> x) => Avx2.Shuffle(x.AsByte(), Rot8Mask).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Rot56(Vector256<ulong> x) => Avx2.Shuffle(x.AsByte(), Rot56Mask).AsUInt64();

    /// <summary>8 single-block 64-byte hashes: message k is the 8 ulongs at src[8k..8k+8], digest k goes to dst[4k..4k+4].</summary>
    private static void HashPairs8(ref ulong src, ref ulong dst)
    {
        // Transposed state: vector j holds lane j of all 8 messages.
        VState s = default;
        ref Vector512<ulong> v = ref s[0];
        for (int j = 0; j < 8; j++)
            Unsafe.Add(ref v, j) = Vector512.Create(
                Unsafe.Add(ref src, j), Unsafe.Add(ref src, 8 + j), Unsafe.Add(ref src, 16 + j), Unsafe.Add(ref src, 24 + j),
                Unsafe.Add(ref src, 32 + j), Unsafe.Add(ref src, 40 + j), Unsafe.Add(ref src, 48 + j), Unsafe.Add(ref src, 56 + j));
        Unsafe.Add(ref v, 8) = Vector512.Create(0x01UL);
        Unsafe.Add(ref v, RateLanes - 1) = Vector512.Create(0x8000000000000000UL);
        Permute8(ref v);
        for (int j = 0; j < 4; j++)
        {
            var lane = Unsafe.Add(ref v, j);
            for (int k = 0; k < 8; k++) Unsafe.Add(ref dst, 4 * k + j) = lane.GetElement(k);
        }
    }

    [InlineArray(25)]
    private struct VState
    {
        private Vector512<ulong> _lane0;
    }

    [InlineArray(50)] // the state and the permutation's scratch state
    private struct VState4
    {
        private Vector256<ulong> _lane0;
    }
}
