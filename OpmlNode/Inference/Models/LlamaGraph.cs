using OpmlNode.Inference.Ops;

namespace OpmlNode.Inference.Models;

/// <summary>
/// The decoder skeleton of OPS §6 shared by every LLaMA graph (the synthetic one and the GGUF import): the pass
/// counter, prompt-or-prediction token, embedding lookup, RoPE, KV caches, causal attention over them, and the tail
/// (argmax, token buffer, the TokenSelect patched to read the previous pass's argmax). The layers' quantisation
/// (what feeds a Norm, which MatMuls requantise how) is the caller's.
/// </summary>
public sealed class LlamaGraph
{
    private readonly GraphBuilder _b;
    private readonly TensorSpec _tokSpec = new(ElemType.I32, 1);
    private readonly TensorSpec _promptSpec;
    private readonly int _tokSel;

    /// <summary>Adds Position, TokenSelect and the embedding Gather (output [1, D] of the table's type).</summary>
    public LlamaGraph(GraphBuilder b, int maxSeq, InputRef embedding)
    {
        _b = b;
        MaxSeq = maxSeq;
        _promptSpec = new TensorSpec(ElemType.I32, 1 + maxSeq);
        var i32x2 = new TensorSpec(ElemType.I32, 2);
        Position = b.Add(i32x2, [InputRef.Node(0, 1, i32x2)], new PositionParams());
        _tokSel = b.Add(_tokSpec, [InputRef.TaskInput(_promptSpec), b.Node(Position), InputRef.Node(0, 1, _tokSpec)], new TokenSelectParams()); // patched in Finish
        Embedded = b.Add(new TensorSpec(embedding.Spec.Type, 1, embedding.Spec.Dims[1]), [embedding, b.Node(_tokSel)], new GatherParams(First: 0));
    }

    public int MaxSeq { get; }
    /// <summary>The Position node ([p, p + 1] in pass p).</summary>
    public int Position { get; }
    /// <summary>The embedding row of this pass's token.</summary>
    public int Embedded { get; }
    /// <summary>Byte length of the task input I32 [1 + maxSeq].</summary>
    public int InputBytes => _promptSpec.ByteLength;

    /// <summary>RoPE of a [1, C] int8 node with the Q14 table (OPS §5.8), same spec out.</summary>
    public int Rope(int node, InputRef table, int headDim) =>
        _b.Add(_b.Nodes[node].Output, [_b.Node(node), table, _b.Node(Position)], new RopeParams(headDim));

    /// <summary>A KV cache [maxSeq, C]: last pass's cache with this pass's row at the position (OPS §5.13).</summary>
    public int Cache(int row)
    {
        var spec = new TensorSpec(_b.Nodes[row].Output.Type, MaxSeq, _b.Nodes[row].Output.Cols);
        int kc = _b.NextNode;
        return _b.Add(spec, [InputRef.Node((uint)kc, 1, spec), _b.Node(row), _b.Node(Position)], new ScatterRowParams(Offset: 0));
    }

    /// <summary>Causal decode attention of the query row over the caches up to the position (OPS §5.9).</summary>
    public int Attention(int q, int kCache, int vCache, InputRef exp, int heads, int kvHeads, (int M, int S) score, (int M, int S) output) =>
        _b.Add(_b.Nodes[q].Output, [_b.Node(q), _b.Node(kCache), _b.Node(vCache), exp, _b.Node(Position)],
            new AttentionParams(output.M, output.S, QMin: -128, QMax: 127, Heads: heads, KvHeads: kvHeads, score.M, score.S,
                HasPosition: true, HasMask: false, Causal: true, PadValue: 0));

    /// <summary>Argmax of the logits, the token buffer (the output node) and the TokenSelect's lag reference to the argmax.</summary>
    public ModelDefinition Finish(int logits, string architecture)
    {
        int arg = _b.Add(_tokSpec, [_b.Node(logits)], new ArgmaxParams());
        var bufSpec = new TensorSpec(ElemType.I32, MaxSeq, 1);
        int buf = _b.NextNode;
        _b.Add(bufSpec, [InputRef.Node((uint)buf, 1, bufSpec), _b.Node(arg), _b.Node(Position)], new ScatterRowParams(Offset: 0));
        _b.Replace(_tokSel, _tokSpec, [InputRef.TaskInput(_promptSpec), _b.Node(Position), InputRef.Node((uint)arg, 1, _tokSpec)], new TokenSelectParams());
        return _b.Build(architecture, buf, InputBytes, MaxSeq);
    }
}
