using System.Globalization;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// One metadata value: integers are held as <see cref="long"/> (or <see cref="ulong"/> for UInt64), floats as
/// <see cref="double"/>, strings as <see cref="string"/>, booleans as <see cref="bool"/>, arrays as
/// <see cref="GgufValue"/>[] with <see cref="ElementType"/> the type of their elements.
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = default)
{
    public bool IsInteger => Type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16
        or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    public bool IsFloat => Type is GgufValueType.Float32 or GgufValueType.Float64;

    public IReadOnlyList<GgufValue> Items => Value as GgufValue[] ?? throw new InvalidOperationException($"a {Type} value is not an array");

    public override string ToString() => Value switch
    {
        GgufValue[] a => $"[{ElementType} × {a.Length}]",
        string s => s.Length > 60 ? $"\"{s[..57]}...\"" : $"\"{s}\"",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "",
    };
}
