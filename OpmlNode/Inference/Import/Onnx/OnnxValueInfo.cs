namespace OpmlNode.Inference.Import.Onnx;

/// <summary>A graph input or output: name, ONNX element type, dims (null for a symbolic dim such as "batch").</summary>
public sealed record OnnxValueInfo(string Name, OnnxElementType ElementType, IReadOnlyList<int?> Dims, IReadOnlyList<string?> DimNames)
{
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(", ", Dims.Select((d, i) => d?.ToString() ?? DimNames[i] ?? "?"))}]";
}
