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
/// Inputs: x I8 or I16 [R, D]; gamma I16 [D]; beta I32 [D] if <see cref="HasBeta"/>. Params: P[0] mode, P[1] s, P[2] qmin,
/// P[3] qmax, P[4] eps ≥ 1, P[5] flags (bit 0 beta). k = <see cref="InverseBits"/> (30 for I8 x, 52 for I16 x).
/// <code>
/// s1 = Σ x, s2 = Σ x²  (int64);  v = Layer ? D·s2 − s1² : D·s2   (uint64, ≤ 2^62)
/// inv = floor(2^k / isqrt(v + eps));  c_i = Layer ? D·x_i − s1 : D·x_i   (int64)
/// Out_i = Clamp( RoundShift( RoundShift(c_i · inv, k − 14) · gamma_i + beta_i, s ), qmin, qmax, T_out )
/// </code>
/// |c_i · inv| ≤ sqrt(2D)·2^k &lt; 2^61 and |n_i| &lt; 2^23 for both input types (OPS §5.6's bounds table).
/// </remarks>
public readonly record struct NormParams(NormMode Mode, int Shift, int QMin, int QMax, int Epsilon, bool HasBeta) : IOpParams
{
    public void Reference(OpIo io)
    {
        int rows = io.InSpec(0).Rows, dim = io.InSpec(0).Cols, k = InverseBits(io.InSpec(0).Type);
        for (int r = 0; r < rows; r++)
        {
            long s1 = 0, s2 = 0;
            for (int i = 0; i < dim; i++) { long x = io.Get(0, r * dim + i); s1 += x; s2 += x * x; }
            long inv = InverseStdDev(dim, s1, s2, k);
            for (int i = 0; i < dim; i++)
            {
                long x = io.Get(0, r * dim + i);
                long c = IsLayerNorm ? dim * x - s1 : dim * x;
                long n = QMath.RoundShift(c * inv, k - 14);
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
        Check(x.Type is ElemType.I8 or ElemType.I16, d, "Norm input x must be I8 or I16");
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

    /// <summary>The reciprocal's precision exponent k (OPS §5.6): 30 for I8 x (the I8-only op's constant), 52 for I16 x.</summary>
    public static int InverseBits(ElemType xType) => xType == ElemType.I16 ? 52 : 30;

    /// <summary>floor(2^k / isqrt(v + eps)) for a row with sums s1 = Σx, s2 = Σx² over D elements (OPS §5.6; ≤ 2^k).</summary>
    public long InverseStdDev(int dim, long s1, long s2, int k)
    {
        ulong v = IsLayerNorm ? (ulong)(dim * s2 - s1 * s1) : (ulong)dim * (ulong)s2;
        return (long)((1UL << k) / QMath.Isqrt(v + (ulong)Epsilon));
    }

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Norm(this, io);
}
