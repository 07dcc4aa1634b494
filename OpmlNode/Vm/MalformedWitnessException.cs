namespace OpmlNode.Vm;

/// <summary>A witness or state that breaks PROTOCOL §4.6; the contract reverts on the same inputs.</summary>
public sealed class MalformedWitnessException(string message) : Exception(message);
