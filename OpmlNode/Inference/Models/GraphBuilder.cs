using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Models;

/// <summary>
/// Helper for converters and synthetic models: appends nodes and weights, applies the MatMul tiling rule (OPS §4)
/// with a budget in VM steps per node (estimated by <see cref="GuestCost"/>), and joins tiles with (trees of) Concat.
/// </summary>
public sealed class GraphBuilder
{
    private readonly List<NodeDescriptor> _nodes = new();
    private readonly List<WeightSource> _weights = new();

    /// <param name="maxStepsPerNode">Tiling budget B (OPS §4): VM steps one MatMul node may take in the guest.</param>
    public GraphBuilder(long maxStepsPerNode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStepsPerNode, GuestCost.FixedSteps + 1);
        MaxStepsPerNode = maxStepsPerNode;
    }

    public long MaxStepsPerNode { get; }
    public IReadOnlyList<NodeDescriptor> Nodes => _nodes;
    public IReadOnlyList<WeightSource> Weights => _weights;
    public int NextNode => _nodes.Count;

    public InputRef AddWeight(TensorSpec spec, Action<Span<byte>> fill)
    {
        _weights.Add(new WeightSource(spec, fill));
        return InputRef.Weight((uint)(_weights.Count - 1), spec);
    }

    public InputRef AddWeight(QTensor t) => AddWeight(t.Spec, dst => t.Data.CopyTo(dst));

    public InputRef Node(int k, uint lag = 0) => InputRef.Node((uint)k, lag, _nodes[k].Output);

    public int Add(TensorSpec output, InputRef[] inputs, IOpParams p)
    {
        _nodes.Add(new NodeDescriptor(output, inputs, p));
        return _nodes.Count - 1;
    }

    /// <summary>Replaces node j (used to patch a forward lag reference once its producer's index is known).</summary>
    public void Replace(int j, TensorSpec output, InputRef[] inputs, IOpParams p) =>
        _nodes[j] = new NodeDescriptor(output, inputs, p);

    /// <summary>
    /// y = A·Wᵀ (+ bias) requantised (or I32), tiled along output features into the fewest equal tiles whose estimated
    /// guest cost fits the step budget (K is never split, so a single output column is the smallest tile); tiles
    /// reference the same weight with n0 offsets and are joined by Concat. Returns the node holding [rows, N].
    /// With <paramref name="perChannel"/> (I32 [N, 2] of (M_n, s_n), OPS §5.1) each output feature has its own
    /// requantisation and <paramref name="q"/> is unused (P[0], P[1] are 0).
    /// </summary>
    public int MatMul(InputRef a, InputRef w, InputRef? bias, ElemType outType, (int M, int S) q, int qmin, int qmax, InputRef? perChannel = null)
    {
        if (perChannel is not null && outType == ElemType.I32) throw new ArgumentException("a MatMul with I32 output does not requantise, so it takes no per-channel (M_n, s_n)");
        int rows = a.Spec.Rows, n = w.Spec.Dims[0], k = w.Spec.Dims[1];
        int tiles = 1;
        while (tiles < n && GuestCost.MatMulSteps(rows, (n + tiles - 1) / tiles, k) > MaxStepsPerNode) tiles++;
        InputRef[] ins = new[] { a, w, bias, perChannel }.OfType<InputRef>().ToArray();
        MatMulParams P(int n0) => outType == ElemType.I32
            ? MatMulParams.Int32Output(n0, hasBias: bias is not null)
            : perChannel is not null
                ? new MatMulParams(0, 0, qmin, qmax, n0, HasBias: bias is not null, PerChannel: true)
                : new MatMulParams(q.M, q.S, qmin, qmax, n0, HasBias: bias is not null, PerChannel: false);
        if (tiles == 1) return Add(new TensorSpec(outType, rows, n), ins, P(0));
        int per = (n + tiles - 1) / tiles;
        var parts = new List<int>();
        for (int n0 = 0; n0 < n; n0 += per)
            parts.Add(Add(new TensorSpec(outType, rows, Math.Min(per, n - n0)), ins, P(n0)));
        return ConcatTree(parts);
    }

    /// <summary>Joins nodes along the last axis with Concat nodes of at most 8 inputs each.</summary>
    public int ConcatTree(IReadOnlyList<int> parts)
    {
        var level = parts.ToList();
        while (level.Count > 1)
        {
            var next = new List<int>();
            for (int i = 0; i < level.Count; i += NodeDescriptor.MaxInputs)
            {
                var group = level.Skip(i).Take(NodeDescriptor.MaxInputs).ToList();
                if (group.Count == 1) { next.Add(group[0]); continue; }
                var first = _nodes[group[0]].Output;
                int cols = group.Sum(g => _nodes[g].Output.Cols);
                next.Add(Add(new TensorSpec(first.Type, first.Rows, cols), group.Select(g => Node(g)).ToArray(), new ConcatParams()));
            }
            level = next;
        }
        return level[0];
    }

    public ModelDefinition Build(string architecture, int outputNode, int inputSizeLimit, int defaultPasses) =>
        new(architecture, _nodes.ToArray(), _weights.ToArray(), outputNode, inputSizeLimit, defaultPasses);
}
