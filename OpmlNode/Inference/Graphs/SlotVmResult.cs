using OpmlNode.Crypto;
using OpmlNode.Vm;

namespace OpmlNode.Inference.Graphs;

/// <summary>How one slot's VM run compares with the native run (what phase 2 of a dispute re-executes).</summary>
public sealed record SlotVmResult(
    long Slot, int Pass, int Node, OpCode Op, ulong Steps, ExitKind Exited, byte ExitCode,
    Hash256 ComposedStartRoot, Hash256 LoadedStartRoot, Hash256 VmOutputRoot, Hash256 NativeOutputRoot)
{
    /// <summary>The start memory composed from committed roots (as the contract does) is the memory the VM ran from.</summary>
    public bool StartMatches => ComposedStartRoot == LoadedStartRoot;

    /// <summary>The guest exited with 0 and its output region holds exactly the native slot output.</summary>
    public bool OutputMatches => Exited == ExitKind.Exited && ExitCode == 0 && VmOutputRoot == NativeOutputRoot;
}
