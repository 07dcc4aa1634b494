using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>
/// The honest run of the op guest for one slot from its composed start state (GRAPH §4), executed once with a
/// checkpoint (registers and a copy of the allocated pages) every <see cref="CheckpointInterval"/> steps, so any state
/// is at most one interval of replay away. Both parties of a dispute share it (a liar only forges hashes on top, in
/// <see cref="VmTrace"/>), and a node stores it (<see cref="Storage.TaskTraceStore"/>) so a restart replays nothing.
/// </summary>
public sealed class VmRun
{
    public const int DefaultCheckpointInterval = 1 << 16;

    /// <summary>The machine after <paramref name="Step"/> steps.</summary>
    public sealed record Checkpoint(ulong Step, uint Pc, uint[] Regs, MemorySnapshot Memory);

    public VmRun(long slot, int checkpointInterval, ulong steps, Hash256 startHash, byte[] finalState, Hash256[] finalRegions, IReadOnlyList<Checkpoint> checkpoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        if (finalRegions.Length != 16) throw new ArgumentException("a final state has 16 region roots", nameof(finalRegions));
        if (checkpoints.Count == 0 || checkpoints[0].Step != 0) throw new ArgumentException("the first checkpoint is the start state", nameof(checkpoints));
        Slot = slot;
        CheckpointInterval = checkpointInterval;
        Steps = steps;
        StartHash = startHash;
        FinalState = finalState;
        FinalRegions = finalRegions;
        Checkpoints = checkpoints;
    }

    public long Slot { get; }
    public int CheckpointInterval { get; }

    /// <summary>T: the steps to the guest's exit with code 0.</summary>
    public ulong Steps { get; }
    public Hash256 StartHash { get; }

    /// <summary>The honest 170-byte final state.</summary>
    public byte[] FinalState { get; }

    /// <summary>The 16 region roots of the final memory (region 10 is the output).</summary>
    public Hash256[] FinalRegions { get; }
    public Hash256 HonestOutputRoot => FinalRegions[VmBackend.OutputRegion];
    public IReadOnlyList<Checkpoint> Checkpoints { get; }

    /// <summary>Runs slot <paramref name="start"/>'s guest to its exit.</summary>
    /// <exception cref="InvalidOperationException">the guest traps, exits non-zero, or exceeds <paramref name="maxSteps"/>.</exception>
    public static VmRun Execute(VmBackend vm, SlotStart start, ulong maxSteps, int checkpointInterval = DefaultCheckpointInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        var memory = new PagedMemory();
        uint entry = vm.LoadStartMemory(memory, start.Descriptor, start.Inputs.Select(i => (ReadOnlyMemory<byte>)i.Bytes).ToArray());
        var m = new Machine(memory, entry);
        var startHash = m.State().Hash();
        var checkpoints = new List<Checkpoint>();
        while (m.IsRunning && m.Step < maxSteps)
        {
            checkpoints.Add(new Checkpoint(m.Step, m.Pc, (uint[])m.Regs.Clone(), memory.Snapshot()));
            m.Run(Math.Min((ulong)checkpointInterval, maxSteps - m.Step));
        }
        if (m.Exited != ExitKind.Exited || m.ExitCode != 0)
            throw new InvalidOperationException($"slot {start.Slot}: the op guest {(m.IsRunning ? $"did not exit within {maxSteps} steps" : $"ended with {m.Exited} {m.ExitCode}")}; no valid final state to claim");
        var regions = Enumerable.Range(0, 16).Select(memory.RegionRoot).ToArray();
        return new VmRun(start.Slot, checkpointInterval, m.Step, startHash, m.State().Encode(), regions, checkpoints);
    }

    /// <summary>The machine after <paramref name="step"/> steps (≤ T), replayed from the nearest checkpoint before it.</summary>
    public Machine MachineAt(ulong step)
    {
        var cp = Checkpoints[(int)Math.Min((ulong)(Checkpoints.Count - 1), step / (ulong)CheckpointInterval)];
        var m = Machine.Resume(PagedMemory.Restore(cp.Memory), cp.Pc, cp.Regs, cp.Step);
        m.Run(step - cp.Step);
        return m;
    }
}
