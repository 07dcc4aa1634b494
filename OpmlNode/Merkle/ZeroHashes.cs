using OpmlNode.Crypto;

namespace OpmlNode.Merkle;

/// <summary>Roots of empty subtrees (PROTOCOL §2.1): <c>Z[0] = 0^32</c>, <c>Z[h+1] = H(Z[h] ‖ Z[h])</c>, for heights 0..64.</summary>
public static class ZeroHashes
{
    public const int MaxHeight = 64;

    private static readonly Hash256[] Table = Build();

    private static Hash256[] Build()
    {
        var z = new Hash256[MaxHeight + 1];
        for (int h = 0; h < MaxHeight; h++) z[h + 1] = Keccak256.HashPair(z[h], z[h]);
        return z;
    }

    /// <summary>Z[h], the root of an all-zero subtree of height <paramref name="height"/> (0..64).</summary>
    public static ref readonly Hash256 At(int height)
    {
        if ((uint)height > MaxHeight) throw new ArgumentOutOfRangeException(nameof(height), height, "zero hashes exist for heights 0..64");
        return ref Table[height];
    }

    /// <summary>Z[0..64] as a span (index = height).</summary>
    public static ReadOnlySpan<Hash256> All => Table;
}
