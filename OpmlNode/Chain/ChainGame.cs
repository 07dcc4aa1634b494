using System.Numerics;
using Nethereum.Contracts;
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
            posted = [.. (await game.PostedRootsAsync(gameId, info.Moves - 1, ct)).Select(r => new Hash256(r))];
        return new ChainGameView(info, k, posted);
    }

    /// <summary>Sends this side's next move if it is this side's turn; returns the move sent, or null.</summary>
    public async Task<Move?> MoveAsync(BigInteger gameId, CancellationToken ct = default)
    {
        var view = await ReadAsync(gameId, ct);
        if (view.Phase == GamePhase.Resolved || view.ToMove != Role) return null;
        var move = Solver.NextMove(view, Role, me);
        if (move is null) return null;
        await GameMoveMessages.SendAsync(move, gameId, view.Turn, view.Posted, new Sink(game, ct));
        return move;
    }

    private sealed class Sink(DisputeGameService game, CancellationToken ct) : IGameMessageSink
    {
        public Task SendAsync<TFunction>(TFunction message) where TFunction : FunctionMessage, new() => game.SendAsync(message, ct);
    }
}
