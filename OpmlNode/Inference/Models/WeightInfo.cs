namespace OpmlNode.Inference.Models;

/// <summary>One weight tensor of a model: its registered spec and where its bytes lie in the model file.</summary>
public sealed record WeightInfo(TensorSpec Spec, long Offset, long Length);
