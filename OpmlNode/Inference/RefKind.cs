namespace OpmlNode.Inference;

/// <summary>Input reference kinds (OPS §2).</summary>
public enum RefKind : byte
{
    Weight = 1,
    TaskInput = 2,
    Node = 3,
}
