using OpmlNode.Crypto;

namespace OpmlNode.Dispute;

/// <summary>
/// The honest move for either role from a game's state and the party's own traces (op-challenger's solver; no chain
/// I/O). The submitter posts its roots at the split points and proves what it claims; the challenger disputes the first
/// sub-interval whose right end it disagrees with. A party whose traces are forged (fault injection) plays the same
/// rules on its forged traces, which is exactly how a liar behaves at best.
/// </summary>
public static class Solver
{
    /// <summary>The move <paramref name="role"/> makes now, or null when it is not that role's turn.</summary>
    public static Move? NextMove(IGameView game, Role role, DisputeParty me)
    {
        if (game.ToMove != role) return null;
        switch (game.Phase)
        {
            case GamePhase.Graph or GamePhase.Vm when role == Role.Submitter:
                return new BisectMove(Bisect(me.TraceFor(game), game.Lo, game.Hi, game.K));
            case GamePhase.Graph or GamePhase.Vm:
                return new ChooseMove(Choose(me.TraceFor(game), game.Lo, game.Hi, game.K, game.Posted!, game.HiRoot));
            case GamePhase.Transition:
            {
                var proof = me.Graph.TransitionProof(game.Lo);
                return new TransitionMove(me.Graph.SlotRoot(game.Lo), [.. proof.Siblings]);
            }
            case GamePhase.Link:
                return Link(me.Graph, game.Slot);
            case GamePhase.ClaimFinal:
            {
                var vm = me.Vm(game.Slot);
                return new ClaimFinalMove(vm.FinalState.ToArray(), [.. vm.OutputProof().Siblings]);
            }
            case GamePhase.Step:
            {
                var w = me.Vm(game.Slot).Witness(game.Lo);
                return new StepMove(w.State, w.Proofs);
            }
            default:
                return null;
        }
    }

    /// <summary>The roots at p_1..p_{m−1} of (lo, hi).</summary>
    public static Hash256[] Bisect(ITraceProvider trace, long lo, long hi, int k)
    {
        var p = Bisection.Points(lo, hi, k);
        return [.. p[1..^1].Select(trace.RootAt)];
    }

    /// <summary>
    /// The first c whose right end p_{c+1} the party disagrees with (the posted roots, then <paramref name="hiRoot"/> at
    /// p_m). The party disputes hiRoot, so such a c exists; if it agrees with everything it should not be playing.
    /// </summary>
    public static int Choose(ITraceProvider trace, long lo, long hi, int k, IReadOnlyList<Hash256> posted, Hash256 hiRoot)
    {
        var p = Bisection.Points(lo, hi, k);
        for (int c = 0; c < p.Length - 1; c++)
        {
            var theirs = c + 1 == p.Length - 1 ? hiRoot : posted[c];
            if (trace.RootAt(p[c + 1]) != theirs) return c;
        }
        throw new InvalidOperationException($"this party agrees with every root of ({lo}, {hi}): nothing to dispute");
    }

    /// <summary>Slot g's link: descriptor and inputs with proofs, as <see cref="GameState"/> and the contract check them.</summary>
    public static LinkMove Link(GraphTrace graph, long g)
    {
        var start = graph.Link(g);
        return new LinkMove(start.Descriptor, [.. start.DescriptorProof.Siblings],
            [.. start.Inputs.Select(i => i.Root)],
            [.. start.Inputs.Select(i => i.Proof is { } pr ? pr.Siblings.ToArray() : Array.Empty<Hash256>())]);
    }

    /// <summary>Whether the party disputes a submitted final root (it would challenge).</summary>
    public static bool Disputes(DisputeParty me, Hash256 finalRoot) => me.Graph.FinalRoot != finalRoot;
}
