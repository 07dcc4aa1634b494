using System.Runtime.CompilerServices;
using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Mul</c> (op 3, OPS §5.3): elementwise product (the SiLU gate · up of a LLaMA MLP).</summary>
/// <remarks>
/// Inputs: a, b, each I8 or I16, of the output's element count. Params: P[0] M, P[1] s, P[2] qmin, P[3] qmax.
/// <code>Out[i] = Clamp( Requant(a[i]·b[i], M, s), qmin, qmax, T_out )</code>   (|a·b| ≤ 2^30: no overflow)
/// </remarks>
public readonly record struct MulParams(int Multiplier, int Shift, int QMin, int QMax) : IOpParams
{
    public void Reference(OpIo io) => Elementwise.Reference(Operator, io, 1, QMin, QMax);

    public OpCode Op => OpCode.Mul;

    public MulOperator Operator => new(Multiplier, Shift);

    public void Encode(Span<int> w) => OpParams.Write(w, Multiplier, Shift, QMin, QMax);

    public static MulParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        var p = new MulParams(w[0], w[1], w[2], w[3]);
        Inputs(d, 2);
        for (int i = 0; i < 2; i++) Check(d.In(i).Type is ElemType.I8 or ElemType.I16, d, $"Mul input {i} must be I8 or I16");
        SameCount(d, 0); SameCount(d, 1);
        Requant(d, p.Shift, p.QMin, p.QMax);
        return p;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Mul(this, io);
}

/// <summary>The Mul formula before clamping: Requant(a·b, M, s).</summary>
public readonly struct MulOperator(int m, int s) : IElementwiseOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Apply(int a, int b) => QMath.Requant(a * b, m, s);
}
