namespace OpmlNode.Inference.Import.Onnx;

/// <summary>
/// An ONNX file the importer cannot take: malformed or truncated, an opset it does not know, or a construct with no
/// faithful mapping onto the integer op set ("ONNX: unsupported op X at node Y"). Never a silently wrong model.
/// </summary>
public sealed class OnnxImportException(string message) : FormatException("ONNX: " + message)
{
    /// <summary>The error for a node whose op (or use of it) has no mapping onto the op set.</summary>
    public static OnnxImportException Unsupported(OnnxNode node, string? why = null) =>
        new($"unsupported op {node.OpType} at node {node.DisplayName}{(why is null ? "" : $" ({why})")}");
}
