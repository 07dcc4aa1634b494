using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Merkle;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>
/// Phase 2's trace: the state hashes h_0..h_T of one slot's run of the op guest from its composed start state (GRAPH §4),
/// read from the slot's <see cref="VmRun"/> (checkpointed, so a query replays at most one interval). Past the exit, the
/// state stays the exited one (PROTOCOL §4.5). With a <see cref="FaultInjection"/> the hashes from its step on are forged,
/// and the final state is always forged to carry the liar's output root when that differs from the honest one.
/// </summary>
public sealed class VmTrace : ITraceProvider
{
    public const int DefaultCheckpointInterval = VmRun.DefaultCheckpointInterval;

    private readonly VmRun _run;
    private readonly Dictionary<long, Hash256> _cache = [];
    private readonly byte[] _finalState;
    private readonly Hash256 _finalHash;
    private readonly Hash256[] _finalRegions;
    private readonly ulong? _lieFrom;
    private readonly bool _claimTrap;

    /// <param name="claimedOutputRoot">The output root this party claims for the slot; a forged final state carries it.</param>
    public VmTrace(VmBackend vm, SlotStart start, Hash256 claimedOutputRoot, ulong maxSteps, FaultInjection? lie = null,
        int checkpointInterval = DefaultCheckpointInterval)
        : this(VmRun.Execute(vm, start, maxSteps, checkpointInterval), claimedOutputRoot, lie)
    {
    }

    /// <param name="claimedOutputRoot">The output root this party claims for the slot; a forged final state carries it.</param>
    public VmTrace(VmRun run, Hash256 claimedOutputRoot, FaultInjection? lie = null)
    {
        _run = run;
        _finalRegions = (Hash256[])run.FinalRegions.Clone();
        var final = VmState.Decode(run.FinalState);
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

    public long Slot => _run.Slot;
    public int CheckpointInterval => _run.CheckpointInterval;

    /// <summary>T: the step count of the (claimed) final state.</summary>
    public ulong Steps => _run.Steps;
    public long Length => (long)Steps;
    public Hash256 StartHash => _run.StartHash;
    public Hash256 HonestOutputRoot => _run.HonestOutputRoot;

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

    private Machine MachineAt(ulong step) => _run.MachineAt(step);

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
