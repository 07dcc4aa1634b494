using OpmlNode.Crypto;
using OpmlNode.Inference.Graphs;
using OpmlNode.Merkle;
using OpmlNode.Storage;

namespace OpmlNode.Dispute.Storage;

/// <summary>
/// A task's S_0..S_N and slot proofs read from disk: S_i is one key read, a proof a walk of 32 stored nodes from S_i
/// down (<see cref="SlotTreeWriter"/> wrote them). Nothing is recomputed from the slot roots.
/// </summary>
public sealed class StoredSlotTree(TaskTraceStore store, ContentAddressedNodes nodes, long slotCount) : ISlotTree
{
    public Hash256 StateRoot(long i)
    {
        if (i < 0 || i > slotCount) throw new ArgumentOutOfRangeException(nameof(i), i, $"S_i needs 0 <= i <= {slotCount}");
        return store.StateRoot(i) ?? throw new StorageException(StorageErrorKind.Corrupted, $"storage: task {store.TaskId} has no S_{i} although its trace is marked complete");
    }

    public MerkleProof Proof(long k, long i)
    {
        if (k < 0 || k > i) throw new ArgumentOutOfRangeException(nameof(k), k, $"slot must be in [0, {i}]");
        var root = StateRoot(i);
        if (!nodes.TryReadProof(root, (ulong)k, SlotTree.Depth, out var proof))
            throw new StorageException(StorageErrorKind.Corrupted, $"storage: a Merkle node under S_{i} of task {store.TaskId} is missing");
        return proof;
    }
}
