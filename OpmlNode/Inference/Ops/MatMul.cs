using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary>
/// <c>MatMul</c> (op 1, OPS §5.1): int8 GEMM/GEMV with optional int32 bias and per-channel requantisation, computing
/// output columns [n0, n0 + N) of A·Wᵀ (a row tile of W).
/// </summary>
/// <remarks>
/// Inputs: A I8 [M, K]; W I8 [Nw, K]; bias I32 [Nw] if <see cref="HasBias"/>; per-channel I32 [Nw, 2] of (M_n, s_n) if
/// <see cref="PerChannel"/>. Params: P[0] M, P[1] s, P[2] qmin, P[3] qmax, P[4] n0, P[5] flags (bit 0 bias, bit 1 per-channel).
/// <code>
/// acc[m, n] = wrap32( Σ_k A[m, k] · W[n0 + n, k] + bias[n0 + n] )
/// Out[m, n] = T_out = I32 ? acc : Clamp(Requant(acc, M', s'), qmin, qmax, T_out)   (M', s') = per-channel row or (M, s); s' clamped to [0, 62]
/// </code>
/// </remarks>
public readonly record struct MatMulParams(int Multiplier, int Shift, int QMin, int QMax, int N0, bool HasBias, bool PerChannel) : IOpParams
{
    public void Reference(OpIo io)
    {
        var a = io.In(0); var w = io.In(1);
        var o = io.OutSpec;
        int rows = o.Rows, n = o.Cols, k = K(io.Descriptor);
        for (int m = 0; m < rows; m++)
            for (int j = 0; j < n; j++)
            {
                int acc = 0;
                for (int x = 0; x < k; x++) acc += (sbyte)a[m * k + x] * (sbyte)w[(N0 + j) * k + x];
                if (HasBias) acc = unchecked(acc + io.Get(BiasInput, N0 + j));
                io.Set(m * n + j, o.Type == ElemType.I32 ? acc : QMath.Clamp(QMath.Requant(acc, ChannelMultiplier(io, j), ChannelShift(io, j)), QMin, QMax, o.Type));
            }
    }

    public const int BiasFlag = 1, PerChannelFlag = 2;

    public OpCode Op => OpCode.MatMul;

    /// <summary>Index of the bias input (when <see cref="HasBias"/>).</summary>
    public int BiasInput => 2;

    /// <summary>Index of the per-channel (M_n, s_n) input (when <see cref="PerChannel"/>).</summary>
    public int PerChannelInput => HasBias ? 3 : 2;

    /// <summary>Parameters of a MatMul with I32 output (no requantisation).</summary>
    public static MatMulParams Int32Output(int n0, bool hasBias) => new(0, 0, 0, 0, n0, hasBias, false);

    public void Encode(Span<int> w) => OpParams.Write(w, Multiplier, Shift, QMin, QMax, N0, (HasBias ? BiasFlag : 0) | (PerChannel ? PerChannelFlag : 0));

    public static MatMulParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        int flags = w[5];
        Check((flags & ~(BiasFlag | PerChannelFlag)) == 0, d, "MatMul flags: only bits 0 (bias) and 1 (per-channel)");
        var p = new MatMulParams(w[0], w[1], w[2], w[3], w[4], (flags & BiasFlag) != 0, (flags & PerChannelFlag) != 0);
        Inputs(d, 2 + (p.HasBias ? 1 : 0) + (p.PerChannel ? 1 : 0));
        var a = d.In(0); var wt = d.In(1); var o = d.Output;
        Type(d, 0, ElemType.I8); Type(d, 1, ElemType.I8);
        Check(wt.Rank == 2, d, "W must be rank 2 [Nw, K]");
        int nw = wt.Dims[0], k = wt.Dims[1];
        Check(a.Cols == k, d, $"A has {a.Cols} columns, W has K = {k}");
        Check(k <= MaxK, d, $"K = {k} > {MaxK}");
        Check(o.Rows == a.Rows, d, $"output rows {o.Rows} != A rows {a.Rows}");
        Check(p.N0 >= 0 && (long)p.N0 + o.Cols <= nw, d, $"n0 = {p.N0} + N = {o.Cols} exceeds Nw = {nw}");
        if (p.HasBias) { Type(d, p.BiasInput, ElemType.I32); Check(d.In(p.BiasInput).ElementCount == nw, d, "bias must have Nw elements"); }
        if (p.PerChannel)
        {
            var pc = d.In(p.PerChannelInput);
            Type(d, p.PerChannelInput, ElemType.I32);
            Check(pc.Rank == 2 && pc.Dims[0] == nw && pc.Dims[1] == 2, d, "per-channel requant must be I32 [Nw, 2]");
        }
        if (o.Type != ElemType.I32) Requant(d, p.Shift, p.QMin, p.QMax);
        else Check(p.Multiplier == 0 && p.Shift == 0 && p.QMin == 0 && p.QMax == 0, d, "MatMul with I32 output does not requantise: P[0..3] must be 0");
        return p;
    }

    /// <summary>K, the shared inner dimension (W's columns).</summary>
    public static int K(NodeDescriptor d) => d.In(1).Dims[1];

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.MatMul(this, io);

    /// <summary>M' of output column <paramref name="j"/>: the per-channel row's M_n, else <see cref="Multiplier"/>.</summary>
    public int ChannelMultiplier(OpIo io, int j) => PerChannel ? io.Get(PerChannelInput, 2 * (N0 + j)) : Multiplier;

    /// <summary>s' of output column <paramref name="j"/>: the per-channel row's s_n clamped to [0, 62], else <see cref="Shift"/>.</summary>
    public int ChannelShift(OpIo io, int j) => PerChannel ? Math.Clamp(io.Get(PerChannelInput, 2 * (N0 + j) + 1), 0, MaxShift) : Shift;
}
