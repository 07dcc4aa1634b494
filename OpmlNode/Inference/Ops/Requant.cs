using System.Runtime.CompilerServices;
using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Requant</c> (op 4, OPS §5.4): rescale, change type, or apply a ReLU-style clamp.</summary>
/// <remarks>
/// Input: x of the output's element count (any type). Params: P[0] M, P[1] s, P[2] qmin, P[3] qmax.
/// <code>Out[i] = Clamp( Requant(x[i], M, s), qmin, qmax, T_out )</code>
/// </remarks>
public readonly record struct RequantParams(int Multiplier, int Shift, int QMin, int QMax) : IOpParams
{
    public void Reference(OpIo io) => Elementwise.Reference(Operator, io, 0, QMin, QMax);

    public OpCode Op => OpCode.Requant;

    public RequantOperator Operator => new(Multiplier, Shift);

    public void Encode(Span<int> w) => OpParams.Write(w, Multiplier, Shift, QMin, QMax);

    public static RequantParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        var p = new RequantParams(w[0], w[1], w[2], w[3]);
        Inputs(d, 1);
        SameCount(d, 0);
        Requant(d, p.Shift, p.QMin, p.QMax);
        return p;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Requant(this, io);
}

/// <summary>The Requant formula before clamping: Requant(a, M, s) (the second operand is ignored).</summary>
public readonly struct RequantOperator(int m, int s) : IElementwiseOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Apply(int a, int b) => QMath.Requant(a, m, s);
}
