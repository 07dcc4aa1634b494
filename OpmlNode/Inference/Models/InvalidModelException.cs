namespace OpmlNode.Inference.Models;

/// <summary>Thrown for a model file that is malformed or whose graph is inconsistent (docs/GRAPH.md §5).</summary>
public sealed class InvalidModelException(string message) : Exception(message);
