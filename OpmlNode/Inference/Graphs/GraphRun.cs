using OpmlNode.Crypto;
using OpmlNode.Inference.Models;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Graphs;

/// <summary>
/// The result of running P passes: every slot's output tensor root, the graph state roots S_i (docs/GRAPH.md §3) and
/// slot proofs. S_N comes from an incremental <see cref="MerkleTree"/> of depth <see cref="GraphRunner.SlotDepth"/>;
/// any other S_i and proofs are recomputed from the recorded slot roots.
/// </summary>
public sealed class GraphRun : ISlotTree
{
    private readonly Hash256[] _slotRoots;
    private readonly MerkleTree? _tree;
    private long _recorded;

    internal GraphRun(IModel model, int passes, byte[] taskInput, bool recordRoots)
    {
        Passes = passes;
        NodeCount = model.Nodes.Count;
        OutputNode = model.OutputNode;
        TaskInput = taskInput;
        InputRoot = MerkleMath.TensorRoot(taskInput);
        RecordsRoots = recordRoots;
        _slotRoots = recordRoots ? new Hash256[checked((long)passes * NodeCount)] : [];
        _tree = recordRoots ? new MerkleTree(GraphRunner.SlotDepth) : null;
    }

    public int Passes { get; }
    public int NodeCount { get; }
    public int OutputNode { get; }
    public bool RecordsRoots { get; }
    /// <summary>N = P·n.</summary>
    public long SlotCount => (long)Passes * NodeCount;
    /// <summary>The slot holding the task output: (P−1)·n + output node.</summary>
    public long OutputSlot => (long)(Passes - 1) * NodeCount + OutputNode;
    public byte[] TaskInput { get; }
    /// <summary>Tensor root of the task input (what the contract computes at request time).</summary>
    public Hash256 InputRoot { get; }
    /// <summary>The output node's tensor in the last pass.</summary>
    public QTensor Output { get; internal set; } = null!;
    /// <summary>Number of slots executed with roots recorded.</summary>
    public long RecordedSlots => _recorded;

    internal void RecordSlot(long g, Hash256 root)
    {
        _slotRoots[g] = root;
        _tree!.SetLeaf((ulong)g, root);
        _recorded = g + 1;
    }

    public ReadOnlySpan<Hash256> SlotRoots => _slotRoots.AsSpan(0, (int)Math.Min(_recorded, int.MaxValue));

    public Hash256 SlotRoot(long g)
    {
        CheckRecorded(g + 1);
        return _slotRoots[g];
    }

    /// <summary>S_N, the final graph root, from the incremental slot tree.</summary>
    public Hash256 FinalRoot
    {
        get
        {
            RequireRoots();
            if (_recorded != SlotCount) throw new InvalidOperationException("the run stopped before the last slot");
            return _tree!.Root;
        }
    }

    /// <summary>S_i: the slot tree with slots &lt; i set and the rest Z[0] (S_0 = Z[32]).</summary>
    public Hash256 StateRoot(long i)
    {
        CheckRecorded(i);
        return SlotTree.StateRoot(_slotRoots, i);
    }

    /// <summary>
    /// Proof of slot k in S_i for k ≤ i (leaf = slot k's root if k &lt; i, Z[0] if k = i). With k = i = j it shows
    /// S_{j+1} = S_j with slot j set: <c>proof.Verify(S_j, j)</c> and <c>proof.ComputeRoot(j, root_j) == S_{j+1}</c>.
    /// </summary>
    public MerkleProof SlotProof(long k, long i)
    {
        CheckRecorded(i);
        return SlotTree.Proof(_slotRoots, k, i);
    }

    MerkleProof ISlotTree.Proof(long k, long i) => SlotProof(k, i);

    /// <summary>The proof that S_{j+1} is S_j with slot j set (phase-1 end, GRAPH §3).</summary>
    public MerkleProof TransitionProof(long j) => SlotProof(j, j);

    private void RequireRoots()
    {
        if (!RecordsRoots) throw new InvalidOperationException("this run did not record roots");
    }

    private void CheckRecorded(long i)
    {
        RequireRoots();
        if (i < 0 || i > _recorded) throw new ArgumentOutOfRangeException(nameof(i), i, $"only slots [0, {_recorded}) are recorded");
    }
}
