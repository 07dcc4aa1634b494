using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpmlNode.Crypto;

/// <summary>A 32-byte hash or Merkle leaf, held by value (Nethermind's ValueHash256 pattern).</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
public readonly struct Hash256 : IEquatable<Hash256>, IComparable<Hash256>
{
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    public static Hash256 Zero => default;

    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"a Hash256 needs exactly 32 bytes, got {bytes.Length}", nameof(bytes));
        this = MemoryMarshal.Read<Hash256>(bytes);
    }

    /// <summary>The 32 bytes, in memory order (the order keccak and the Merkle tree see).</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Bytes => MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(in _a, 4));

    public byte[] ToArray() => Bytes.ToArray();

    public void CopyTo(Span<byte> destination) => Bytes.CopyTo(destination);

    public bool IsZero => (_a | _b | _c | _d) == 0;

    public static Hash256 FromHex(string hex)
    {
        var s = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        if (s.Length != 64) throw new FormatException($"a Hash256 is 64 hex digits, got {s.Length}");
        return new Hash256(Convert.FromHexString(s));
    }

    public override string ToString() => "0x" + Convert.ToHexStringLower(Bytes);

    public bool Equals(Hash256 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;
    public override bool Equals(object? obj) => obj is Hash256 h && Equals(h);
    public override int GetHashCode() => (int)BinaryPrimitives.ReverseEndianness((uint)_a) ^ (int)(_b >> 7) ^ (int)_c;
    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);
    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);

    /// <summary>
    /// Byte-wise (big-endian, unsigned) order of the 32 bytes: the order of their hex strings and of a storage key's
    /// bytes, so sorted hashes are sorted keys.
    /// </summary>
    public int CompareTo(Hash256 other)
    {
        int c = BinaryPrimitives.ReverseEndianness(_a).CompareTo(BinaryPrimitives.ReverseEndianness(other._a));
        if (c != 0) return c;
        c = BinaryPrimitives.ReverseEndianness(_b).CompareTo(BinaryPrimitives.ReverseEndianness(other._b));
        if (c != 0) return c;
        c = BinaryPrimitives.ReverseEndianness(_c).CompareTo(BinaryPrimitives.ReverseEndianness(other._c));
        return c != 0 ? c : BinaryPrimitives.ReverseEndianness(_d).CompareTo(BinaryPrimitives.ReverseEndianness(other._d));
    }

    public static bool operator <(Hash256 left, Hash256 right) => left.CompareTo(right) < 0;
    public static bool operator >(Hash256 left, Hash256 right) => left.CompareTo(right) > 0;
    public static bool operator <=(Hash256 left, Hash256 right) => left.CompareTo(right) <= 0;
    public static bool operator >=(Hash256 left, Hash256 right) => left.CompareTo(right) >= 0;
}
