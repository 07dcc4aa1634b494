using OpmlNode.Crypto;

namespace OpmlNode.Merkle;

// TEMPORARY: minimal versions of the Merkle primitives, removed when the keccak/Merkle branch merges.
public static class ZeroHashes
{
    private static readonly Hash256[] Z = Build();
    private static Hash256[] Build()
    {
        var z = new Hash256[65];
        for (var h = 1; h < z.Length; h++) z[h] = Keccak256.HashPair(z[h - 1], z[h - 1]);
        return z;
    }
    public static Hash256 At(int height) => Z[height];
}

public static class MerkleMath
{
    public static Hash256 RootOfBytes(ReadOnlySpan<byte> data, int depth)
    {
        var n = (data.Length + 31) / 32;
        if (n > (1L << depth)) throw new ArgumentException("data too long for depth");
        if (n == 0) return ZeroHashes.At(depth);
        var level = new Hash256[n];
        Span<byte> leaf = stackalloc byte[32];
        for (var i = 0; i < n; i++)
        {
            leaf.Clear();
            data.Slice(i * 32, Math.Min(32, data.Length - i * 32)).CopyTo(leaf);
            level[i] = new Hash256(leaf);
        }
        for (var h = 0; h < depth; h++)
        {
            var next = new Hash256[(level.Length + 1) / 2];
            for (var i = 0; i < next.Length; i++)
                next[i] = Keccak256.HashPair(level[2 * i], 2 * i + 1 < level.Length ? level[2 * i + 1] : ZeroHashes.At(h));
            level = next;
        }
        return level[0];
    }

    public static Hash256 RootFromProof(in Hash256 leaf, ulong index, ReadOnlySpan<Hash256> siblings)
    {
        var node = leaf;
        for (var k = 0; k < siblings.Length; k++)
            node = ((index >> k) & 1) == 0 ? Keccak256.HashPair(node, siblings[k]) : Keccak256.HashPair(siblings[k], node);
        return node;
    }
}
