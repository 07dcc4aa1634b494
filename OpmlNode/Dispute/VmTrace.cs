using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Merkle;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>
/// Phase 2's trace: the state hashes h_0..h_T of one slot's run of the op guest from its composed start state (GRAPH §4).
/// The run is executed once, keeping a checkpoint (registers and a copy of the allocated pages) every
/// <see cref="CheckpointInterval"/> steps, so any later query replays at most one interval. Past the exit, the state stays
/// the exited one (PROTOCOL §4.5). With a <see cref="FaultInjection"/> the hashes from its step on are forged, and the final
/// state is always forged to carry the liar's output root when that differs from the honest one.
/// </summary>
public sealed class VmTrace : ITraceProvider
{
    public const int DefaultCheckpointInterval = 1 << 16;

    private readonly List<Checkpoint> _checkpoints = [];
    private readonly Dictionary<long, Hash256> _cache = [];
    private readonly byte[] _finalState;
    private readonly Hash256 _finalHash;
    private readonly Hash256[] _finalRegions;
    private readonly ulong? _lieFrom;
    private readonly bool _claimTrap;

    private sealed record Checkpoint(ulong Step, uint Pc, uint[] Regs, MemorySnapshot Memory);

    /// <param name="claimedOutputRoot">The output root this party claims for the slot; a forged final state carries it.</param>
    public VmTrace(VmBackend vm, SlotStart start, Hash256 claimedOutputRoot, ulong maxSteps, FaultInjection? lie = null,
        int checkpointInterval = DefaultCheckpointInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointInterval, 1);
        CheckpointInterval = checkpointInterval;
        Slot = start.Slot;
        var memory = new PagedMemory();
        uint entry = vm.LoadStartMemory(memory, start.Descriptor, start.Inputs.Select(i => (ReadOnlyMemory<byte>)i.Bytes).ToArray());
        var m = new Machine(memory, entry);
        StartHash = m.State().Hash();
        while (m.IsRunning && m.Step < maxSteps)
        {
            _checkpoints.Add(new Checkpoint(m.Step, m.Pc, (uint[])m.Regs.Clone(), memory.Snapshot()));
            m.Run(Math.Min((ulong)checkpointInterval, maxSteps - m.Step));
        }
        if (m.Exited != ExitKind.Exited || m.ExitCode != 0)
            throw new InvalidOperationException($"slot {Slot}: the op guest {(m.IsRunning ? $"did not exit within {maxSteps} steps" : $"ended with {m.Exited} {m.ExitCode}")}; no valid final state to claim");
        Steps = m.Step;
        HonestOutputRoot = memory.RegionRoot(VmBackend.OutputRegion);
        _finalRegions = Enumerable.Range(0, 16).Select(memory.RegionRoot).ToArray();
        var final = m.State();
        if (claimedOutputRoot != HonestOutputRoot)
        {
            // A liar's final state: the honest one with region 10 replaced by its claimed output root.
            _finalRegions[VmBackend.OutputRegion] = claimedOutputRoot;
            final.MemRoot = MerkleMath.RootOfNodes(_finalRegions, NodeStartState.RegionDepth, NodeStartState.MemoryDepth);
        }
        _finalState = final.Encode();
        _finalHash = VmState.HashOf(_finalState);
        _lieFrom = lie?.LieStep;
        _claimTrap = lie?.ClaimTrap ?? false;
        if (_lieFrom is { } s && (s < 1 || s > Steps)) throw new ArgumentOutOfRangeException(nameof(lie), s, $"lie step outside [1, {Steps}]");
    }

    public long Slot { get; }
    public int CheckpointInterval { get; }

    /// <summary>T: the step count of the (claimed) final state.</summary>
    public ulong Steps { get; }
    public long Length => (long)Steps;
    public Hash256 StartHash { get; }
    public Hash256 HonestOutputRoot { get; }

    /// <summary>The 170-byte final state this party claims (exited with 0 after T steps).</summary>
    public ReadOnlySpan<byte> FinalState => _finalState;

    /// <summary>The 4 siblings that prove the final state's region 10 (the output) root against its memory root.</summary>
    public MerkleProof OutputProof() => MerkleMath.ListProof(_finalRegions, VmBackend.OutputRegion, 4);

    public Hash256 RootAt(long i)
    {
        if (i < 0) throw new ArgumentOutOfRangeException(nameof(i));
        if ((ulong)i >= Steps) return _finalHash;
        if (_lieFrom is { } from && (ulong)i >= from) return Forged(i);
        lock (_cache)
        {
            if (_cache.TryGetValue(i, out var h)) return h;
            h = MachineAt((ulong)i).State().Hash();
            _cache[i] = h;
            return h;
        }
    }

    /// <summary>The witness of the step taken from the honest state after <paramref name="i"/> steps (PROTOCOL §4.6).</summary>
    public StepWitness Witness(long i)
    {
        if (i < 0 || (ulong)i > Steps) throw new ArgumentOutOfRangeException(nameof(i), i, $"step outside [0, {Steps}]");
        return StepWitness.Capture(MachineAt((ulong)i));
    }

    /// <summary>The first step index i whose step (from state i) executes an instruction of <paramref name="kind"/>, or null.</summary>
    public long? FirstStepOfKind(WitnessKind kind)
    {
        var m = MachineAt(0);
        while (m.IsRunning)
        {
            if ((m.Pc & 3) == 0 && StepWitness.Classify(m.Memory.ReadUInt32(m.Pc)) == kind) return (long)m.Step;
            m.Run(1);
        }
        return null;
    }

    private Machine MachineAt(ulong step)
    {
        var cp = _checkpoints[(int)Math.Min((ulong)(_checkpoints.Count - 1), step / (ulong)CheckpointInterval)];
        var m = Machine.Resume(PagedMemory.Restore(cp.Memory), cp.Pc, cp.Regs, cp.Step);
        m.Run(step - cp.Step);
        return m;
    }

    private Hash256 Forged(long i)
    {
        var honest = i < Length ? MachineAt((ulong)i).State() : VmState.Decode(_finalState);
        if (_claimTrap)
        {
            honest.Exited = ExitKind.Trapped;
            honest.ExitCode = (byte)TrapCause.IllegalInstruction;
            return honest.Hash();
        }
        honest.Regs[10] ^= 0x5A5A5A5A; // a wrong a0: a state no honest step reaches
        return honest.Hash();
    }
}
