using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Lut</c> (op 5, OPS §5.5): int8 → T table lookup (ReLU, SiLU, GELU, … filled by the converter).</summary>
/// <remarks>
/// Inputs: x I8 of the output's element count; table T_out [256]. No params.
/// <code>Out[i] = table[x[i] + 128]</code>
/// </remarks>
public readonly record struct LutParams : IOpParams
{
    public void Reference(OpIo io)
    {
        for (int i = 0; i < io.OutSpec.ElementCount; i++) io.Set(i, io.Get(1, io.Get(0, i) + 128));
    }

    public OpCode Op => OpCode.Lut;

    public static LutParams Decode(NodeDescriptor d)
    {
        Inputs(d, 2);
        Type(d, 0, ElemType.I8);
        Lut(d, 1, d.Output.Type);
        SameCount(d, 0);
        return default;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Lut(this, io);
}
