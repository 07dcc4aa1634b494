namespace OpmlNode.Inference.Ops;

/// <summary>The reference loop of the elementwise ops: Out[i] = Clamp(op(In0[i], In1[i]), qmin, qmax, T_out).</summary>
internal static class Elementwise
{
    public static void Reference<TOp>(TOp op, OpIo io, int secondInput, int qmin, int qmax) where TOp : struct, IElementwiseOperator
    {
        var t = io.OutSpec.Type;
        for (int i = 0; i < io.OutSpec.ElementCount; i++)
            io.Set(i, QMath.Clamp(op.Apply(io.Get(0, i), io.Get(secondInput, i)), qmin, qmax, t));
    }
}
