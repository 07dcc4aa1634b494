using Google.Protobuf;
using OpmlNode.Inference.Import.Onnx.Proto;

namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// A parsed ONNX model (onnx.proto, IR version 3 and later): its main graph's nodes in file order (ONNX requires
/// topological order), initializers, inputs (those that are not initializers) and outputs, and the default-domain
/// opset. Loading checks the structure; whether each op maps onto the op set is the importer's question.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>Default-domain ("" / "ai.onnx") opset versions the importer implements the semantics of.</summary>
    public const int MinOpset = 7, MaxOpset = 17;

    private OnnxModel(string source, ModelProto p)
    {
        Source = source;
        IrVersion = p.IrVersion;
        Producer = string.IsNullOrEmpty(p.ProducerName) ? "unknown" : $"{p.ProducerName} {p.ProducerVersion}".Trim();
        if (p.Graph is null) throw new OnnxImportException($"{source}: the model has no graph");
        if (p.IrVersion < 3) throw new OnnxImportException($"{source}: IR version {p.IrVersion} is older than 3 (no opset imports)");
        var opsets = p.OpsetImport.ToDictionary(o => o.Domain is "" or "ai.onnx" ? "" : o.Domain, o => o.Version);
        if (!opsets.TryGetValue("", out var opset)) throw new OnnxImportException($"{source}: no opset import for the default domain");
        if (opset < MinOpset || opset > MaxOpset)
            throw new OnnxImportException($"{source}: opset {opset} of the default domain is not supported (this importer implements opsets {MinOpset}..{MaxOpset})");
        Opset = (int)opset;
        var g = p.Graph;
        GraphName = g.Name;
        var inits = new Dictionary<string, OnnxTensor>();
        foreach (var t in g.Initializer)
            inits[t.Name] = OnnxTensors.FromProto(t, $"{source}: initializer");
        Initializers = inits;
        if (g.SparseInitializer.Count > 0) throw new OnnxImportException($"{source}: sparse initializers are not supported");
        Inputs = g.Input.Where(v => !Initializers.ContainsKey(v.Name)).Select(v => ValueInfo(v, source)).ToArray();
        Outputs = g.Output.Select(v => ValueInfo(v, source)).ToArray();
        Nodes = g.Node.Select((n, i) => new OnnxNode(n, i)).ToArray();
        CheckTopologicalOrder(source);
    }

    public string Source { get; }
    public long IrVersion { get; }
    public string Producer { get; }
    public int Opset { get; }
    public string GraphName { get; }
    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    public static OnnxModel Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(bytes, Path.GetFileName(path));
    }

    public static OnnxModel Parse(byte[] bytes, string source)
    {
        ModelProto p;
        try
        {
            p = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"{source}: not a valid ONNX file, truncated or corrupt ({bytes.Length} bytes; protobuf: {e.Message})");
        }
        return new OnnxModel(source, p);
    }

    /// <summary>One serialized TensorProto (the input_N.pb / output_N.pb files of ONNX's node tests).</summary>
    public static OnnxTensor LoadTensor(string path)
    {
        try
        {
            return OnnxTensors.FromProto(TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), Path.GetFileName(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"{Path.GetFileName(path)}: not a valid serialized tensor ({e.Message})");
        }
    }

    private static OnnxValueInfo ValueInfo(ValueInfoProto v, string source)
    {
        var tt = v.Type?.TensorType ?? throw new OnnxImportException($"{source}: graph value '{v.Name}' is not a tensor (sequences, maps and optionals are not supported)");
        var dims = tt.Shape?.Dim.Select(d => d.HasDimValue ? (int?)checked((int)d.DimValue) : null).ToArray() ?? [];
        var names = tt.Shape?.Dim.Select(d => d.HasDimParam ? d.DimParam : null).ToArray() ?? [];
        return new OnnxValueInfo(v.Name, (OnnxElementType)tt.ElemType, dims, names);
    }

    private void CheckTopologicalOrder(string source)
    {
        var known = new HashSet<string>(Initializers.Keys.Concat(Inputs.Select(i => i.Name))) { "" };
        foreach (var n in Nodes)
        {
            foreach (var i in n.Inputs)
                if (!known.Contains(i)) throw new OnnxImportException($"{source}: node {n.DisplayName} ({n.OpType}) reads '{i}', which no earlier node, input or initializer defines");
            foreach (var o in n.Outputs) known.Add(o);
        }
        foreach (var o in Outputs)
            if (!known.Contains(o.Name)) throw new OnnxImportException($"{source}: graph output '{o.Name}' is not produced by any node");
    }
}
