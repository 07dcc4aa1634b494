using OpmlNode.Vm;

namespace OpmlNode.Inference.Backends;

/// <summary>Outcome of one guest run: how it ended, the steps it took and the output region's bytes.</summary>
public sealed record VmOpRun(ExitKind Exited, byte ExitCode, ulong Steps, byte[] Output)
{
    public bool Succeeded => Exited == ExitKind.Exited && ExitCode == 0;
    public TrapCause Trap => Exited == ExitKind.Trapped ? (TrapCause)ExitCode : TrapCause.None;
}
