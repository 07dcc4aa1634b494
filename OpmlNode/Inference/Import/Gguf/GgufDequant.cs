using System.Buffers.Binary;

namespace OpmlNode.Inference.Import.Gguf;

/// <summary>Dequantisation of the ggml tensor types the importer takes (float32 out).</summary>
public static class GgufDequant
{
    /// <summary>Elements per Q8_0 block.</summary>
    public const int Q8Block = 32;
    /// <summary>Bytes per Q8_0 block: an fp16 scale d, then 32 int8 q (value = d·q).</summary>
    public const int Q8BlockBytes = 2 + Q8Block;

    public static float[] ToFloats(GgufTensorType type, ReadOnlySpan<byte> data, long count)
    {
        var dst = new float[count];
        switch (type)
        {
            case GgufTensorType.F32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
                break;
            case GgufTensorType.F16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data[(2 * i)..]);
                break;
            case GgufTensorType.Q8_0:
                for (int b = 0; b < dst.Length / Q8Block; b++)
                {
                    var block = data.Slice(b * Q8BlockBytes, Q8BlockBytes);
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                    for (int i = 0; i < Q8Block; i++) dst[b * Q8Block + i] = d * (sbyte)block[2 + i];
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ggml type");
        }
        return dst;
    }
}
