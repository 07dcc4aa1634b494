using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>TokenSelect</c> (op 15, OPS §5.15): the prompt token of this pass, or the previous prediction.</summary>
/// <remarks>
/// Inputs: prompt I32 [1 + Lmax] (element 0 = prompt length n); pos I32 (element 0); pred I32 (element 0). Output I32 [1].
/// <code>p = pos[0];  Out[0] = 0 ≤ p &lt; min(n, Lmax) ? prompt[1 + p] : pred[0]</code>
/// </remarks>
public readonly record struct TokenSelectParams : IOpParams
{
    public void Reference(OpIo io) => io.Set(0, Select(io.I32(0), io.Get(1, 0), io.Get(2, 0)));

    public OpCode Op => OpCode.TokenSelect;

    public static TokenSelectParams Decode(NodeDescriptor d)
    {
        Inputs(d, 3);
        for (int i = 0; i < 3; i++) Type(d, i, ElemType.I32);
        Check(d.In(0).ElementCount >= 1, d, "prompt must hold at least the length element");
        Check(d.Output.Type == ElemType.I32 && d.Output.ElementCount == 1, d, "TokenSelect output must be I32 [1]");
        return default;
    }

    /// <summary>The token chosen from the prompt tensor, the pass position and the previous prediction.</summary>
    public static int Select(ReadOnlySpan<int> prompt, int pos, int pred) =>
        pos >= 0 && pos < Math.Min(prompt[0], prompt.Length - 1) ? prompt[1 + pos] : pred;

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.TokenSelect(this, io);
}
