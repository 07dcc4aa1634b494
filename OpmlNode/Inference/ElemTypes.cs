using System.Buffers.Binary;

namespace OpmlNode.Inference;

/// <summary>Sizes, ranges and little-endian element access of the element types (OPS §1.2).</summary>
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
