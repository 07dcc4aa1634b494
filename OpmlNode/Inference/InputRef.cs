namespace OpmlNode.Inference;

/// <summary>One input reference of a node (OPS §2): where the tensor comes from and its declared type and shape.</summary>
public sealed record InputRef(RefKind Kind, uint Index, uint Lag, TensorSpec Spec)
{
    public static InputRef Weight(uint w, TensorSpec spec) => new(RefKind.Weight, w, 0, spec);
    public static InputRef TaskInput(TensorSpec spec) => new(RefKind.TaskInput, 0, 0, spec);
    public static InputRef Node(uint k, uint lag, TensorSpec spec) => new(RefKind.Node, k, lag, spec);
}
