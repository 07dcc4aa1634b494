using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpmlNode.Crypto;

/// <summary>
/// Ethereum keccak256 (original Keccak padding <c>0x01 … 0x80</c>, rate 136 bytes, not NIST SHA3-256). PROTOCOL §1.
/// Span-based, allocation-free; the permutation is a fully unrolled keccak-f[1600] over 25 ulong locals.
/// </summary>
public static partial class Keccak256
{
    public const int HashSize = 32;
    public const int Rate = 136;
    private const int RateLanes = Rate / 8;

    /// <summary>The 25-lane sponge state; an inline array so it lives on the stack with no bounds checks in the permutation.</summary>
    [InlineArray(25)]
    private struct State
    {
        private ulong _lane0;
    }

    /// <summary>Writes keccak256(input) into the first 32 bytes of <paramref name="output"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (output.Length < HashSize) throw new ArgumentException($"output needs at least {HashSize} bytes, got {output.Length}", nameof(output));
        State st = default;
        ref ulong s = ref st[0];
        Absorb(ref s, input);
        ref byte o = ref MemoryMarshal.GetReference(output);
        for (int i = 0; i < 4; i++)
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 8 * i), ToLittleEndian(Unsafe.Add(ref s, i)));
    }

    public static Hash256 Hash(ReadOnlySpan<byte> input)
    {
        State st = default;
        ref ulong s = ref st[0];
        Absorb(ref s, input);
        return Squeeze(ref s);
    }

    /// <summary>keccak256(left ‖ right): the Merkle parent of two 32-byte nodes. One block, no buffer.</summary>
    public static Hash256 HashPair(in Hash256 left, in Hash256 right)
    {
        ref byte l = ref Unsafe.As<Hash256, byte>(ref Unsafe.AsRef(in left));
        ref byte r = ref Unsafe.As<Hash256, byte>(ref Unsafe.AsRef(in right));
        return Hash64(ref l, ref r);
    }

    /// <summary>keccak256 of exactly 64 bytes (two adjacent 32-byte leaves): the Merkle parent straight from raw data.</summary>
    public static Hash256 Hash64(ReadOnlySpan<byte> input)
    {
        if (input.Length != 64) throw new ArgumentException($"Hash64 needs exactly 64 bytes, got {input.Length}", nameof(input));
        ref byte p = ref MemoryMarshal.GetReference(input);
        return Hash64(ref p, ref Unsafe.Add(ref p, 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Hash256 Hash64(ref byte left, ref byte right)
    {
        // 64 bytes < rate: lanes 0..7 are the message, lane 8 gets the 0x01 pad, lane 16 the final 0x80.
        State st = default;
        ref ulong s = ref st[0];
        s = ReadLane(ref left, 0);
        Unsafe.Add(ref s, 1) = ReadLane(ref left, 8);
        Unsafe.Add(ref s, 2) = ReadLane(ref left, 16);
        Unsafe.Add(ref s, 3) = ReadLane(ref left, 24);
        Unsafe.Add(ref s, 4) = ReadLane(ref right, 0);
        Unsafe.Add(ref s, 5) = ReadLane(ref right, 8);
        Unsafe.Add(ref s, 6) = ReadLane(ref right, 16);
        Unsafe.Add(ref s, 7) = ReadLane(ref right, 24);
        Unsafe.Add(ref s, 8) = 0x01UL;
        Unsafe.Add(ref s, RateLanes - 1) = 0x8000000000000000UL;
        Permute(ref s);
        return Squeeze(ref s);
    }

    private static void Absorb(ref ulong s, ReadOnlySpan<byte> input)
    {
        while (input.Length >= Rate)
        {
            XorBlock(ref s, ref MemoryMarshal.GetReference(input));
            Permute(ref s);
            input = input[Rate..];
        }
        // Final (possibly empty) block with Keccak's multi-rate padding; 0x01 and 0x80 share a byte when 135 bytes remain.
        Span<byte> last = stackalloc byte[Rate];
        last.Clear();
        input.CopyTo(last);
        last[input.Length] = 0x01;
        last[Rate - 1] |= 0x80;
        XorBlock(ref s, ref MemoryMarshal.GetReference(last));
        Permute(ref s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorBlock(ref ulong s, ref byte block)
    {
        for (int i = 0; i < RateLanes; i++)
            Unsafe.Add(ref s, i) ^= ReadLane(ref block, 8 * i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadLane(ref byte p, int offset) => ToLittleEndian(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset)));

    // Lanes are little-endian; on LE hosts this folds away.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ToLittleEndian(ulong v) => BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Hash256 Squeeze(ref ulong s)
    {
        if (BitConverter.IsLittleEndian) return Unsafe.As<ulong, Hash256>(ref s); // lanes 0..3 are the digest bytes in order
        Span<byte> o = stackalloc byte[HashSize];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteUInt64LittleEndian(o[(8 * i)..], Unsafe.Add(ref s, i));
        return new Hash256(o);
    }
}
