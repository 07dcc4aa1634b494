namespace OpmlNode.Hosting;

/// <summary>
/// The chain is not one this node may act on: its genesis is not the one the data directory follows, or a
/// reorganisation replaced blocks beyond the undo window. The node stops (exit code 3) instead of acting on records it
/// can no longer trust; the message says what the operator must do.
/// </summary>
public sealed class NodeHaltException(string message) : Exception(message);
