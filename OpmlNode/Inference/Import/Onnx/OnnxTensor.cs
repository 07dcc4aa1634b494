namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// A dense host tensor of the importer (float side only: constants, initializers, calibration values). Floating
/// element types are held as float32, integer and bool types as int64; <see cref="IsFloat"/> says which array is set.
/// </summary>
public sealed class OnnxTensor
{
    private OnnxTensor(int[] shape, float[]? f, long[]? i)
    {
        Shape = shape;
        F = f;
        I = i;
    }

    public int[] Shape { get; }
    public float[]? F { get; }
    public long[]? I { get; }
    public bool IsFloat => F is not null;
    public int Count => F?.Length ?? I!.Length;
    public int Rank => Shape.Length;

    public static int CountOf(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        if (n > int.MaxValue) throw new OnnxImportException($"tensor of shape [{string.Join(", ", shape)}] is too large");
        return (int)n;
    }

    public static OnnxTensor Float(int[] shape, float[] data)
    {
        if (data.Length != CountOf(shape)) throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {CountOf(shape)} values, got {data.Length}");
        return new(shape, data, null);
    }

    public static OnnxTensor Int(int[] shape, long[] data)
    {
        if (data.Length != CountOf(shape)) throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {CountOf(shape)} values, got {data.Length}");
        return new(shape, null, data);
    }

    public static OnnxTensor Scalar(float v) => Float([], [v]);

    /// <summary>Element i as a double (whatever the storage).</summary>
    public double this[int i] => F is not null ? F[i] : I![i];

    /// <summary>All elements as floats (an int tensor converted).</summary>
    public float[] AsFloats() => F ?? Array.ConvertAll(I!, v => (float)v);

    /// <summary>All elements as int64 (a float tensor truncated toward zero, as ONNX Cast does).</summary>
    public long[] AsLongs() => I ?? Array.ConvertAll(F!, v => (long)v);

    public OnnxTensor WithShape(int[] shape) => IsFloat ? Float(shape, F!) : Int(shape, I!);

    public override string ToString() => $"{(IsFloat ? "float" : "int")}[{string.Join(", ", Shape)}]";
}
