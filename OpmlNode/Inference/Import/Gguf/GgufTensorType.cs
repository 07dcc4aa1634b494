namespace OpmlNode.Inference.Import.Gguf;

/// <summary>ggml tensor types this reader can dequantise (llama.cpp's <c>ggml_type</c> codes); others are refused by code.</summary>
public enum GgufTensorType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
}
