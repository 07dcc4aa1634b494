namespace OpmlNode.Inference;

/// <summary>Thrown when a descriptor is malformed or breaks an op's shape rules (OPS §2, §5).</summary>
public sealed class InvalidDescriptorException(string message) : Exception(message);
