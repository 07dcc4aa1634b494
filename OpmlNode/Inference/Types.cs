using System.Buffers.Binary;

namespace OpmlNode.Inference;

/// <summary>Tensor element types (OPS §1.2). Values are the wire codes.</summary>
public enum ElemType : byte
{
    I8 = 1,
    I16 = 2,
    I32 = 3,
}

/// <summary>Op codes (OPS §3). Values are the wire codes.</summary>
public enum OpCode : ushort
{
    MatMul = 1,
    Add = 2,
    Mul = 3,
    Requant = 4,
    Lut = 5,
    Norm = 6,
    Softmax = 7,
    Rope = 8,
    Attention = 9,
    Gather = 10,
    Argmax = 11,
    Concat = 12,
    ScatterRow = 13,
    Position = 14,
    TokenSelect = 15,
}

/// <summary>Input reference kinds (OPS §2).</summary>
public enum RefKind : byte
{
    Weight = 1,
    TaskInput = 2,
    Node = 3,
}

/// <summary>Thrown when a descriptor is malformed or breaks an op's shape rules (OPS §2, §5).</summary>
public sealed class InvalidDescriptorException(string message) : Exception(message);

public static class ElemTypes
{
    public static bool IsValid(ElemType t) => t is ElemType.I8 or ElemType.I16 or ElemType.I32;

    public static int Size(this ElemType t) => t switch
    {
        ElemType.I8 => 1,
        ElemType.I16 => 2,
        ElemType.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "invalid element type"),
    };

    public static long Min(this ElemType t) => t switch
    {
        ElemType.I8 => sbyte.MinValue,
        ElemType.I16 => short.MinValue,
        _ => int.MinValue,
    };

    public static long Max(this ElemType t) => t switch
    {
        ElemType.I8 => sbyte.MaxValue,
        ElemType.I16 => short.MaxValue,
        _ => int.MaxValue,
    };

    /// <summary>Element <paramref name="i"/> of a tensor's bytes, sign-extended.</summary>
    public static int Read(ReadOnlySpan<byte> data, ElemType t, int i) => t switch
    {
        ElemType.I8 => (sbyte)data[i],
        ElemType.I16 => BinaryPrimitives.ReadInt16LittleEndian(data.Slice(2 * i, 2)),
        _ => BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i, 4)),
    };

    /// <summary>Writes element <paramref name="i"/>; the value must already be in the type's range.</summary>
    public static void Write(Span<byte> data, ElemType t, int i, int value)
    {
        switch (t)
        {
            case ElemType.I8: data[i] = (byte)(sbyte)value; break;
            case ElemType.I16: BinaryPrimitives.WriteInt16LittleEndian(data.Slice(2 * i, 2), (short)value); break;
            default: BinaryPrimitives.WriteInt32LittleEndian(data.Slice(4 * i, 4), value); break;
        }
    }
}

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

/// <summary>A quantised tensor: spec plus its little-endian row-major bytes.</summary>
public sealed class QTensor
{
    public QTensor(TensorSpec spec, byte[] data)
    {
        if (data.Length != spec.ByteLength) throw new ArgumentException($"{spec} needs {spec.ByteLength} bytes, got {data.Length}", nameof(data));
        Spec = spec;
        Data = data;
    }

    public TensorSpec Spec { get; }
    public byte[] Data { get; }
    public ElemType Type => Spec.Type;

    public static QTensor Zeros(TensorSpec spec) => new(spec, new byte[spec.ByteLength]);

    public static QTensor FromInts(ElemType type, int[] dims, ReadOnlySpan<int> values)
    {
        var spec = new TensorSpec(type, dims);
        if (values.Length != spec.ElementCount) throw new ArgumentException($"{spec} needs {spec.ElementCount} values, got {values.Length}", nameof(values));
        var data = new byte[spec.ByteLength];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < type.Min() || values[i] > type.Max()) throw new ArgumentOutOfRangeException(nameof(values), values[i], $"out of {type} range");
            ElemTypes.Write(data, type, i, values[i]);
        }
        return new QTensor(spec, data);
    }

    public static QTensor I8(int[] dims, params int[] values) => FromInts(ElemType.I8, dims, values);
    public static QTensor I16(int[] dims, params int[] values) => FromInts(ElemType.I16, dims, values);
    public static QTensor I32(int[] dims, params int[] values) => FromInts(ElemType.I32, dims, values);

    /// <summary>All elements, sign-extended.</summary>
    public int[] ToInts()
    {
        var r = new int[Spec.ElementCount];
        for (int i = 0; i < r.Length; i++) r[i] = ElemTypes.Read(Data, Type, i);
        return r;
    }

    public Crypto.Hash256 Root => Merkle.MerkleMath.TensorRoot(Data);
}
