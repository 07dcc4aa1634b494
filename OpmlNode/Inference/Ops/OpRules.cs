namespace OpmlNode.Inference.Ops;

/// <summary>Limits and checks shared by the ops' rules (OPS §1.3, §5); each op's own rules are in its file.</summary>
public static class OpRules
{
    public const int MaxShift = 62;
    public const int MaxNormDim = 65536;
    public const int MaxSoftmaxLen = 65536;
    public const int MaxK = 65536;

    internal static void Check(bool ok, NodeDescriptor d, string message)
    {
        if (!ok) throw new InvalidDescriptorException($"{d.Op}: {message}");
    }

    internal static void Inputs(NodeDescriptor d, int n) => Check(d.Inputs.Count == n, d, $"needs {n} inputs, has {d.Inputs.Count}");
    internal static void Type(NodeDescriptor d, int i, ElemType t) => Check(d.In(i).Type == t, d, $"input {i} must be {t}, is {d.In(i).Type}");
    internal static void SameCount(NodeDescriptor d, int i) => Check(d.In(i).ElementCount == d.Output.ElementCount, d, $"input {i} must have the output's element count");
    internal static void SameDims(NodeDescriptor d, int i) => Check(d.In(i).Dims.SequenceEqual(d.Output.Dims), d, $"output dims must equal input {i}'s");
    internal static void Lut(NodeDescriptor d, int i, ElemType t) => Check(d.In(i).Type == t && d.In(i).Rank == 1 && d.In(i).Dims[0] == 256, d, $"input {i} must be a {t} [256] table");
    internal static void Shift(NodeDescriptor d, int s) => Check(s is >= 0 and <= MaxShift, d, $"shift {s} not in 0..{MaxShift}");

    /// <summary>OPS §1.3: s in 0..62 and a clamp range that meets the output type.</summary>
    internal static void Requant(NodeDescriptor d, int s, int qmin, int qmax)
    {
        Shift(d, s);
        var t = d.Output.Type;
        Check(qmin <= qmax && qmin <= t.Max() && qmax >= t.Min(), d, $"clamp [{qmin}, {qmax}] empty for {t}");
    }
}
