using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Position</c> (op 14, OPS §5.14): the pass counter (reads its own previous output).</summary>
/// <remarks>
/// Input: prev I32 [2] (always NODE(self, 1); [0, 0] before pass 0). Output I32 [2]. No params.
/// <code>Out = [prev[1], wrap32(prev[1] + 1)]</code>   (so at pass p, Out = [p, p + 1])
/// </remarks>
public readonly record struct PositionParams : IOpParams
{
    public void Reference(OpIo io)
    {
        int prev1 = io.Get(0, 1);
        io.Set(0, prev1);
        io.Set(1, unchecked(prev1 + 1));
    }

    public OpCode Op => OpCode.Position;

    public static PositionParams Decode(NodeDescriptor d)
    {
        Inputs(d, 1);
        Type(d, 0, ElemType.I32);
        Check(d.In(0).ElementCount == 2 && d.Output.Type == ElemType.I32 && d.Output.ElementCount == 2, d, "Position is I32 [2] -> I32 [2]");
        return default;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Position(this, io);
}
