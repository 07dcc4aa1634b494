using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary>RMSNorm or LayerNorm (OPS §5.6, P[0]).</summary>
public enum NormMode
{
    Rms = 0,
    Layer = 1,
}

/// <summary><c>Norm</c> (op 6, OPS §5.6): RMSNorm (mode 0) or LayerNorm (mode 1) over each row of D elements.</summary>
/// <remarks>
/// Inputs: x I8 [R, D]; gamma I16 [D]; beta I32 [D] if <see cref="HasBeta"/>. Params: P[0] mode, P[1] s, P[2] qmin,
/// P[3] qmax, P[4] eps ≥ 1, P[5] flags (bit 0 beta).
/// <code>
/// s1 = Σ x, s2 = Σ x²;  v = Layer ? D·s2 − s1² : D·s2   (uint64)
/// inv = floor(2^30 / isqrt(v + eps));  c_i = Layer ? D·x_i − s1 : D·x_i
/// Out_i = Clamp( RoundShift( RoundShift(c_i · inv, 16) · gamma_i + beta_i, s ), qmin, qmax, T_out )
/// </code>
/// </remarks>
public readonly record struct NormParams(NormMode Mode, int Shift, int QMin, int QMax, int Epsilon, bool HasBeta) : IOpParams
{
    public void Reference(OpIo io)
    {
        int rows = io.InSpec(0).Rows, dim = io.InSpec(0).Cols;
        for (int r = 0; r < rows; r++)
        {
            int s1 = 0, s2 = 0;
            for (int i = 0; i < dim; i++) { int x = io.Get(0, r * dim + i); s1 += x; s2 += x * x; }
            int inv = InverseStdDev(dim, s1, s2);
            for (int i = 0; i < dim; i++)
            {
                int x = io.Get(0, r * dim + i);
                int c = IsLayerNorm ? dim * x - s1 : dim * x;
                long n = QMath.RoundShift((long)c * inv, 16);
                long y = n * io.Get(1, i) + (HasBeta ? io.Get(2, i) : 0);
                io.Set(r * dim + i, QMath.Clamp(QMath.RoundShift(y, Shift), QMin, QMax, io.OutSpec.Type));
            }
        }
    }

    public const int BetaFlag = 1;

    public OpCode Op => OpCode.Norm;

    public bool IsLayerNorm => Mode == NormMode.Layer;

    public void Encode(Span<int> w) => OpParams.Write(w, (int)Mode, Shift, QMin, QMax, Epsilon, HasBeta ? BetaFlag : 0);

    public static NormParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        Check(w[0] is (int)NormMode.Rms or (int)NormMode.Layer, d, "Norm mode must be 0 (RMS) or 1 (Layer)");
        Check((w[5] & ~BetaFlag) == 0, d, "Norm flags: only bit 0 (beta)");
        var p = new NormParams((NormMode)w[0], w[1], w[2], w[3], w[4], (w[5] & BetaFlag) != 0);
        Inputs(d, p.HasBeta ? 3 : 2);
        var x = d.In(0);
        Type(d, 0, ElemType.I8);
        Check(x.Cols <= MaxNormDim, d, $"D = {x.Cols} > {MaxNormDim}");
        Type(d, 1, ElemType.I16);
        Check(d.In(1).ElementCount == x.Cols, d, "gamma must have D elements");
        if (p.HasBeta) { Type(d, 2, ElemType.I32); Check(d.In(2).ElementCount == x.Cols, d, "beta must have D elements"); }
        Check(d.Output.Type is ElemType.I8 or ElemType.I16, d, "Norm output must be I8 or I16");
        SameDims(d, 0);
        Requant(d, p.Shift, p.QMin, p.QMax);
        Check(p.Epsilon >= 1, d, "Norm eps must be >= 1");
        return p;
    }

    /// <summary>floor(2^30 / isqrt(v + eps)) for a row with sums s1 = Σx, s2 = Σx² over D elements.</summary>
    public int InverseStdDev(int dim, int s1, int s2)
    {
        ulong v = IsLayerNorm ? (ulong)((long)dim * s2 - (long)s1 * s1) : (ulong)dim * (ulong)s2;
        return (int)((1UL << 30) / QMath.Isqrt(v + (ulong)Epsilon));
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Norm(this, io);
}
