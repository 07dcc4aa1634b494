using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Merkle;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>Where a game stands (PROTOCOL §5).</summary>
public enum GamePhase
{
    /// <summary>Phase 1: bisection over graph slots.</summary>
    Graph,
    /// <summary>Phase 1 pinned slot j: the submitter proves S_j → S_{j+1}.</summary>
    Transition,
    /// <summary>The submitter reveals node j's descriptor and inputs; the start state is composed from them.</summary>
    Link,
    /// <summary>The submitter claims the final VM state (exit 0, T steps, output root out_j).</summary>
    ClaimFinal,
    /// <summary>Phase 2: bisection over VM steps.</summary>
    Vm,
    /// <summary>Phase 2 pinned step s: one step decides.</summary>
    Step,
    Resolved,
}

/// <summary>
/// The game's rules as the contract applies them, in C#: the referee of local disputes (fixtures, tests) and the
/// node's model of an on-chain game. <see cref="Apply"/> checks a move exactly as the contract does (same proofs, same
/// composition of the start state) and throws <see cref="InvalidMoveException"/> where the contract reverts.
/// </summary>
public sealed class GameState : IGameView
{
    public GameState(RegisteredModel model, Hash256 inputRoot, int passes, Hash256 finalRoot, int k)
    {
        if (k is < Bisection.MinK or > Bisection.MaxK) throw new ArgumentOutOfRangeException(nameof(k));
        Model = model;
        InputRoot = inputRoot;
        Passes = passes;
        K = k;
        Lo = 0;
        Hi = (long)passes * model.NodeCount;
        LoRoot = ZeroHashes.At(32);
        HiRoot = finalRoot;
        Phase = Hi - Lo == 1 ? GamePhase.Transition : GamePhase.Graph;
    }

    public RegisteredModel Model { get; }
    public Hash256 InputRoot { get; }
    public int Passes { get; }
    public int K { get; }
    public GamePhase Phase { get; private set; }
    public long Lo { get; private set; }
    public long Hi { get; private set; }
    public Hash256 LoRoot { get; private set; }
    public Hash256 HiRoot { get; private set; }
    /// <summary>Roots the submitter posted for the current interval's interior points (awaiting the challenger's choice).</summary>
    public Hash256[]? Posted { get; private set; }

    IReadOnlyList<Hash256>? IGameView.Posted => Posted;
    public long Slot { get; private set; } = -1;
    /// <summary>S_j, the agreed graph root at the pinned slot (the link proves earlier slots' outputs against it).</summary>
    public Hash256 SlotStateRoot { get; private set; }
    public Hash256 OutRoot { get; private set; }
    public ulong Steps { get; private set; }
    public Role? Winner { get; private set; }
    public int Moves { get; private set; }

    /// <summary>Who is to move (null once resolved). The step may be sent by anyone; it is the challenger's turn.</summary>
    public Role? ToMove => Phase switch
    {
        GamePhase.Resolved => null,
        GamePhase.Graph or GamePhase.Vm => Posted is null ? Role.Submitter : Role.Challenger,
        GamePhase.Step => Role.Challenger,
        _ => Role.Submitter,
    };

    public void Apply(Move move)
    {
        switch (Phase, move)
        {
            case (GamePhase.Graph or GamePhase.Vm, BisectMove b) when Posted is null:
                int m = Bisection.Parts(Lo, Hi, K);
                if (b.Roots.Length != m - 1) throw new InvalidMoveException($"bisect needs {m - 1} roots, got {b.Roots.Length}");
                Posted = b.Roots;
                break;
            case (GamePhase.Graph or GamePhase.Vm, ChooseMove c) when Posted is not null:
                var p = Bisection.Points(Lo, Hi, K);
                if (c.Index < 0 || c.Index >= p.Length - 1) throw new InvalidMoveException($"choice {c.Index} outside [0, {p.Length - 1})");
                var at = (int i) => i == 0 ? LoRoot : i == p.Length - 1 ? HiRoot : Posted[i - 1];
                (LoRoot, HiRoot) = (at(c.Index), at(c.Index + 1));
                (Lo, Hi) = (p[c.Index], p[c.Index + 1]);
                Posted = null;
                if (Hi - Lo == 1) Phase = Phase == GamePhase.Graph ? GamePhase.Transition : GamePhase.Step;
                break;
            case (GamePhase.Transition, TransitionMove t):
                if (!MerkleMath.Verify(LoRoot, Hash256.Zero, (ulong)Lo, t.Siblings) || !MerkleMath.Verify(HiRoot, t.OutRoot, (ulong)Lo, t.Siblings))
                    throw new InvalidMoveException($"transition proof does not take S_{Lo} to S_{Lo + 1}");
                Slot = Lo;
                SlotStateRoot = LoRoot;
                OutRoot = t.OutRoot;
                Phase = GamePhase.Link;
                break;
            case (GamePhase.Link, LinkMove l):
                LoRoot = StartHash(l);
                Phase = GamePhase.ClaimFinal;
                break;
            case (GamePhase.ClaimFinal, ClaimFinalMove f):
                HiRoot = CheckFinal(f);
                (Lo, Hi) = (0, (long)Steps);
                Phase = Hi == 1 ? GamePhase.Step : GamePhase.Vm;
                break;
            case (GamePhase.Step, StepMove s):
                if (VmState.HashOf(s.State) != LoRoot) throw new InvalidMoveException($"the witness state is not the agreed state h_{Lo}");
                byte[] post;
                try { post = ReferenceStepper.Step(s.State, s.Proofs); }
                catch (MalformedWitnessException e) { throw new InvalidMoveException($"bad step witness: {e.Message}"); }
                Winner = VmState.HashOf(post) == HiRoot ? Role.Submitter : Role.Challenger;
                Phase = GamePhase.Resolved;
                break;
            default:
                throw new InvalidMoveException($"{move.GetType().Name} is not a move in phase {Phase}");
        }
        Moves++;
    }

    /// <summary>The side whose clock ran out loses.</summary>
    public void Timeout()
    {
        Winner = ToMove == Role.Submitter ? Role.Challenger : Role.Submitter;
        Phase = GamePhase.Resolved;
    }

    // GRAPH §4: every region root proved against a registered or agreed root; the references come from the descriptor.
    private Hash256 StartHash(LinkMove l)
    {
        int n = Model.NodeCount, p = (int)(Slot / n), j = (int)(Slot % n);
        NodeDescriptor d;
        try { d = NodeDescriptor.Decode(l.Descriptor); }
        catch (InvalidDescriptorException e) { throw new InvalidMoveException($"descriptor: {e.Message}"); }
        var descRoot = MerkleMath.TensorRoot(l.Descriptor);
        if (!MerkleMath.Verify(Model.DescriptorsRoot, descRoot, (ulong)j, l.DescriptorProof)) throw new InvalidMoveException($"descriptor is not node {j} of the model");
        if (l.InputRoots.Length != d.Inputs.Count) throw new InvalidMoveException($"node {j} has {d.Inputs.Count} inputs, got {l.InputRoots.Length} roots");
        for (int i = 0; i < d.Inputs.Count; i++)
        {
            var r = d.Inputs[i];
            var root = l.InputRoots[i];
            bool ok = r.Kind switch
            {
                RefKind.Weight => MerkleMath.Verify(Model.WeightsRoot, root, r.Index, l.InputProofs[i]),
                RefKind.TaskInput => root == InputRoot,
                _ when p < r.Lag => root == ZeroHashes.At(MerkleMath.TensorDepth),
                _ => (long)(p - r.Lag) * n + r.Index < Slot && MerkleMath.Verify(SlotStateRoot, root, (ulong)((long)(p - r.Lag) * n + r.Index), l.InputProofs[i]),
            };
            if (!ok) throw new InvalidMoveException($"input {i} ({r.Kind}) root {root} is not proved");
        }
        var start = new VmState { MemRoot = NodeStartState.MemoryRoot(Model.ProgramRoot, descRoot, l.InputRoots), Pc = Model.EntryPc };
        return start.Hash();
    }

    private Hash256 CheckFinal(ClaimFinalMove f)
    {
        VmState s;
        try { s = VmState.Decode(f.FinalState); }
        catch (MalformedWitnessException e) { throw new InvalidMoveException($"final state: {e.Message}"); }
        if (s.Exited != ExitKind.Exited || s.ExitCode != 0) throw new InvalidMoveException("the final state must have exited with code 0");
        if (s.Step < 1 || s.Step > Model.MaxNodeSteps) throw new InvalidMoveException($"T = {s.Step} outside [1, {Model.MaxNodeSteps}]");
        if (!MerkleMath.Verify(s.MemRoot, OutRoot, 10, f.OutputProof)) throw new InvalidMoveException("the final state's output region is not out_j");
        Steps = s.Step;
        return VmState.HashOf(f.FinalState);
    }
}

/// <summary>A move the contract would revert.</summary>
public sealed class InvalidMoveException(string message) : Exception(message);
