using OpmlNode.Crypto;
using OpmlNode.Dispute.Storage;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using OpmlNode.Merkle;

namespace OpmlNode.Dispute;

/// <summary>
/// Phase 1's trace: the graph state roots S_0..S_N of one task (GRAPH §3), with the proofs a party needs — the output
/// slot in S_N (submit), the transition S_j → S_{j+1} (phase 1's end) — and the link data of any slot (GRAPH §4).
/// The honest trace is computed natively once; with a <see cref="TaskTraceStore"/> it is kept on disk (slot roots, every
/// S_i, their Merkle nodes, native pass checkpoints) and read back after a restart instead of recomputed, and a slot's
/// link is rebuilt from the nearest pass checkpoint instead of from pass 0. A lying trace (<see cref="WithLie"/>) has a
/// wrong root at the lie slot and so a wrong S_i after it; it is derived from the honest one and kept in memory.
/// </summary>
public sealed class GraphTrace : ITraceProvider
{
    /// <summary>Default passes between stored native checkpoints.</summary>
    public const int DefaultCheckpointInterval = 1;

    private readonly GraphRunner _runner;
    private readonly ModelRoots _roots;
    private readonly Hash256[] _slotRoots;
    private readonly byte[] _input;
    private readonly ISlotTree _tree;
    private readonly GraphTrace? _honest;
    private readonly Func<int, PassCheckpoint?> _checkpointAt;

    /// <summary>Computes the trace in memory (no store), honest or lying as <paramref name="lie"/> says.</summary>
    public GraphTrace(IModel model, ModelRoots roots, byte[] taskInput, int passes, IOpBackend? backend = null, FaultInjection? lie = null)
        : this(Honest(model, roots, taskInput, passes, backend, null), lie)
    {
    }

    private GraphTrace(GraphTrace honest, FaultInjection? lie)
    {
        _runner = honest._runner;
        _roots = honest._roots;
        _input = honest._input;
        _checkpointAt = honest._checkpointAt;
        Passes = honest.Passes;
        OutputSlot = honest.OutputSlot;
        InputRoot = honest.InputRoot;
        FromStore = honest.FromStore;
        if (lie is null)
        {
            (_slotRoots, _tree, Output, _honest) = (honest._slotRoots, honest._tree, honest.Output, honest._honest);
            return;
        }
        if (lie.LieSlot < 0 || lie.LieSlot >= honest.Length) throw new ArgumentOutOfRangeException(nameof(lie), lie.LieSlot, $"lie slot outside [0, {honest.Length})");
        var lieOutput = FaultInjection.CorruptOutput(honest.SlotOutput(lie.LieSlot));
        _slotRoots = (Hash256[])honest._slotRoots.Clone();
        _slotRoots[lie.LieSlot] = MerkleMath.TensorRoot(lieOutput);
        _tree = new MemorySlotTree(_slotRoots);
        Output = lie.LieSlot == OutputSlot ? lieOutput : honest.Output;
        _honest = honest;
        Lie = lie;
    }

    private GraphTrace(GraphRunner runner, ModelRoots roots, byte[] input, int passes, Hash256[] slotRoots, ISlotTree tree, byte[] output,
        long outputSlot, Func<int, PassCheckpoint?> checkpointAt, bool fromStore)
    {
        (_runner, _roots, _input, Passes, _slotRoots, _tree, Output, OutputSlot, _checkpointAt, FromStore) =
            (runner, roots, input, passes, slotRoots, tree, output, outputSlot, checkpointAt, fromStore);
        InputRoot = MerkleMath.TensorRoot(input);
    }

    /// <summary>
    /// The honest trace: read from <paramref name="store"/> when it holds a complete one for this model, input and
    /// passes; else computed (and, with a store, written to it; a stale trace for other inputs is cleared first).
    /// </summary>
    public static GraphTrace Honest(IModel model, ModelRoots roots, byte[] taskInput, int passes, IOpBackend? backend, TaskTraceStore? store,
        int checkpointInterval = DefaultCheckpointInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        var runner = new GraphRunner(model, backend ?? CpuBackend.Instance);
        var inputRoot = MerkleMath.TensorRoot(taskInput);
        if (store is null)
        {
            var run = runner.Run(taskInput, passes);
            var slotRoots = run.SlotRoots.ToArray();
            return new GraphTrace(runner, roots, taskInput, passes, slotRoots, new MemorySlotTree(slotRoots), run.Output.Data, run.OutputSlot, _ => null, false);
        }
        if (store.Meta is { } m)
        {
            if (m.WeightsRoot == roots.WeightsRoot.ToString() && m.DescriptorsRoot == roots.DescriptorsRoot.ToString() && m.InputRoot == inputRoot.ToString() && m.Passes == passes)
                return new GraphTrace(runner, roots, taskInput, passes, store.SlotRoots(m.SlotCount), store.Tree(m.SlotCount), Convert.FromHexString(m.OutputHex),
                    m.OutputSlot, p => store.CheckpointAtOrBefore(p, m.CheckpointInterval), true);
            store.Clear(); // another task's trace under this id (a reorganisation replaced the request)
        }
        // Checkpoints of a large decoder are large (a 7B's KV caches: 512 MiB each): the interval widens so that a task
        // stores at most CheckpointBudgetBytes of them per pass on average (a link then replays a few more passes).
        checkpointInterval = EffectiveCheckpointInterval(runner, passes, checkpointInterval);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var storing = TimeSpan.Zero;
        var computed = runner.Run(taskInput, passes, new GraphRunOptions
        {
            CheckpointPass = p => p > 0 && p % checkpointInterval == 0,
            PassStarting = cp =>
            {
                var t = System.Diagnostics.Stopwatch.GetTimestamp();
                store.PutCheckpoint(cp);
                storing += System.Diagnostics.Stopwatch.GetElapsedTime(t);
            },
        });
        var inference = System.Diagnostics.Stopwatch.GetElapsedTime(started) - storing;
        var put = System.Diagnostics.Stopwatch.GetTimestamp();
        var meta = new StoredGraphMeta(roots.WeightsRoot.ToString(), roots.DescriptorsRoot.ToString(), inputRoot.ToString(), passes, computed.SlotCount,
            computed.OutputSlot, Convert.ToHexString(computed.Output.Data), checkpointInterval);
        store.PutGraph(computed.SlotRoots, meta);
        storing += System.Diagnostics.Stopwatch.GetElapsedTime(put);
        return new GraphTrace(runner, roots, taskInput, passes, computed.SlotRoots.ToArray(), store.Tree(computed.SlotCount), computed.Output.Data,
            computed.OutputSlot, p => store.CheckpointAtOrBefore(p, checkpointInterval), false)
        { InferenceSeconds = inference.TotalSeconds, StoreSeconds = storing.TotalSeconds };
    }

    /// <summary>Pass checkpoint bytes a stored trace holds per pass, at most, on average (<see cref="EffectiveCheckpointInterval"/>).</summary>
    public const long CheckpointBudgetBytes = 64L << 20;

    /// <summary>The checkpoint interval a trace is stored with: <paramref name="configured"/>, widened to
    /// ⌈checkpoint bytes / <see cref="CheckpointBudgetBytes"/>⌉ passes for models whose checkpoints are larger.</summary>
    public static int EffectiveCheckpointInterval(GraphRunner runner, int passes, int configured) =>
        (int)Math.Clamp(Math.Max(configured, (runner.CheckpointBytes(passes) + CheckpointBudgetBytes - 1) / CheckpointBudgetBytes), 1, int.MaxValue);

    /// <summary>This honest trace with the lie of <paramref name="lie"/> (or itself when null).</summary>
    public GraphTrace WithLie(FaultInjection? lie)
    {
        if (Lie is not null) throw new InvalidOperationException("a lying trace is derived from the honest one");
        return lie is null ? this : new GraphTrace(this, lie);
    }

    public int Passes { get; }

    /// <summary>Seconds the honest trace took: native inference with every slot root (<see cref="InferenceSeconds"/>),
    /// and writing it to the store (<see cref="StoreSeconds"/>: pass checkpoints and the slot tree). 0 when read back.</summary>
    public double InferenceSeconds { get; private init; }

    /// <inheritdoc cref="InferenceSeconds"/>
    public double StoreSeconds { get; private init; }

    /// <summary>True when the honest trace was read from the store rather than computed.</summary>
    public bool FromStore { get; }

    /// <summary>The task input bytes this trace was computed from.</summary>
    public ReadOnlySpan<byte> TaskInputBytes => _input;
    public FaultInjection? Lie { get; }
    public long Length => _slotRoots.Length;
    public long OutputSlot { get; }
    public Hash256 InputRoot { get; }

    /// <summary>The output tensor's bytes this party claims (the output slot's).</summary>
    public byte[] Output { get; }

    public Hash256 FinalRoot => RootAt(Length);

    // A lie changes S_i only after its slot: before that, the honest (stored) roots are the liar's too.
    public Hash256 RootAt(long i) => _honest is not null && i <= Lie!.LieSlot ? _honest.RootAt(i) : _tree.StateRoot(i);

    public Hash256 SlotRoot(long g) => _slotRoots[g];

    /// <summary>The proof of the output slot in S_N that <c>submit</c> takes.</summary>
    public MerkleProof OutputSlotProof() => _tree.Proof(OutputSlot, Length);

    /// <summary>Phase 1's end at slot j: out_j and the siblings that take S_j (leaf Z[0]) to S_{j+1} (leaf out_j).</summary>
    public MerkleProof TransitionProof(long j) => _tree.Proof(j, j);

    /// <summary>Slot g's descriptor, inputs and their proofs (from the honest computation: slots before g are agreed).</summary>
    public SlotStart Link(long g)
    {
        if (_honest is not null) return _honest.Link(g);
        return _runner.ComposeSlotStart(_input, Passes, g, _roots, _tree, _checkpointAt((int)(g / _runner.Model.Nodes.Count)));
    }

    /// <summary>Slot g's honest output tensor, rebuilt from the nearest native checkpoint.</summary>
    public byte[] SlotOutput(long g)
    {
        if (_honest is not null) return _honest.SlotOutput(g);
        return _runner.SlotOutput(_input, Passes, g, _checkpointAt((int)(g / _runner.Model.Nodes.Count)));
    }
}
