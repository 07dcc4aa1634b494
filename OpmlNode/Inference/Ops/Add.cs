using System.Runtime.CompilerServices;
using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Add</c> (op 2, OPS §5.2): residual / elementwise add of two tensors with a multiplier each.</summary>
/// <remarks>
/// Inputs: a, b of the output's element count (any types). Params: P[0] Ma, P[1] s, P[2] qmin, P[3] qmax, P[4] Mb;
/// |Ma|, |Mb| ≤ 2^30.
/// <code>Out[i] = Clamp( RoundShift( (int64)a[i]·Ma + (int64)b[i]·Mb, s ), qmin, qmax, T_out )</code>
/// </remarks>
public readonly record struct AddParams(int MultiplierA, int Shift, int QMin, int QMax, int MultiplierB) : IOpParams
{
    public void Reference(OpIo io) => Elementwise.Reference(Operator, io, 1, QMin, QMax);

    public const long MaxMultiplier = 1L << 30;

    public OpCode Op => OpCode.Add;

    public AddOperator Operator => new(MultiplierA, MultiplierB, Shift);

    public void Encode(Span<int> w) => OpParams.Write(w, MultiplierA, Shift, QMin, QMax, MultiplierB);

    public static AddParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        var p = new AddParams(w[0], w[1], w[2], w[3], w[4]);
        Inputs(d, 2);
        SameCount(d, 0); SameCount(d, 1);
        Requant(d, p.Shift, p.QMin, p.QMax);
        Check(Math.Abs((long)p.MultiplierA) <= MaxMultiplier && Math.Abs((long)p.MultiplierB) <= MaxMultiplier, d, "|Ma|, |Mb| must be <= 2^30");
        return p;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Add(this, io);
}

/// <summary>The Add formula before clamping: RoundShift(a·Ma + b·Mb, s).</summary>
public readonly struct AddOperator(int ma, int mb, int s) : IElementwiseOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Apply(int a, int b) => QMath.RoundShift((long)a * ma + (long)b * mb, s);
}
