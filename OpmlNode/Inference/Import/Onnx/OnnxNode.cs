using OpmlNode.Inference.Import.Onnx.Proto;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>One node of an ONNX graph: op type, value names in and out (an empty name is an absent optional input), attributes.</summary>
public sealed class OnnxNode
{
    private readonly Dictionary<string, AttributeProto> _attributes;

    internal OnnxNode(NodeProto p, int index)
    {
        Index = index;
        OpType = p.OpType;
        Domain = p.Domain;
        Name = p.Name;
        Inputs = p.Input.ToArray();
        Outputs = p.Output.ToArray();
        _attributes = p.Attribute.ToDictionary(a => a.Name);
    }

    public int Index { get; }
    public string OpType { get; }
    public string Domain { get; }
    public string Name { get; }
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }
    public IReadOnlyCollection<string> AttributeNames => _attributes.Keys;

    /// <summary>The node's name, or "#index (first output)" when the exporter left it empty.</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? $"#{Index} ({(Outputs.Count > 0 ? Outputs[0] : "no output")})" : $"'{Name}'";

    public bool Has(string name) => _attributes.ContainsKey(name);

    /// <summary>Input i's value name, or null if absent (past the end or empty).</summary>
    public string? Input(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;

    public long Int(string name, long fallback) => _attributes.TryGetValue(name, out var a) ? a.I : fallback;
    public float Float(string name, float fallback) => _attributes.TryGetValue(name, out var a) ? a.F : fallback;
    public string? String(string name) => _attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : null;
    public long[]? Ints(string name) => _attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;
    public float[]? Floats(string name) => _attributes.TryGetValue(name, out var a) ? a.Floats.ToArray() : null;
    internal TensorProto? TensorAttribute(string name) => _attributes.TryGetValue(name, out var a) && a.T is not null ? a.T : null;
    internal AttributeProto.Types.AttributeType? AttributeType(string name) => _attributes.TryGetValue(name, out var a) ? a.Type : null;

    public override string ToString() => $"{OpType} {DisplayName}";
}
