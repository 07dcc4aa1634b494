namespace OpmlNode.Inference.Backends;

/// <summary>The guest trapped, exited with an unexpected code, or ran out of its step budget.</summary>
public sealed class VmOpException(string message, VmOpRun run) : Exception(message)
{
    public VmOpRun Run { get; } = run;
}
