namespace OpmlNode.Inference.Models;

/// <summary>The architecture family of a model: how its task input is laid out and what its output means (GRAPH §6).</summary>
public enum ArchitectureKind
{
    /// <summary>A family this node has no input conventions for: raw input bytes only.</summary>
    Other = 0,
    /// <summary>A classifier over raw I8 features (output: the class).</summary>
    Mlp = 1,
    /// <summary>A decoder: input I32 [n, t_1..t_n], one pass per position (output: the token buffer).</summary>
    Llama = 2,
    /// <summary>An encoder classifier: input I32 token ids, pad 0 (output: the class).</summary>
    Bert = 3,
}
