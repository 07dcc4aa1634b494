using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Graphs;

/// <summary>
/// Graph state roots and their proofs from a list of slot roots (GRAPH §3): S_i is the depth-32 list root of
/// r_0..r_{i−1}; a proof of slot k in S_i (k ≤ i) has leaf r_k (Z[0] for k = i, the transition proof of phase 1's end).
/// </summary>
public static class SlotTree
{
    public const int Depth = GraphRunner.SlotDepth;

    /// <summary>S_i over the first <paramref name="i"/> of <paramref name="slotRoots"/>.</summary>
    public static Hash256 StateRoot(ReadOnlySpan<Hash256> slotRoots, long i)
    {
        if (i < 0 || i > slotRoots.Length) throw new ArgumentOutOfRangeException(nameof(i), i, $"S_i needs 0 <= i <= {slotRoots.Length}");
        return MerkleMath.RootOfList(slotRoots[..(int)i], Depth);
    }

    /// <summary>Proof of slot <paramref name="k"/> in S_i (k ≤ i): with k = i it also proves S_{i+1} from leaf r_i.</summary>
    public static MerkleProof Proof(ReadOnlySpan<Hash256> slotRoots, long k, long i)
    {
        if (i < 0 || i > slotRoots.Length) throw new ArgumentOutOfRangeException(nameof(i), i, $"S_i needs 0 <= i <= {slotRoots.Length}");
        if (k < 0 || k > i || k >= 1L << Depth) throw new ArgumentOutOfRangeException(nameof(k), k, $"slot must be in [0, {i}]");
        return MerkleMath.ListProof(slotRoots[..(int)i], k, Depth);
    }
}
