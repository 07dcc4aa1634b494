using OpmlNode.Crypto;

namespace OpmlNode.Merkle;

/// <summary>A leaf and its bottom-up siblings (PROTOCOL §2.3); the depth is the number of siblings.</summary>
public sealed class MerkleProof
{
    public MerkleProof(Hash256 leaf, Hash256[] siblings)
    {
        ArgumentNullException.ThrowIfNull(siblings);
        if (siblings.Length > MerkleMath.MaxDepth) throw new ArgumentException($"a proof has at most {MerkleMath.MaxDepth} siblings", nameof(siblings));
        Leaf = leaf;
        _siblings = siblings;
    }

    private readonly Hash256[] _siblings;

    public Hash256 Leaf { get; }

    /// <summary>sib[0] is the sibling leaf, sib[d−1] the root's other child.</summary>
    public IReadOnlyList<Hash256> Siblings => _siblings;

    public int Depth => Siblings.Count;

    private ReadOnlySpan<Hash256> SiblingSpan => _siblings;

    public Hash256 ComputeRoot(ulong index) => MerkleMath.RootFromProof(Leaf, index, SiblingSpan);

    /// <summary>The root after replacing the leaf (same siblings): how a store updates the memory root.</summary>
    public Hash256 ComputeRoot(ulong index, in Hash256 newLeaf) => MerkleMath.RootFromProof(newLeaf, index, SiblingSpan);

    public bool Verify(in Hash256 root, ulong index) => MerkleMath.Verify(root, Leaf, index, SiblingSpan);

    public byte[] Encode() => MerkleMath.EncodeProof(Leaf, SiblingSpan);

    public void Encode(Span<byte> destination) => MerkleMath.EncodeProof(Leaf, SiblingSpan, destination);
}
