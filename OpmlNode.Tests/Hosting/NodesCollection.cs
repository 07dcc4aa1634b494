namespace OpmlNode.Tests.Hosting;

/// <summary>
/// The tests that run real node processes against a chain: one at a time, and not beside the other (CPU-heavy)
/// collections, so a node's timing (polls, clocks of a few seconds) does not depend on what else the machine runs.
/// </summary>
[CollectionDefinition("nodes", DisableParallelization = true)]
public sealed class NodesCollection;
