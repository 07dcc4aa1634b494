namespace OpmlNode.Inference.Graphs;

/// <summary>Options of one graph run.</summary>
public sealed class GraphRunOptions
{
    /// <summary>Compute every slot's tensor root and the slot tree (needed for S_i and proofs). Off only for raw speed measurements.</summary>
    public bool RecordRoots { get; init; } = true;
    /// <summary>Called before each pass with its native checkpoint (what it reads from earlier passes), for persisting.</summary>
    public Action<PassCheckpoint>? PassStarting { get; init; }
    /// <summary>Which passes <see cref="PassStarting"/> is called for (null: every one). A checkpoint copies what later
    /// passes read (a 7B decoder's KV caches: 512 MiB), so passes not persisted are not copied either.</summary>
    public Func<int, bool>? CheckpointPass { get; init; }
    /// <summary>Called after each pass with (passes done, total passes).</summary>
    public Action<int, int>? PassCompleted { get; init; }
    /// <summary>
    /// Called after each slot with (g, output bytes); the span is only valid during the call. Slot roots are recorded in
    /// the run per pass (after the pass's last slot, before <see cref="PassCompleted"/>), not per slot.
    /// </summary>
    public SlotObserver? SlotCompleted { get; init; }
    /// <summary>
    /// Template nodes that read their own previous output (KV caches, the token buffer) and whose output has at least
    /// this many bytes get their slot roots from an <see cref="IncrementalTensorRoot"/> (same roots, rehashing only
    /// changed leaves); it holds about 2× the output per such node for the run. int.MaxValue turns it off.
    /// </summary>
    public int IncrementalRootMinBytes { get; init; } = GraphRunner.DefaultIncrementalRootMinBytes;
}
