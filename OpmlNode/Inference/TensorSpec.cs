namespace OpmlNode.Inference;

/// <summary>Element type and dims of a tensor (OPS §1.2).</summary>
public sealed class TensorSpec : IEquatable<TensorSpec>
{
    public const int MaxRank = 4;
    public const long MaxBytes = 1L << 28;

    public TensorSpec(ElemType type, params int[] dims)
    {
        if (!ElemTypes.IsValid(type)) throw new InvalidDescriptorException($"invalid element type {(int)type}");
        if (dims.Length is < 1 or > MaxRank) throw new InvalidDescriptorException($"rank {dims.Length} not in 1..{MaxRank}");
        long count = 1;
        foreach (int d in dims)
        {
            if (d < 1) throw new InvalidDescriptorException($"dim {d} < 1");
            count *= d;
            if (count * type.Size() > MaxBytes) throw new InvalidDescriptorException("tensor larger than one region (2^28 bytes)");
        }
        Type = type;
        Dims = (int[])dims.Clone();
        ElementCount = (int)count;
    }

    public ElemType Type { get; }
    public IReadOnlyList<int> Dims { get; }
    public int Rank => Dims.Count;
    public int ElementCount { get; }
    public int ByteLength => ElementCount * Type.Size();
    /// <summary>Columns of the 2-D view: the last dim.</summary>
    public int Cols => Dims[^1];
    /// <summary>Rows of the 2-D view: the product of all but the last dim.</summary>
    public int Rows => ElementCount / Cols;

    public bool Equals(TensorSpec? other) => other is not null && other.Type == Type && other.Dims.SequenceEqual(Dims);
    public override bool Equals(object? obj) => Equals(obj as TensorSpec);
    public override int GetHashCode() { var h = new HashCode(); h.Add(Type); foreach (int d in Dims) h.Add(d); return h.ToHashCode(); }
    public override string ToString() => $"{Type}[{string.Join(", ", Dims)}]";
}
