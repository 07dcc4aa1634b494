using OpmlNode.Crypto;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using OpmlNode.Merkle;

namespace OpmlNode.Dispute;

/// <summary>
/// Phase 1's trace: the graph state roots S_0..S_N of one task (GRAPH §3), computed natively once, with the proofs a
/// party needs — the output slot in S_N (submit), the transition S_j → S_{j+1} (phase 1's end) — and the link data of
/// any slot (GRAPH §4). With a <see cref="FaultInjection"/> the lie slot's root is wrong and so is every S_i after it.
/// </summary>
public sealed class GraphTrace : ITraceProvider
{
    private readonly GraphRunner _runner;
    private readonly ModelRoots _roots;
    private readonly Hash256[] _slotRoots;
    private readonly byte[] _input;

    public GraphTrace(IModel model, ModelRoots roots, byte[] taskInput, int passes, IOpBackend? backend = null, FaultInjection? lie = null)
    {
        _runner = new GraphRunner(model, backend ?? CpuBackend.Instance);
        _roots = roots;
        _input = taskInput;
        Passes = passes;
        byte[]? lieOutput = null;
        var run = _runner.Run(taskInput, passes, new GraphRunOptions
        {
            SlotCompleted = lie is null ? null : (slot, output) => { if (slot == lie.LieSlot) lieOutput = FaultInjection.CorruptOutput(output); },
        });
        _slotRoots = run.SlotRoots.ToArray();
        Output = run.Output.Data;
        OutputSlot = run.OutputSlot;
        InputRoot = run.InputRoot;
        if (lie is not null)
        {
            if (lie.LieSlot < 0 || lie.LieSlot >= _slotRoots.Length) throw new ArgumentOutOfRangeException(nameof(lie), lie.LieSlot, $"lie slot outside [0, {_slotRoots.Length})");
            _slotRoots[lie.LieSlot] = MerkleMath.TensorRoot(lieOutput!);
            if (lie.LieSlot == OutputSlot) Output = lieOutput!;
        }
        Lie = lie;
    }

    public int Passes { get; }

    /// <summary>The task input bytes this trace was computed from.</summary>
    public ReadOnlySpan<byte> TaskInputBytes => _input;
    public FaultInjection? Lie { get; }
    public long Length => _slotRoots.Length;
    public long OutputSlot { get; }
    public Hash256 InputRoot { get; }

    /// <summary>The output tensor's bytes this party claims (the output slot's).</summary>
    public byte[] Output { get; }

    public Hash256 FinalRoot => RootAt(Length);

    public Hash256 RootAt(long i) => SlotTree.StateRoot(_slotRoots, i);

    public Hash256 SlotRoot(long g) => _slotRoots[g];

    /// <summary>The proof of the output slot in S_N that <c>submit</c> takes.</summary>
    public MerkleProof OutputSlotProof() => SlotTree.Proof(_slotRoots, OutputSlot, Length);

    /// <summary>Phase 1's end at slot j: out_j and the siblings that take S_j (leaf Z[0]) to S_{j+1} (leaf out_j).</summary>
    public MerkleProof TransitionProof(long j) => SlotTree.Proof(_slotRoots, j, j);

    /// <summary>Slot g's descriptor, inputs and their proofs (from the honest computation: slots before g are agreed).</summary>
    public SlotStart Link(long g) => _runner.ComposeSlotStart(_input, Passes, g, _roots);
}
