namespace OpmlNode.Inference.Import.Onnx;

/// <summary>What an ONNX value has become during lowering.</summary>
internal abstract record Val;

/// <summary>Known at import time (initializer, Constant, or folded from shapes and constants).</summary>
internal sealed record ConstVal(OnnxTensor T) : Val;

/// <summary>
/// How an int8 activation's bytes relate to its logical ONNX shape. <c>Plain</c>: row-major, the 2-D view of the
/// logical shape. The attention layouts keep the bytes of a [L, H·hd] projection: <c>Split</c> is its reshape
/// [1, L, H, hd]; <c>HeadsFirst</c> the transpose [1, H, L, hd]; <c>HeadsFirstT</c> the transpose [1, H, hd, L]. With the
/// heads folded into the batch axis (PyTorch's [L, B·H, hd], batch 1) the same layouts have no leading 1: [L, H, hd],
/// [H, L, hd], [H, hd, L].
/// </summary>
internal enum Layout { Plain, Split, HeadsFirst, HeadsFirstT }

/// <summary>
/// An int8 tensor of the op-set graph: element (r, c) is the ONNX value's channel Perm[c] (c without Perm), real =
/// q · Scale · Channel[c] + (Offsets[c] or Offset). Only the consumers that fold them (MatMul weights and bias, Lut
/// tables for a plain Offset) read an offset, channel scales or a permutation; the others get
/// <see cref="OnnxImporter"/>'s symmetric copy.
/// </summary>
internal sealed record ActVal(InputRef Ref, double Scale, int[] Shape, Layout Layout = Layout.Plain, int Heads = 0) : Val
{
    public double Offset { get; init; }
    public double[]? Offsets { get; init; }
    public double[]? Channel { get; init; }
    public int[]? Perm { get; init; }

    public double OffsetAt(int c) => Offsets?[c] ?? Offset;

    public double ChannelAt(int c) => Channel?[c] ?? 1;

    /// <summary>True if q · Scale + Offset holds for every element (no per-channel form).</summary>
    public bool Uniform => Offsets is null && Channel is null && Perm is null;
}

/// <summary>
/// A MatMul output split into channel groups (each its own node, int8 scale and offset; <c>Perm</c> lists the ONNX
/// channels of the parts in order) for the one Lut chain that reads it: each part gets its own table.
/// </summary>
internal sealed record GroupsVal(IReadOnlyList<ActVal> Parts, int[] Perm, int[] Shape) : Val;

/// <summary>The token ids (the task input, I32 [L]).</summary>
internal sealed record IdsVal(int[] Shape) : Val;

/// <summary>
/// The attention mask derived from the token ids (id ≠ pad); <c>Stage</c> counts the exporter's steps towards the
/// additive form: 0 = keep 1 / pad 0, 1 = (1 − mask), 2 = (1 − mask)·(large negative), which attention takes.
/// </summary>
internal sealed record MaskVal(int[] Shape, int Stage) : Val;

/// <summary>An embedding lookup not yet materialised: table[ids] + the constant addend (positions, token types).</summary>
internal sealed record EmbVal(OnnxTensor Table, float[]? Addend, int[] Shape, string Name) : Val;

/// <summary>
/// x·W [+ bias] whose every reader is a Slice / Split of column ranges (or a Shape): not materialised, each part
/// becomes its own MatMul on those weight columns. W is given as W(n, k), N × K.
/// </summary>
internal sealed record PackedVal(ActVal X, int N, int K, Func<int, int, float> W, float[]? Bias, int[] Shape) : Val;

/// <summary>Attention scores Q·Kᵀ · Factor (+ the padding mask), not materialised: they end in the Attention node.</summary>
internal sealed record ScoresVal(ActVal Q, ActVal K, double Factor, bool Masked, int[] Shape) : Val;

/// <summary>Softmax of <see cref="ScoresVal"/> along the keys.</summary>
internal sealed record ProbsVal(ScoresVal Scores) : Val;
