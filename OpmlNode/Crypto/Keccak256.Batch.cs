using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OpmlNode.Crypto;

public static partial class Keccak256
{
    /// <summary>
    /// output[i] = H(nodes[2i] ‖ nodes[2i+1]) for i &lt; output.Length: one Merkle level. Independent hashes run 8 at a time
    /// in AVX-512 lanes when the CPU has it (scalar otherwise). output may alias the start of nodes (in-place level reduction).
    /// </summary>
    public static void HashPairs(ReadOnlySpan<Hash256> nodes, Span<Hash256> output)
    {
        if (nodes.Length < 2 * output.Length) throw new ArgumentException($"{output.Length} parents need {2 * output.Length} nodes, got {nodes.Length}", nameof(nodes));
        int i = 0;
        if (Avx512F.IsSupported && BitConverter.IsLittleEndian)
        {
            ref ulong src = ref Unsafe.As<Hash256, ulong>(ref MemoryMarshal.GetReference(nodes));
            ref ulong dst = ref Unsafe.As<Hash256, ulong>(ref MemoryMarshal.GetReference(output));
            // Batch k reads nodes [16k, 16k+16) and then writes output [8k, 8k+8): in-place use never overwrites unread input.
            for (; i + 8 <= output.Length; i += 8)
                HashPairs8(ref Unsafe.Add(ref src, 8 * i), ref Unsafe.Add(ref dst, 4 * i));
        }
        for (; i < output.Length; i++) output[i] = HashPair(nodes[2 * i], nodes[2 * i + 1]);
    }

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
}
