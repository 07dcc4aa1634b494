using System.Buffers.Binary;
using OpmlNode.Crypto;

namespace OpmlNode.Storage;

/// <summary>
/// Key encodings whose byte-wise order is the numeric order: integers big-endian, fixed width, so
/// <c>U64(2) &lt; U64(10)</c> as keys and a composite key sorts by its first part, then its second.
/// </summary>
public static class Keys
{
    public static byte[] U32(uint value)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, value);
        return key;
    }

    public static byte[] U64(ulong value)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(key, value);
        return key;
    }

    /// <summary>(first, second), 16 bytes: e.g. (task id, slot). <c>U64(first)</c> is a prefix of it, so all keys of one first part iterate together.</summary>
    public static byte[] U64U64(ulong first, ulong second)
    {
        var key = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(key, first);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(8), second);
        return key;
    }

    /// <summary>The 32 hash bytes as a key.</summary>
    public static byte[] Hash(in Hash256 hash) => hash.ToArray();

    /// <summary>(hash, n), 40 bytes: e.g. (task hash, game index). <c>Hash(hash)</c> is a prefix of it.</summary>
    public static byte[] HashU64(in Hash256 hash, ulong value)
    {
        var key = new byte[Hash256.Size + 8];
        hash.CopyTo(key);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(Hash256.Size), value);
        return key;
    }

    /// <summary>Reads a big-endian u64 at <paramref name="offset"/> of a key.</summary>
    public static ulong ReadU64(ReadOnlySpan<byte> key, int offset = 0) => BinaryPrimitives.ReadUInt64BigEndian(key.Slice(offset, 8));

    public static uint ReadU32(ReadOnlySpan<byte> key, int offset = 0) => BinaryPrimitives.ReadUInt32BigEndian(key.Slice(offset, 4));

    /// <summary>
    /// The least key greater than every key starting with <paramref name="prefix"/>: the prefix with its last byte that
    /// is not 0xFF incremented and what follows dropped. Null when there is none (empty or all-0xFF prefix): the
    /// prefix's keys then run to the end of the key space.
    /// </summary>
    public static byte[]? PrefixSuccessor(ReadOnlySpan<byte> prefix)
    {
        int i = prefix.LastIndexOfAnyExcept((byte)0xFF);
        if (i < 0) return null;
        var next = prefix[..(i + 1)].ToArray();
        next[i]++;
        return next;
    }
}

/// <summary>RocksDB's default comparator: unsigned byte-wise lexicographic, a proper prefix first.</summary>
public sealed class BytewiseComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static BytewiseComparer Instance { get; } = new();

    private BytewiseComparer() { }

    public int Compare(byte[]? x, byte[]? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        return x.AsSpan().SequenceCompareTo(y);
    }

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}
