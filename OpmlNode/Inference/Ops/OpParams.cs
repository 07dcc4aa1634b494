namespace OpmlNode.Inference.Ops;

/// <summary>Decodes a descriptor's parameter words into its op's named parameters (OPS §5), validating the op's rules.</summary>
public static class OpParams
{
    /// <summary>
    /// The op's parameters, validated against the descriptor's shapes. The words must be canonical: encoding the decoded
    /// parameters gives them back (so unused words are 0 and flags have no unknown bits; OPS §2).
    /// </summary>
    public static IOpParams Decode(NodeDescriptor d)
    {
        IOpParams p = d.Op switch
        {
            OpCode.MatMul => MatMulParams.Decode(d),
            OpCode.Add => AddParams.Decode(d),
            OpCode.Mul => MulParams.Decode(d),
            OpCode.Requant => RequantParams.Decode(d),
            OpCode.Lut => LutParams.Decode(d),
            OpCode.Norm => NormParams.Decode(d),
            OpCode.Softmax => SoftmaxParams.Decode(d),
            OpCode.Rope => RopeParams.Decode(d),
            OpCode.Attention => AttentionParams.Decode(d),
            OpCode.Gather => GatherParams.Decode(d),
            OpCode.Argmax => ArgmaxParams.Decode(d),
            OpCode.Concat => ConcatParams.Decode(d),
            OpCode.ScatterRow => ScatterRowParams.Decode(d),
            OpCode.Position => PositionParams.Decode(d),
            OpCode.TokenSelect => TokenSelectParams.Decode(d),
            _ => throw new InvalidDescriptorException($"unknown op code {(int)d.Op}"),
        };
        Span<int> canonical = stackalloc int[NodeDescriptor.ParamCount];
        p.Encode(canonical);
        var words = d.Words;
        for (int k = 0; k < NodeDescriptor.ParamCount; k++)
            if (words[k] != canonical[k]) throw new InvalidDescriptorException($"{d.Op}: param {k} = {words[k]} is not canonical for {d.Op} (unused params and unknown flag bits must be 0)");
        return p;
    }

    /// <summary>"Multiplier = 1, Shift = 30, …": the named parameters (the record's constructor parameters), "" for none.</summary>
    public static string Describe(this IOpParams p)
    {
        var ctor = p.GetType().GetConstructors().MaxBy(c => c.GetParameters().Length);
        var names = ctor?.GetParameters().Select(a => a.Name!).ToArray() ?? [];
        return string.Join(", ", names.Select(n => $"{n} = {p.GetType().GetProperty(n)?.GetValue(p)}"));
    }

    /// <summary>Writes <paramref name="leading"/> as words 0.. and zeroes the rest (the canonical form of OPS §2).</summary>
    public static void Write(Span<int> words, params ReadOnlySpan<int> leading)
    {
        words.Clear();
        leading.CopyTo(words);
    }

    /// <summary>The 16 parameter words of <paramref name="p"/>.</summary>
    public static int[] Words(this IOpParams p)
    {
        var w = new int[NodeDescriptor.ParamCount];
        p.Encode(w);
        return w;
    }
}
