namespace OpmlNode.Inference;

/// <summary>The shape and parameter rules of OPS §5, shared by every backend (they run before any kernel).</summary>
public static class OpRules
{
    public const int MaxShift = 62;
    public const int MaxNormDim = 65536;
    public const int MaxSoftmaxLen = 65536;
    public const int MaxK = 65536;

    // MatMul flags (P[5])
    public const int MatMulBias = 1, MatMulPerChannel = 2;
    // Norm
    public const int NormRms = 0, NormLayer = 1, NormBeta = 1;
    // Attention flags (P[8])
    public const int AttnPos = 1, AttnMask = 2, AttnCausal = 4;

    /// <summary>How many leading params each op uses; the rest must be 0 (canonical form).</summary>
    public static int UsedParams(OpCode op) => op switch
    {
        OpCode.MatMul => 6,
        OpCode.Add => 5,
        OpCode.Mul or OpCode.Requant => 4,
        OpCode.Norm => 6,
        OpCode.Softmax => 2,
        OpCode.Rope or OpCode.Gather or OpCode.ScatterRow => 1,
        OpCode.Attention => 10,
        _ => 0,
    };

    public static void Validate(NodeDescriptor d)
    {
        var p = d.Params;
        for (int k = UsedParams(d.Op); k < NodeDescriptor.ParamCount; k++)
            Check(p[k] == 0, d, $"param {k} is unused by {d.Op} and must be 0");
        var o = d.Output;
        switch (d.Op)
        {
            case OpCode.MatMul:
            {
                int flags = p[5];
                Check((flags & ~3) == 0, d, "MatMul flags: only bits 0 (bias) and 1 (per-channel)");
                bool bias = (flags & MatMulBias) != 0, pc = (flags & MatMulPerChannel) != 0;
                Inputs(d, 2 + (bias ? 1 : 0) + (pc ? 1 : 0));
                var a = d.In(0); var w = d.In(1);
                Type(d, 0, ElemType.I8); Type(d, 1, ElemType.I8);
                Check(w.Rank == 2, d, "W must be rank 2 [Nw, K]");
                int nw = w.Dims[0], k = w.Dims[1];
                Check(a.Cols == k, d, $"A has {a.Cols} columns, W has K = {k}");
                Check(k <= MaxK, d, $"K = {k} > {MaxK}");
                Check(o.Rows == a.Rows, d, $"output rows {o.Rows} != A rows {a.Rows}");
                Check(p[4] >= 0 && (long)p[4] + o.Cols <= nw, d, $"n0 = {p[4]} + N = {o.Cols} exceeds Nw = {nw}");
                int next = 2;
                if (bias) { Type(d, next, ElemType.I32); Check(d.In(next).ElementCount == nw, d, "bias must have Nw elements"); next++; }
                if (pc) { Type(d, next, ElemType.I32); Check(d.In(next).Rank == 2 && d.In(next).Dims[0] == nw && d.In(next).Dims[1] == 2, d, "per-channel requant must be I32 [Nw, 2]"); }
                if (o.Type != ElemType.I32) RequantParams(d, p[1], p[2], p[3]);
                else Check(p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0, d, "MatMul with I32 output does not requantise: P[0..3] must be 0");
                break;
            }
            case OpCode.Add:
                Inputs(d, 2);
                SameCount(d, 0); SameCount(d, 1);
                RequantParams(d, p[1], p[2], p[3]);
                Check(Math.Abs((long)p[0]) <= 1 << 30 && Math.Abs((long)p[4]) <= 1 << 30, d, "|Ma|, |Mb| must be <= 2^30");
                break;
            case OpCode.Mul:
                Inputs(d, 2);
                for (int i = 0; i < 2; i++) Check(d.In(i).Type is ElemType.I8 or ElemType.I16, d, $"Mul input {i} must be I8 or I16");
                SameCount(d, 0); SameCount(d, 1);
                RequantParams(d, p[1], p[2], p[3]);
                break;
            case OpCode.Requant:
                Inputs(d, 1);
                SameCount(d, 0);
                RequantParams(d, p[1], p[2], p[3]);
                break;
            case OpCode.Lut:
                Inputs(d, 2);
                Type(d, 0, ElemType.I8);
                Lut(d, 1, o.Type);
                SameCount(d, 0);
                break;
            case OpCode.Norm:
            {
                Check(p[0] is NormRms or NormLayer, d, "Norm mode must be 0 (RMS) or 1 (Layer)");
                Check((p[5] & ~NormBeta) == 0, d, "Norm flags: only bit 0 (beta)");
                bool beta = (p[5] & NormBeta) != 0;
                Inputs(d, beta ? 3 : 2);
                var x = d.In(0);
                Type(d, 0, ElemType.I8);
                Check(x.Cols <= MaxNormDim, d, $"D = {x.Cols} > {MaxNormDim}");
                Type(d, 1, ElemType.I16);
                Check(d.In(1).ElementCount == x.Cols, d, "gamma must have D elements");
                if (beta) { Type(d, 2, ElemType.I32); Check(d.In(2).ElementCount == x.Cols, d, "beta must have D elements"); }
                Check(o.Type is ElemType.I8 or ElemType.I16, d, "Norm output must be I8 or I16");
                SameDims(d, 0);
                RequantParams(d, p[1], p[2], p[3]);
                Check(p[4] >= 1, d, "Norm eps must be >= 1");
                break;
            }
            case OpCode.Softmax:
                Inputs(d, 2);
                Lut(d, 1, ElemType.I32);
                Check(o.Type == ElemType.I32, d, "Softmax output must be I32 (Q15)");
                SameDims(d, 0);
                Check(d.In(0).Cols <= MaxSoftmaxLen, d, $"row length > {MaxSoftmaxLen}");
                Shift(d, p[1]);
                break;
            case OpCode.Rope:
            {
                Inputs(d, 3);
                Type(d, 0, ElemType.I8); Type(d, 1, ElemType.I16); Type(d, 2, ElemType.I32);
                int hd = p[0];
                Check(hd >= 2 && hd % 2 == 0 && d.In(0).Cols % hd == 0, d, $"hd = {hd} must be even and divide C = {d.In(0).Cols}");
                var cs = d.In(1);
                Check(cs.Rank == 3 && cs.Dims[1] == hd / 2 && cs.Dims[2] == 2, d, "cos/sin table must be I16 [P, hd/2, 2]");
                Check(o.Type == ElemType.I8, d, "Rope output must be I8");
                SameDims(d, 0);
                break;
            }
            case OpCode.Attention:
            {
                int flags = p[8];
                Check((flags & ~7) == 0, d, "Attention flags: only bits 0..2");
                bool hasPos = (flags & AttnPos) != 0, hasMask = (flags & AttnMask) != 0;
                Inputs(d, 4 + (hasPos ? 1 : 0) + (hasMask ? 1 : 0));
                Type(d, 0, ElemType.I8); Type(d, 1, ElemType.I8); Type(d, 2, ElemType.I8);
                Lut(d, 3, ElemType.I32);
                int h = p[4], hkv = p[5];
                Check(h >= 1 && hkv >= 1 && h % hkv == 0, d, $"H = {h} must be a positive multiple of Hkv = {hkv}");
                var q = d.In(0); var k = d.In(1); var v = d.In(2);
                Check(q.Cols % h == 0, d, "H must divide Q's columns");
                int hd = q.Cols / h;
                Check(k.Cols == hkv * hd && v.Cols == hkv * hd, d, $"K and V must have Hkv*hd = {hkv * hd} columns");
                Check(k.Rows == v.Rows, d, "K and V must have the same rows");
                Check(k.Rows <= MaxSoftmaxLen, d, $"Lk > {MaxSoftmaxLen}");
                int next = 4;
                if (hasPos) { Type(d, next, ElemType.I32); next++; }
                if (hasMask) Check(d.In(next).ElementCount == k.Rows, d, "mask must have Lk elements");
                Check(o.Type == ElemType.I8, d, "Attention output must be I8");
                SameDims(d, 0);
                RequantParams(d, p[1], p[2], p[3]);
                Shift(d, p[7]);
                Check(hasMask || p[9] == 0, d, "padValue (P[9]) must be 0 without a mask");
                break;
            }
            case OpCode.Gather:
                Inputs(d, 2);
                Type(d, 1, ElemType.I32);
                Check(o.Type == d.In(0).Type, d, "Gather output type must be the table's");
                Check(o.Cols == d.In(0).Cols, d, "Gather output columns must be the table's");
                Check(p[0] >= 0 && (long)p[0] + o.Rows <= d.In(1).ElementCount, d, "Gather: first + rows exceeds the index count");
                break;
            case OpCode.Argmax:
                Inputs(d, 1);
                Check(o.Type == ElemType.I32 && o.ElementCount == d.In(0).Rows, d, "Argmax output must be I32 with R elements");
                break;
            case OpCode.Concat:
            {
                Check(d.Inputs.Count is >= 1 and <= NodeDescriptor.MaxInputs, d, "Concat needs 1..8 inputs");
                long cols = 0;
                for (int i = 0; i < d.Inputs.Count; i++)
                {
                    Type(d, i, o.Type);
                    Check(d.In(i).Rows == o.Rows, d, $"input {i} has {d.In(i).Rows} rows, output {o.Rows}");
                    cols += d.In(i).Cols;
                }
                Check(cols == o.Cols, d, $"input columns sum to {cols}, output has {o.Cols}");
                break;
            }
            case OpCode.ScatterRow:
                Inputs(d, 3);
                Check(d.In(0).Equals(o), d, "ScatterRow: buffer spec must equal the output spec");
                Type(d, 1, o.Type);
                Check(d.In(1).ElementCount == o.Cols, d, "ScatterRow: row must have C elements");
                Type(d, 2, ElemType.I32);
                break;
            case OpCode.Position:
                Inputs(d, 1);
                Type(d, 0, ElemType.I32);
                Check(d.In(0).ElementCount == 2 && o.Type == ElemType.I32 && o.ElementCount == 2, d, "Position is I32 [2] -> I32 [2]");
                break;
            case OpCode.TokenSelect:
                Inputs(d, 3);
                for (int i = 0; i < 3; i++) Type(d, i, ElemType.I32);
                Check(d.In(0).ElementCount >= 1, d, "prompt must hold at least the length element");
                Check(o.Type == ElemType.I32 && o.ElementCount == 1, d, "TokenSelect output must be I32 [1]");
                break;
            default:
                throw new InvalidDescriptorException($"unknown op code {(int)d.Op}");
        }
    }

    private static void Check(bool ok, NodeDescriptor d, string message)
    {
        if (!ok) throw new InvalidDescriptorException($"{d.Op}: {message}");
    }

    private static void Inputs(NodeDescriptor d, int n) => Check(d.Inputs.Count == n, d, $"needs {n} inputs, has {d.Inputs.Count}");
    private static void Type(NodeDescriptor d, int i, ElemType t) => Check(d.In(i).Type == t, d, $"input {i} must be {t}, is {d.In(i).Type}");
    private static void SameCount(NodeDescriptor d, int i) => Check(d.In(i).ElementCount == d.Output.ElementCount, d, $"input {i} must have the output's element count");
    private static void SameDims(NodeDescriptor d, int i) => Check(d.In(i).Dims.SequenceEqual(d.Output.Dims), d, $"output dims must equal input {i}'s");
    private static void Lut(NodeDescriptor d, int i, ElemType t) => Check(d.In(i).Type == t && d.In(i).Rank == 1 && d.In(i).Dims[0] == 256, d, $"input {i} must be a {t} [256] table");
    private static void Shift(NodeDescriptor d, int s) => Check(s is >= 0 and <= MaxShift, d, $"shift {s} not in 0..{MaxShift}");

    private static void RequantParams(NodeDescriptor d, int s, int qmin, int qmax)
    {
        Shift(d, s);
        var t = d.Output.Type;
        Check(qmin <= qmax && qmin <= t.Max() && qmax >= t.Min(), d, $"clamp [{qmin}, {qmax}] empty for {t}");
    }
}
