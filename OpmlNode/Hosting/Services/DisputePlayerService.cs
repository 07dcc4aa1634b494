using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// Plays this node's side of every open game through the solver: reads the game, and when it is this side's turn
/// sends the honest move (per its own traces) naming the turn it answers — one transaction per turn, ever. When the
/// opponent's clock has run out it claims the timeout.
/// </summary>
public sealed class DisputePlayerService(NodeContext node, TransactionSender tx, ILogger<DisputePlayerService> log) : PollingService(node, log)
{
    protected override async Task TickAsync(CancellationToken ct)
    {
        foreach (var g in Node.Store.Games().Where(g => !g.Over))
        {
            var task = Node.Store.Task(g.TaskId);
            if (task is null) continue;
            var role = Node.IsMe(g.Submitter) ? Role.Submitter : Role.Challenger;
            var party = Node.Party(task, lying: role == Role.Submitter
                ? Node.Options.Faults.LieSlot is not null || Node.Options.Faults.LieStep is not null
                : Node.Options.Faults.ChallengeCorrect);
            var player = new ChainGamePlayer(Node.Game, role, party);
            var view = await Node.Read(() => player.ReadAsync(g.GameId, ct), ct);
            using var scope = Log.BeginScope(new Dictionary<string, object> { ["TaskId"] = g.TaskId, ["GameId"] = g.GameId });
            if (view.Phase == GamePhase.Resolved) { Node.Store.Put(g with { Over = true }); continue; }
            if (view.ToMove == role)
            {
                if (Node.Options.Faults.SilentAfterMove is { } m && g.MovesSent >= m) continue;
                var action = $"game:{g.GameId}:turn:{view.Turn}";
                if (tx.Sent(action)) continue;
                var move = Solver.NextMove(view, role, party);
                if (move is null) continue;
                Log.LogInformation("Game {GameId}: {Role} plays {Move} in {Stage} [{Lo}, {Hi}] (turn {Turn})", g.GameId, role, move.GetType().Name.Replace("Move", ""), view.Info.Stage, view.Lo, view.Hi, view.Turn);
                await SendAsync(action, move, g.GameId, view.Turn, ct);
                Node.Store.Put(g with { MovesSent = g.MovesSent + 1 });
            }
            else if (view.ToMove is not null)
            {
                var deadline = await Node.Read(() => Node.Game.DeadlineAsync(g.GameId), ct);
                if (await Node.NowAsync(ct) <= deadline) continue;
                var action = $"game:{g.GameId}:timeout:{view.Turn}";
                if (tx.Sent(action)) continue;
                Log.LogWarning("Game {GameId}: the {Opponent}'s clock ran out; claiming the timeout", g.GameId, view.ToMove);
                await tx.SendAsync(action, ContractNames.DisputeGame, Node.Deployment.Game, new TimeoutFunction { GameId = g.GameId, ExpectedTurn = view.Turn }, 0, ct);
            }
        }
    }

    private Task SendAsync(string action, Move move, BigInteger gameId, BigInteger turn, CancellationToken ct) =>
        GameMoveMessages.SendAsync(move, gameId, turn, new Sink(tx, action, Node.Deployment.Game, ct));

    /// <summary>Game calls through the transaction journal, under this turn's action key.</summary>
    private sealed class Sink(TransactionSender tx, string action, string game, CancellationToken ct) : IGameMessageSink
    {
        public Task SendAsync<TFunction>(TFunction message) where TFunction : FunctionMessage, new() =>
            tx.SendAsync(action, ContractNames.DisputeGame, game, message, 0, ct);
    }
}
