namespace OpmlNode.Inference.Models;

/// <summary>A weight to be written: its spec and a callback that fills exactly its bytes (so huge models stream).</summary>
public sealed record WeightSource(TensorSpec Spec, Action<Span<byte>> Fill)
{
    public static WeightSource FromBytes(TensorSpec spec, ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length != spec.ByteLength) throw new ArgumentException($"{spec} needs {spec.ByteLength} bytes, got {bytes.Length}");
        return new WeightSource(spec, dst => bytes.Span.CopyTo(dst));
    }

    public static WeightSource FromTensor(QTensor t) => FromBytes(t.Spec, t.Data);
}
