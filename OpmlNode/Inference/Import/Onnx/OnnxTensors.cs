using System.Buffers.Binary;
using OpmlNode.Inference.Import.Onnx.Proto;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>TensorProto → <see cref="OnnxTensor"/>: raw little-endian data or the typed repeated fields.</summary>
public static class OnnxTensors
{
    public static OnnxTensor FromProto(TensorProto t, string what)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
            throw new OnnxImportException($"{what}: tensor '{t.Name}' keeps its data in an external file (not supported; save the model with its weights inside)");
        if (t.Segment is not null) throw new OnnxImportException($"{what}: tensor '{t.Name}' is segmented (not supported)");
        var shape = new int[t.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (t.Dims[i] is < 0 or > int.MaxValue) throw new OnnxImportException($"{what}: tensor '{t.Name}' has dim {t.Dims[i]}");
            shape[i] = (int)t.Dims[i];
        }
        int n = OnnxTensor.CountOf(shape);
        var type = (OnnxElementType)t.DataType;
        var raw = t.HasRawData ? t.RawData.Span : ReadOnlySpan<byte>.Empty;
        int size = type switch
        {
            OnnxElementType.Float or OnnxElementType.Int32 or OnnxElementType.UInt32 => 4,
            OnnxElementType.Double or OnnxElementType.Int64 or OnnxElementType.UInt64 => 8,
            OnnxElementType.Float16 or OnnxElementType.BFloat16 or OnnxElementType.Int16 or OnnxElementType.UInt16 => 2,
            OnnxElementType.Int8 or OnnxElementType.UInt8 or OnnxElementType.Bool => 1,
            _ => throw new OnnxImportException($"{what}: tensor '{t.Name}' has element type {Describe(t.DataType)} (not supported)"),
        };
        if (t.HasRawData && raw.Length != (long)n * size)
            throw new OnnxImportException($"{what}: tensor '{t.Name}' has {raw.Length} bytes of raw data, shape [{string.Join(", ", shape)}] of {type} needs {(long)n * size}");
        switch (type)
        {
            case OnnxElementType.Float:
            {
                var v = new float[n];
                if (t.HasRawData) for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                else Take(t.FloatData, v, what, t.Name);
                return OnnxTensor.Float(shape, v);
            }
            case OnnxElementType.Double:
            {
                var v = new float[n];
                if (t.HasRawData) for (int i = 0; i < n; i++) v[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                else { Check(t.DoubleData.Count, n, what, t.Name); for (int i = 0; i < n; i++) v[i] = (float)t.DoubleData[i]; }
                return OnnxTensor.Float(shape, v);
            }
            case OnnxElementType.Float16 or OnnxElementType.BFloat16:
            {
                var v = new float[n];
                for (int i = 0; i < n; i++)
                {
                    ushort bits = t.HasRawData ? BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) : (ushort)At(t.Int32Data, i, n, what, t.Name);
                    v[i] = type == OnnxElementType.Float16 ? (float)BitConverter.UInt16BitsToHalf(bits) : BitConverter.Int32BitsToSingle(bits << 16);
                }
                return OnnxTensor.Float(shape, v);
            }
            case OnnxElementType.Int64:
            {
                var v = new long[n];
                if (t.HasRawData) for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                else { Check(t.Int64Data.Count, n, what, t.Name); t.Int64Data.CopyTo(v, 0); }
                return OnnxTensor.Int(shape, v);
            }
            case OnnxElementType.UInt64:
            {
                var v = new long[n];
                if (t.HasRawData) for (int i = 0; i < n; i++) v[i] = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw[(8 * i)..]);
                else { Check(t.Uint64Data.Count, n, what, t.Name); for (int i = 0; i < n; i++) v[i] = (long)t.Uint64Data[i]; }
                return OnnxTensor.Int(shape, v);
            }
            default:
            {
                var v = new long[n];
                for (int i = 0; i < n; i++)
                {
                    v[i] = !t.HasRawData ? At(t.Int32Data, i, n, what, t.Name) : type switch
                    {
                        OnnxElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                        OnnxElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..]),
                        OnnxElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                        OnnxElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
                        OnnxElementType.Int8 => (sbyte)raw[i],
                        _ => raw[i], // UInt8, Bool
                    };
                    if (type == OnnxElementType.UInt32 && !t.HasRawData) v[i] = (uint)v[i];
                }
                return OnnxTensor.Int(shape, v);
            }
        }
    }

    public static string Describe(int dataType) =>
        Enum.IsDefined(typeof(OnnxElementType), dataType) ? ((OnnxElementType)dataType).ToString().ToLowerInvariant() : $"#{dataType}";

    private static void Take(Google.Protobuf.Collections.RepeatedField<float> src, float[] dst, string what, string name)
    {
        Check(src.Count, dst.Length, what, name);
        src.CopyTo(dst, 0);
    }

    private static long At(Google.Protobuf.Collections.RepeatedField<int> src, int i, int n, string what, string name)
    {
        Check(src.Count, n, what, name);
        return src[i];
    }

    private static void Check(int have, int need, string what, string name)
    {
        if (have != need) throw new OnnxImportException($"{what}: tensor '{name}' has {have} values, its shape needs {need}");
    }
}
