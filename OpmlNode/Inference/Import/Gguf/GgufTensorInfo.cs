namespace OpmlNode.Inference.Import.Gguf;

/// <summary>
/// A tensor's entry in the GGUF header. <see cref="Dims"/> are in ggml order (fastest first), so a PyTorch
/// <c>[out, in]</c> weight has <c>Dims = [in, out]</c>; <see cref="Offset"/> is relative to the data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, long[] Dims, GgufTensorType Type, long Offset)
{
    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes in the file: 4 per F32, 2 per F16, 34 per 32 elements of Q8_0 (fp16 scale + 32 int8).</summary>
    public long ByteLength => Type switch
    {
        GgufTensorType.F32 => 4 * ElementCount,
        GgufTensorType.F16 => 2 * ElementCount,
        _ => ElementCount / GgufDequant.Q8Block * GgufDequant.Q8BlockBytes,
    };

    /// <summary>Rows × columns of a 2-D weight in PyTorch order ([Dims[1], Dims[0]]).</summary>
    public (int Rows, int Cols) Matrix => Dims.Length == 2 ? ((int)Dims[1], (int)Dims[0]) : throw new InvalidOperationException($"GGUF: tensor {Name} is not 2-D");

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dims)}]";
}
