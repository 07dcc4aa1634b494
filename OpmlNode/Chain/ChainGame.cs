using System.Numerics;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Dispute;

namespace OpmlNode.Chain;

/// <summary>A game as the contract holds it, seen through <see cref="IGameView"/> so the solver can play it.</summary>
public sealed class ChainGameView(GameInfo info, int k, IReadOnlyList<Hash256>? posted) : IGameView
{
    public GameInfo Info { get; } = info;
    public GamePhase Phase { get; } = PhaseOf(info.Stage);
    public int K { get; } = k;
    public long Lo => (long)Info.Lo;
    public long Hi => (long)Info.Hi;
    public Hash256 HiRoot => new(Info.RootHi);
    public IReadOnlyList<Hash256>? Posted { get; } = posted;
    public long Slot => Info.Stage >= Stage.Link ? (long)Info.Slot : -1;
    public Role? ToMove => Info.ToMove switch { Side.Submitter => Role.Submitter, Side.Challenger => Role.Challenger, _ => null };

    /// <summary>The move number the next move must name (<c>expectedTurn</c>).</summary>
    public uint Turn => Info.Moves;

    public static GamePhase PhaseOf(Stage stage) => stage switch
    {
        Stage.Slots => GamePhase.Graph,
        Stage.Transition => GamePhase.Transition,
        Stage.Link => GamePhase.Link,
        Stage.Final => GamePhase.ClaimFinal,
        Stage.Steps => GamePhase.Vm,
        Stage.Step => GamePhase.Step,
        _ => GamePhase.Resolved,
    };
}

/// <summary>
/// Plays one side of an on-chain game: reads the game, asks the <see cref="Solver"/> for the honest move of this side's
/// traces and sends it naming the turn it answers (a replayed or stale move reverts <c>WrongTurn</c>; nothing is sent twice).
/// </summary>
public sealed class ChainGamePlayer(DisputeGameService game, Role role, DisputeParty me)
{
    public Role Role { get; } = role;

    public async Task<ChainGameView> ReadAsync(BigInteger gameId, CancellationToken ct = default)
    {
        var info = await game.GetGameAsync(gameId);
        int k = (int)await game.KAsync();
        IReadOnlyList<Hash256>? posted = null;
        if (info.Stage is Stage.Slots or Stage.Steps && info.ToMove == Side.Challenger)
            posted = [.. (await game.PostedRootsAsync(gameId)).Select(r => new Hash256(r))];
        return new ChainGameView(info, k, posted);
    }

    /// <summary>Sends this side's next move if it is this side's turn; returns the move sent, or null.</summary>
    public async Task<Move?> MoveAsync(BigInteger gameId, CancellationToken ct = default)
    {
        var view = await ReadAsync(gameId, ct);
        if (view.Phase == GamePhase.Resolved || view.ToMove != Role) return null;
        var move = Solver.NextMove(view, Role, me);
        if (move is null) return null;
        BigInteger turn = view.Turn;
        switch (move)
        {
            case BisectMove b: await game.BisectAsync(gameId, turn, Bytes(b.Roots), ct); break;
            case ChooseMove c: await game.ChooseAsync(gameId, turn, c.Index, ct); break;
            case TransitionMove t: await game.ProveTransitionAsync(gameId, turn, t.OutRoot.ToArray(), Bytes(t.Siblings), ct); break;
            case LinkMove l:
                await game.LinkAsync(new LinkFunction
                {
                    GameId = gameId,
                    ExpectedTurn = turn,
                    Descriptor = l.Descriptor,
                    DescriptorProof = Bytes(l.DescriptorProof),
                    InputRoots = Bytes(l.InputRoots),
                    InputProofs = [.. l.InputProofs.Select(Bytes)],
                }, ct);
                break;
            case ClaimFinalMove f: await game.ClaimFinalAsync(gameId, turn, f.FinalState, Bytes(f.OutputProof), ct); break;
            case StepMove s: await game.StepAsync(gameId, turn, s.State, s.Proofs, ct); break;
        }
        return move;
    }

    private static List<byte[]> Bytes(IEnumerable<Hash256> roots) => [.. roots.Select(r => r.ToArray())];
}
