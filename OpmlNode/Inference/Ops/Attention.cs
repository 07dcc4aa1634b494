using static OpmlNode.Inference.Ops.OpRules;

namespace OpmlNode.Inference.Ops;

/// <summary><c>Attention</c> (op 9, OPS §5.9): multi-head (GQA) attention with softmax, causal and padding masks.</summary>
/// <remarks>
/// Inputs: Q I8 [Lq, H·hd]; K, V I8 [Lk, Hkv·hd]; exp table I32 [256]; pos I32 if <see cref="HasPosition"/>; mask
/// (Lk elements) if <see cref="HasMask"/>. Params: P[0] Mo, P[1] so, P[2] qmin, P[3] qmax, P[4] H, P[5] Hkv, P[6] Ms,
/// P[7] ss, P[8] flags (bit 0 pos, bit 1 mask, bit 2 causal), P[9] padValue. For row i, head h, g = h / (H / Hkv):
/// <code>
/// qpos = (pos ?? 0) + i (int64);  allowed(j) = (!causal || j ≤ qpos) &amp;&amp; (!mask || mask[j] ≠ padValue)
/// x_j = wrap32(Σ_d Q[i, h·hd + d]·K[j, g·hd + d]);  p = SoftmaxRow(x, allowed) with (Ms, ss)   (§5.7)
/// Out[i, h·hd + c] = Clamp( Requant(Σ_j p_j·V[j, g·hd + c], Mo, so), qmin, qmax, I8 )
/// </code>
/// </remarks>
public readonly record struct AttentionParams(
    int OutMultiplier, int OutShift, int QMin, int QMax, int Heads, int KvHeads, int ScoreMultiplier, int ScoreShift,
    bool HasPosition, bool HasMask, bool Causal, int PadValue) : IOpParams
{
    public void Reference(OpIo io)
    {
        int lq = io.InSpec(0).Rows, qc = io.InSpec(0).Cols, hd = HeadDim(io.Descriptor), lk = io.InSpec(1).Rows, kc = io.InSpec(1).Cols;
        int pos0 = HasPosition ? io.Get(PositionInput, 0) : 0;
        var lut = new int[256];
        for (int i = 0; i < 256; i++) lut[i] = io.Get(ExpTableInput, i);
        var t = new int[lk]; var p = new int[lk]; var allowed = new bool[lk];
        for (int i = 0; i < lq; i++)
        {
            long qpos = (long)pos0 + i;
            for (int j = 0; j < lk; j++) allowed[j] = Allowed(qpos, j, HasMask ? io.Get(MaskInput, j) : 0);
            for (int head = 0; head < Heads; head++)
            {
                int g = head / GroupSize;
                for (int j = 0; j < lk; j++)
                {
                    int x = 0;
                    for (int e = 0; e < hd; e++) x += io.Get(0, i * qc + head * hd + e) * io.Get(1, j * kc + g * hd + e);
                    t[j] = QMath.SoftmaxPrescale(x, ScoreMultiplier, ScoreShift);
                }
                QMath.SoftmaxRow(t, allowed, lut, p);
                for (int e = 0; e < hd; e++)
                {
                    int acc = 0;
                    for (int j = 0; j < lk; j++) acc += p[j] * io.Get(2, j * kc + g * hd + e);
                    io.Set(i * qc + head * hd + e, QMath.Clamp(QMath.Requant(acc, OutMultiplier, OutShift), QMin, QMax, ElemType.I8));
                }
            }
        }
    }

    public const int PositionFlag = 1, MaskFlag = 2, CausalFlag = 4;
    public const int ExpTableInput = 3;

    public OpCode Op => OpCode.Attention;

    /// <summary>Index of the pos input (when <see cref="HasPosition"/>).</summary>
    public int PositionInput => 4;

    /// <summary>Index of the mask input (when <see cref="HasMask"/>).</summary>
    public int MaskInput => HasPosition ? 5 : 4;

    /// <summary>Query heads per kv head.</summary>
    public int GroupSize => Heads / KvHeads;

    public void Encode(Span<int> w) => OpParams.Write(w, OutMultiplier, OutShift, QMin, QMax, Heads, KvHeads, ScoreMultiplier, ScoreShift, (HasPosition ? PositionFlag : 0) | (HasMask ? MaskFlag : 0) | (Causal ? CausalFlag : 0), PadValue);

    public static AttentionParams Decode(NodeDescriptor d)
    {
        var w = d.Words;
        int flags = w[8];
        Check((flags & ~(PositionFlag | MaskFlag | CausalFlag)) == 0, d, "Attention flags: only bits 0..2");
        var p = new AttentionParams(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
            (flags & PositionFlag) != 0, (flags & MaskFlag) != 0, (flags & CausalFlag) != 0, w[9]);
        Inputs(d, 4 + (p.HasPosition ? 1 : 0) + (p.HasMask ? 1 : 0));
        Type(d, 0, ElemType.I8); Type(d, 1, ElemType.I8); Type(d, 2, ElemType.I8);
        Lut(d, ExpTableInput, ElemType.I32);
        int h = p.Heads, hkv = p.KvHeads;
        Check(h >= 1 && hkv >= 1 && h % hkv == 0, d, $"H = {h} must be a positive multiple of Hkv = {hkv}");
        var q = d.In(0); var k = d.In(1); var v = d.In(2);
        Check(q.Cols % h == 0, d, "H must divide Q's columns");
        int hd = q.Cols / h;
        Check(k.Cols == hkv * hd && v.Cols == hkv * hd, d, $"K and V must have Hkv*hd = {hkv * hd} columns");
        Check(k.Rows == v.Rows, d, "K and V must have the same rows");
        Check(k.Rows <= MaxSoftmaxLen, d, $"Lk > {MaxSoftmaxLen}");
        if (p.HasPosition) Type(d, p.PositionInput, ElemType.I32);
        if (p.HasMask) Check(d.In(p.MaskInput).ElementCount == k.Rows, d, "mask must have Lk elements");
        Check(d.Output.Type == ElemType.I8, d, "Attention output must be I8");
        SameDims(d, 0);
        Requant(d, p.OutShift, p.QMin, p.QMax);
        OpRules.Shift(d, p.ScoreShift);
        Check(p.HasMask || p.PadValue == 0, d, "padValue (P[9]) must be 0 without a mask");
        return p;
    }

    /// <summary>The per-head dimension hd = C_Q / H.</summary>
    public int HeadDim(NodeDescriptor d) => d.In(0).Cols / Heads;

    /// <summary>Whether key <paramref name="j"/> is visible from a query at <paramref name="qpos"/> (OPS §5.9 allowed(j)).</summary>
    public bool Allowed(long qpos, int j, int maskValue) => (!Causal || j <= qpos) && (!HasMask || maskValue != PadValue);

    public void Dispatch<TIo>(IOpKernels<TIo> kernels, TIo io) where TIo : allows ref struct => kernels.Attention(this, io);
}
