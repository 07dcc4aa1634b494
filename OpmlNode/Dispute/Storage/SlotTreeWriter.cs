using OpmlNode.Crypto;
using OpmlNode.Inference.Graphs;
using OpmlNode.Merkle;
using OpmlNode.Storage;

namespace OpmlNode.Dispute.Storage;

/// <summary>
/// Appends slot roots r_0, r_1, … to the depth-32 slot tree and writes every interior node of every S_i into the
/// content-addressed node column. Each S_{i+1} shares all its nodes with S_i but the 32 on leaf i's path, so the whole
/// family S_0..S_N costs 32 nodes per slot, and any proof of slot k in any S_i is then a walk down stored nodes
/// (<see cref="ContentAddressedNodes.TryReadProof"/>). The frontier (last complete left subtree per height) is the
/// deposit contract's incremental Merkle tree.
/// </summary>
public sealed class SlotTreeWriter
{
    private readonly Hash256[] _frontier = new Hash256[SlotTree.Depth];

    /// <summary>Number of leaves appended (i after appending r_0..r_{i−1}).</summary>
    public long Count { get; private set; }

    /// <summary>S_{Count} (Z[32] before the first append).</summary>
    public Hash256 Root { get; private set; } = ZeroHashes.At(SlotTree.Depth);

    /// <summary>Appends <paramref name="leaf"/> as slot <see cref="Count"/>, writing its path's nodes; returns the new root.</summary>
    public Hash256 Append(in Hash256 leaf, IKeyValueWriter nodes)
    {
        if (Count >= 1L << SlotTree.Depth) throw new InvalidOperationException("the slot tree is full");
        Span<byte> preimage = stackalloc byte[ContentAddressedNodes.PreimageSize];
        var node = leaf;
        ulong index = (ulong)Count;
        for (int h = 0; h < SlotTree.Depth; h++, index >>= 1)
        {
            Hash256 left, right;
            if ((index & 1) == 1) (left, right) = (_frontier[h], node);
            else
            {
                (left, right) = (node, ZeroHashes.At(h));
                _frontier[h] = node; // final once the last leaf under it is set; later appends come from the right
            }
            left.CopyTo(preimage);
            right.CopyTo(preimage[Hash256.Size..]);
            node = Keccak256.HashPair(left, right);
            nodes.Put(node.Bytes, preimage);
        }
        Count++;
        Root = node;
        return node;
    }
}
