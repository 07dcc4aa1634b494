namespace OpmlNode.Inference.Models;

/// <summary>The graph and weights of a model before it is written (what <see cref="ModelWriter"/> consumes).</summary>
public sealed record ModelDefinition(
    string Architecture,
    IReadOnlyList<NodeDescriptor> Nodes,
    IReadOnlyList<WeightSource> Weights,
    int OutputNode,
    int InputSizeLimit,
    int DefaultPasses);
