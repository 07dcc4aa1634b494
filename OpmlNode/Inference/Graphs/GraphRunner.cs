using OpmlNode.Crypto;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Graphs;

public delegate void SlotObserver(long slot, ReadOnlySpan<byte> output);

/// <summary>
/// Runs the unrolled graph of a model (docs/GRAPH.md §2): P passes of the n-node template, slot g = p·n + j, input
/// references resolved as WEIGHT / TASK_INPUT / NODE(k, lag) with lag ≥ 1 before pass 0 reading the all-zero tensor.
/// Only the outputs that later lags need are kept (a ring of maxLag(k)+1 buffers per node). Records each slot's
/// output tensor root and the slot tree (depth <see cref="SlotDepth"/>) whose prefixes are the graph state roots S_i.
/// </summary>
public sealed class GraphRunner
{
    /// <summary>Depth of the slot tree (PROTOCOL §2.4 list of roots): N = P·n ≤ 2^32 slots.</summary>
    public const int SlotDepth = 32;
    private const int ParallelRootBytes = 4 << 20;
    /// <summary>Default <see cref="GraphRunOptions.IncrementalRootMinBytes"/>.</summary>
    public const int DefaultIncrementalRootMinBytes = 1 << 20;

    private readonly IModel _model;
    private readonly int[] _ringSize;
    private readonly Dictionary<int, byte[]> _zeros = new();

    public GraphRunner(IModel model, IOpBackend? backend = null)
    {
        _model = model;
        Backend = backend ?? CpuBackend.Instance;
        int n = model.Nodes.Count;
        _ringSize = new int[n];
        for (int k = 0; k < n; k++) _ringSize[k] = 1;
        foreach (var d in model.Nodes)
            foreach (var r in d.Inputs)
                if (r.Kind == RefKind.Node)
                    _ringSize[r.Index] = (int)Math.Max(_ringSize[r.Index], Math.Min(r.Lag, (uint)int.MaxValue - 1) + 1);
    }

    public IOpBackend Backend { get; }
    public IModel Model => _model;

    /// <summary>Largest byte length a task input may have: the input size limit (and no more than any TASK_INPUT declaration).</summary>
    public void CheckTaskInput(ReadOnlySpan<byte> input)
    {
        if (input.Length > _model.InputSizeLimit)
            throw new ArgumentException($"task input is {input.Length} bytes; the model's input size limit is {_model.InputSizeLimit}");
    }

    public static void CheckPasses(IModel model, long passes)
    {
        if (passes < 1) throw new ArgumentException($"passes must be at least 1, got {passes}");
        if (passes * model.Nodes.Count > 1L << SlotDepth) throw new ArgumentException($"{passes} passes × {model.Nodes.Count} nodes exceed 2^{SlotDepth} slots");
    }

    public GraphRun Run(ReadOnlyMemory<byte> taskInput, int passes, GraphRunOptions? options = null)
    {
        options ??= new GraphRunOptions();
        var run = new GraphRun(_model, passes, taskInput.ToArray(), options.RecordRoots);
        Execute(taskInput, passes, long.MaxValue, options, run, null, out _);
        return run;
    }

    /// <summary>
    /// The VM start inputs of slot g (docs/GRAPH.md §4): re-runs the graph up to slot g, then returns node j's
    /// descriptor and input tensors with their roots and proofs (weights against the weights root, earlier slots
    /// against S_g, the task input by its root).
    /// </summary>
    public SlotStart ComposeSlotStart(ReadOnlyMemory<byte> taskInput, int passes, long g, ModelRoots roots)
    {
        CheckSlot(passes, g);
        var run = new GraphRun(_model, passes, taskInput.ToArray(), true);
        Execute(taskInput, passes, g, new GraphRunOptions(), run, null, out var captured);
        return Compose(g, captured!, roots, run, run.InputRoot);
    }

    /// <summary>
    /// The same slot start, with S_g and the proofs taken from <paramref name="tree"/> and the inputs rebuilt from the
    /// native checkpoint <paramref name="from"/> (null: from pass 0), so no pass before the checkpoint's is re-run.
    /// </summary>
    public SlotStart ComposeSlotStart(ReadOnlyMemory<byte> taskInput, int passes, long g, ModelRoots roots, ISlotTree tree, PassCheckpoint? from)
    {
        var captured = SlotInputs(taskInput, passes, g, from);
        return Compose(g, captured, roots, tree, MerkleMath.TensorRoot(taskInput.Span));
    }

    /// <summary>Slot g's input tensors (task input zero-padded to its declared length), run from <paramref name="from"/> or pass 0.</summary>
    public byte[][] SlotInputs(ReadOnlyMemory<byte> taskInput, int passes, long g, PassCheckpoint? from = null)
    {
        CheckSlot(passes, g);
        Execute(taskInput, passes, g, new GraphRunOptions(), new GraphRun(_model, passes, [], false), from, out var captured);
        return captured!;
    }

    /// <summary>Slot g's output tensor, run from <paramref name="from"/> or pass 0.</summary>
    public byte[] SlotOutput(ReadOnlyMemory<byte> taskInput, int passes, long g, PassCheckpoint? from = null)
    {
        CheckSlot(passes, g);
        byte[]? output = null;
        var options = new GraphRunOptions { SlotCompleted = (s, o) => { if (s == g) output = o.ToArray(); } };
        Execute(taskInput, passes, g + 1, options, new GraphRun(_model, passes, [], false), from, out _);
        return output!;
    }

    private void CheckSlot(int passes, long g)
    {
        CheckPasses(_model, passes);
        long n = _model.Nodes.Count;
        if (g < 0 || g >= passes * n) throw new ArgumentOutOfRangeException(nameof(g), g, $"slot out of range [0, {passes * n})");
    }

    private SlotStart Compose(long g, byte[][] captured, ModelRoots roots, ISlotTree tree, Hash256 inputRoot)
    {
        int n = _model.Nodes.Count;
        int p = (int)(g / n), j = (int)(g % n);
        var d = _model.Nodes[j];
        var inputs = new List<SlotInput>();
        for (int i = 0; i < d.Inputs.Count; i++)
        {
            var r = d.Inputs[i];
            var bytes = captured[i];
            var root = MerkleMath.TensorRoot(bytes);
            switch (r.Kind)
            {
                case RefKind.Weight:
                    inputs.Add(new SlotInput(r, bytes, root, -1, roots.WeightProof((int)r.Index)));
                    break;
                case RefKind.TaskInput:
                    inputs.Add(new SlotInput(r, bytes, root, -1, null));
                    break;
                default:
                    long src = (long)(p - (long)r.Lag) * n + r.Index;
                    if (p - (long)r.Lag < 0) inputs.Add(new SlotInput(r, bytes, root, -1, null)); // before pass 0: zero tensor, root Z[23]
                    else inputs.Add(new SlotInput(r, bytes, root, src, tree.Proof(src, g)));
                    break;
            }
        }
        var desc = _model.DescriptorBytes(j).ToArray();
        return new SlotStart(g, p, j, desc, MerkleMath.TensorRoot(desc), roots.DescriptorProof(j), tree.StateRoot(g), inputRoot, inputs);
    }

    private byte[] Zeros(int length)
    {
        lock (_zeros)
        {
            if (!_zeros.TryGetValue(length, out var z)) _zeros[length] = z = new byte[length];
            return z;
        }
    }

    /// <summary>The bytes of a pass checkpoint of a task of <paramref name="passes"/> passes once every ring is full (what
    /// a pass reads from earlier ones: a decoder's KV caches).</summary>
    public long CheckpointBytes(int passes)
    {
        long bytes = 0;
        for (int k = 0; k < _ringSize.Length; k++) bytes += (long)(Math.Min(_ringSize[k], passes) - 1) * _model.Nodes[k].Output.ByteLength;
        return bytes;
    }

    // What pass p reads from earlier passes: for each node kept in a ring of size s > 1, its outputs of passes p−1..p−s+1.
    private static PassCheckpoint Checkpoint(int p, byte[][][] rings, int[] ringSize)
    {
        var entries = new List<PassCheckpoint.Entry>();
        for (int k = 0; k < rings.Length; k++)
            for (int l = 1; l < ringSize[k] && p - l >= 0; l++)
                entries.Add(new PassCheckpoint.Entry(k, p - l, (byte[])rings[k][(p - l) % ringSize[k]].Clone()));
        return new PassCheckpoint(p, entries);
    }

    // Lifts the pass's slot roots to tensor depth and records them as slots first, first+1, ….
    private static void RecordPass(GraphRun run, long first, Span<Hash256> roots, ReadOnlySpan<int> heights)
    {
        if (roots.IsEmpty) return;
        MerkleMath.LiftToDepth(roots, heights[..roots.Length], MerkleMath.TensorDepth);
        for (int k = 0; k < roots.Length; k++) run.RecordSlot(first + k, roots[k]);
    }

    private void Execute(ReadOnlyMemory<byte> taskInput, int passes, long stopBefore, GraphRunOptions options, GraphRun run, PassCheckpoint? from,
        out byte[][]? captured)
    {
        CheckPasses(_model, passes);
        CheckTaskInput(taskInput.Span);
        captured = null;
        int n = _model.Nodes.Count;
        var nodes = _model.Nodes;
        // Declared TASK_INPUT lengths are ≥ the input size limit (validated), so padding never truncates.
        // A lag ≥ passes always reads zeros, so no ring needs more than `passes` entries (lags up to 2^32−1 are valid).
        var rings = new byte[n][][];
        var ringSize = new int[n];
        for (int k = 0; k < n; k++) rings[k] = new byte[ringSize[k] = Math.Min(_ringSize[k], passes)][];
        var weightMem = new ReadOnlyMemory<byte>[_model.Weights.Count];
        for (int w = 0; w < weightMem.Length; w++) weightMem[w] = _model.Weight(w);
        var ins = new ReadOnlyMemory<byte>[NodeDescriptor.MaxInputs];
        // Incremental roots only for self-reading nodes (their output changes little per pass); memory ≈ 2× their outputs.
        var incremental = new IncrementalTensorRoot?[n];
        if (run.RecordsRoots && passes > 1)
            for (int k = 0; k < n; k++)
                if (nodes[k].Output.ByteLength >= options.IncrementalRootMinBytes && nodes[k].Inputs.Any(r => r.Kind == RefKind.Node && r.Index == k))
                    incremental[k] = new IncrementalTensorRoot();
        // A pass's slot roots are recorded together at its end (or where the run stops): most outputs are small, so their
        // natural-height roots (NaturalRoot) are lifted to depth 23 in one batched LiftToDepth instead of a chain of
        // ~18 single hashes each. Roots computed whole (parallel, incremental) wait at height 23, which LiftToDepth skips.
        var passRoots = run.RecordsRoots ? new Hash256[n] : [];
        var passHeights = run.RecordsRoots ? new int[n] : [];

        int firstPass = 0;
        if (from is not null)
        {
            if (run.RecordsRoots) throw new InvalidOperationException("a run resumed from a checkpoint records no roots");
            if (from.Pass >= passes || (long)from.Pass * n > stopBefore) throw new ArgumentException($"checkpoint of pass {from.Pass} is past the slots asked for", nameof(from));
            firstPass = from.Pass;
            foreach (var e in from.Entries)
            {
                if ((uint)e.Node >= (uint)n || e.OfPass >= from.Pass || from.Pass - e.OfPass >= ringSize[e.Node] || e.Bytes.Length != nodes[e.Node].Output.ByteLength)
                    throw new ArgumentException($"checkpoint of pass {from.Pass} does not fit this model (node {e.Node}, pass {e.OfPass})", nameof(from));
                rings[e.Node][e.OfPass % ringSize[e.Node]] = (byte[])e.Bytes.Clone();
            }
        }

        for (int p = firstPass; p < passes; p++)
        {
            if (options.PassStarting is { } onPass && options.CheckpointPass?.Invoke(p) != false) onPass(Checkpoint(p, rings, ringSize));
            for (int j = 0; j < n; j++)
            {
                long g = (long)p * n + j;
                var d = nodes[j];
                for (int i = 0; i < d.Inputs.Count; i++)
                {
                    var r = d.Inputs[i];
                    ins[i] = r.Kind switch
                    {
                        RefKind.Weight => weightMem[r.Index],
                        RefKind.TaskInput => taskInput,
                        _ => p - (long)r.Lag < 0
                            ? Zeros(r.Spec.ByteLength)
                            : rings[r.Index][(int)((p - (long)r.Lag) % ringSize[r.Index])],
                    };
                }
                if (g == stopBefore)
                {
                    RecordPass(run, (long)p * n, passRoots.AsSpan(0, run.RecordsRoots ? j : 0), passHeights);
                    captured = new byte[d.Inputs.Count][];
                    for (int i = 0; i < d.Inputs.Count; i++)
                    {
                        var b = new byte[d.In(i).ByteLength];
                        ins[i].Span.CopyTo(b); // task input: zero-padded to its declared length, as its region holds it
                        captured[i] = b;
                    }
                    return;
                }
                var ring = rings[j];
                int slotIdx = p % ring.Length;
                var output = ring[slotIdx] ??= new byte[d.Output.ByteLength];
                Backend.Execute(d, ins.AsSpan(0, d.Inputs.Count), output);
                if (run.RecordsRoots)
                {
                    if (incremental[j] is { } cache) (passRoots[j], passHeights[j]) = (cache.Update(output), MerkleMath.TensorDepth);
                    else if (output.Length >= ParallelRootBytes)
                        (passRoots[j], passHeights[j]) = (MerkleMath.RootOfBytesParallel(output, MerkleMath.TensorDepth), MerkleMath.TensorDepth);
                    else passRoots[j] = MerkleMath.NaturalRoot(output, out passHeights[j]);
                }
                options.SlotCompleted?.Invoke(g, output);
                if (p == passes - 1 && j == _model.OutputNode) run.Output = new QTensor(d.Output, (byte[])output.Clone());
            }
            RecordPass(run, (long)p * n, passRoots, passHeights);
            options.PassCompleted?.Invoke(p + 1, passes);
        }
    }
}
