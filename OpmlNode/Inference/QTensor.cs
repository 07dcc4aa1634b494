using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Inference;

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

    public Hash256 Root => MerkleMath.TensorRoot(Data);
}
