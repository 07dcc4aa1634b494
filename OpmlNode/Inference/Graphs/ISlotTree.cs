using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Graphs;

/// <summary>The graph state roots S_i of one run and their slot proofs (GRAPH §3), wherever they are kept.</summary>
public interface ISlotTree
{
    /// <summary>S_i (S_0 = Z[32]).</summary>
    Hash256 StateRoot(long i);

    /// <summary>Proof of slot <paramref name="k"/> in S_i (k ≤ i; leaf Z[0] when k = i).</summary>
    MerkleProof Proof(long k, long i);
}

/// <summary>S_i and proofs recomputed from the slot roots held in memory (O(i) hashes each).</summary>
public sealed class MemorySlotTree(Hash256[] slotRoots) : ISlotTree
{
    public Hash256 StateRoot(long i) => SlotTree.StateRoot(slotRoots, i);

    public MerkleProof Proof(long k, long i) => SlotTree.Proof(slotRoots, k, i);
}
