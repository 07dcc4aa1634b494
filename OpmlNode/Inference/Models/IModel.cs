namespace OpmlNode.Inference.Models;

/// <summary>
/// A model as the graph runner needs it: the template graph (n node descriptors for one pass), the weight tensors,
/// the output node and the task-input size limit (docs/GRAPH.md §1, §5).
/// </summary>
public interface IModel
{
    /// <summary>Architecture name from the header, e.g. <c>llama/100m</c>.</summary>
    string Architecture { get; }

    /// <summary>The architecture family (the part of <see cref="Architecture"/> before the slash).</summary>
    ArchitectureKind Kind { get; }

    IReadOnlyList<NodeDescriptor> Nodes { get; }
    /// <summary>The 352-byte encoding of node j (what VM region 1 holds).</summary>
    ReadOnlySpan<byte> DescriptorBytes(int j);
    int OutputNode { get; }
    int InputSizeLimit { get; }
    /// <summary>Suggested number of passes (1 for a classifier, the KV-cache length for a decoder); informative.</summary>
    int DefaultPasses { get; }
    IReadOnlyList<WeightInfo> Weights { get; }
    /// <summary>Weight w's bytes (exactly its spec's byte length), without copying for a mapped file.</summary>
    ReadOnlyMemory<byte> Weight(int w);
}
