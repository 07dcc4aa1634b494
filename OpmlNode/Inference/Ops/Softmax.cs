using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Softmax</c> (op 7, OPS §5.7): row softmax to Q15 probabilities through an exp table.</summary>
/// <remarks>
/// Inputs: x [R, C] (any type, C ≤ 65536); exp table I32 [256]. Params: P[0] M, P[1] s (the prescale).
/// <code>
/// t_j = clamp(Requant(x_j, M, s), −2^30, 2^30 − 1);  m = max t;  e_j = d_j = m − t_j ≤ 255 ? clamp(lut[d_j], 0, 2^15) : 0
/// Z = Σ e;  Out_j = Z = 0 ? 0 : floor((e_j · 2^15 + floor(Z/2)) / Z)
/// </code>
/// </remarks>
public readonly record struct SoftmaxParams(int Multiplier, int Shift) : IOpParams
{
    public void Reference(OpIo io)
    {
        int rows = io.InSpec(0).Rows, c = io.InSpec(0).Cols;
        var lut = new int[256];
        for (int i = 0; i < 256; i++) lut[i] = io.Get(1, i);
        var t = new int[c]; var p = new int[c]; var allowed = new bool[c];
        Array.Fill(allowed, true);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < c; j++) t[j] = QMath.SoftmaxPrescale(io.Get(0, r * c + j), Multiplier, Shift);
            QMath.SoftmaxRow(t, allowed, lut, p);
            for (int j = 0; j < c; j++) io.Set(r * c + j, p[j]);
        }
    }

    public OpCode Op => OpCode.Softmax;

    public void Encode(Span<int> w) => OpParams.Write(w, Multiplier, Shift);

    public static SoftmaxParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        var p = new SoftmaxParams(w[0], w[1]);
        Inputs(d, 2);
        Lut(d, 1, ElemType.I32);
        Check(d.Output.Type == ElemType.I32, d, "Softmax output must be I32 (Q15)");
        SameDims(d, 0);
        Check(d.In(0).Cols <= MaxSoftmaxLen, d, $"row length > {MaxSoftmaxLen}");
        OpRules.Shift(d, p.Shift);
        return p;
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Softmax(this, io);
}
