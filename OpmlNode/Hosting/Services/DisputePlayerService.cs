using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Faults;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// Plays this node's side of every open game through the solver: reads the game, and when it is this side's turn
/// sends the honest move (per its own traces) naming the turn it answers, at once and never twice. A turn of several
/// transactions (choose then step, or the four after the phase-1 pin) is sent back to back: each one is mined, the game
/// is read again, and the next goes out, so the whole turn takes a few blocks, far inside the floor of E per
/// transaction the contract grants it (PROTOCOL §5.5). A clock with less than one E to spare beyond the transactions
/// still due (<see cref="ClockRules.TransactionsDue"/>) is logged as a warning. When the opponent's clock has run out
/// it claims the timeout.
/// </summary>
public sealed class DisputePlayerService(NodeContext node, TransactionSender tx, ILogger<DisputePlayerService> log) : PollingService(node, log)
{
    /// <summary>The most transactions one turn may need (the submitter's after the phase-1 pin).</summary>
    public const int MaxTransactionsPerTurn = 4;

    /// <summary>A mover whose remaining time is below E per transaction still due plus this many E, less one, is warned
    /// about (a slow node, RPC or chain eats the margin the floors leave): with one transaction due, below 2E.</summary>
    public const int LowClockTransactions = 2;

    private ulong? _extension;

    private double _minClock;

    /// <summary>Per game, the moves this process made after the link and in phase 2 (for the <c>move</c> crash point).</summary>
    private readonly Dictionary<ulong, (int AfterLink, int Phase2)> _movedThisRun = [];
    private readonly Dictionary<string, int> _reverts = []; // reverted moves made again, per action, this run
    private const int MaxMoveReverts = 3;

    /// <summary>The games the provider showed as never started, each warned about once.</summary>
    private readonly HashSet<ulong> _notVisible = [];

    protected override async Task TickAsync(CancellationToken ct)
    {
        _minClock = double.NaN;
        foreach (var g in Node.Store.Games().Where(g => !g.Over))
        {
            var task = Node.Store.Task(g.TaskId);
            if (task is null) continue;
            using var scope = Log.BeginScope(new Dictionary<string, object> { ["TaskId"] = g.TaskId, ["GameId"] = g.GameId });
            await PlayAsync(g, task, ct);
        }
        Node.Metrics.ClockMinSeconds.Set(_minClock);
    }

    /// <summary>This side's time left in a game as read now: to the deadline when it is to move, its banked clock otherwise.</summary>
    private async Task NoteClockAsync(ChainGameView view, Role role, ulong gameId, CancellationToken ct)
    {
        double left = view.ToMove == role
            ? (double)(long)(await Node.Read(() => Node.Game.DeadlineAsync(gameId), ct)) - (long)await Node.NowAsync(ct)
            : role == Role.Submitter ? view.Info.SubmitterClock : view.Info.ChallengerClock;
        _minClock = double.IsNaN(_minClock) ? left : Math.Min(_minClock, left);
    }

    private async Task PlayAsync(GameRecord g, TaskRecord task, CancellationToken ct)
    {
        var role = Node.IsMe(g.Submitter) ? Role.Submitter : Role.Challenger;
        var party = Node.Party(task, lying: role == Role.Submitter
            ? Node.Options.Faults.LieSlot is not null || Node.Options.Faults.LieStep is not null
            : Node.Options.Faults.ChallengeCorrect);
        var player = new ChainGamePlayer(Node.Game, role, party);
        for (int sent = 0; sent <= MaxTransactionsPerTurn; sent++)
        {
            var view = await Node.Read(() => player.ReadAsync(g.GameId, ct), ct);
            if (view.Info.Stage == Stage.None)
            {
                // A game this node saw start reads as never started: the provider answering is behind the chain (a lagging
                // fallback, a node still syncing). Not an end: the game is played once a provider shows it again.
                if (_notVisible.Add(g.GameId))
                    Log.LogWarning("Game {GameId}: the RPC provider shows no such game (it lags the chain); waiting for it", g.GameId);
                return;
            }
            _notVisible.Remove(g.GameId);
            if (view.Phase == GamePhase.Resolved)
            {
                var won = view.Info.Winner == (role == Role.Submitter ? Side.Submitter : Side.Challenger);
                Log.LogInformation("Game {GameId}: over; this node ({Role}) {Outcome}", g.GameId, role, won ? "won" : "lost");
                Node.Store.Put(g with { Over = true, Won = won });
                return;
            }
            if (sent == 0) await NoteClockAsync(view, role, g.GameId, ct);
            if (view.ToMove != role)
            {
                if (sent == 0 && view.ToMove is not null) await ClaimTimeoutAsync(g, view, ct);
                return;
            }
            if (Node.Options.Faults.SilentAfterMove is { } m && g.MovesSent >= m) return;
            var action = $"game:{g.GameId}:turn:{view.Turn}";
            // Still this node's turn after its move was mined and reverted: a reorganisation re-broadcast the opponent's
            // previous move and ours was mined first. The move is made again (same view, same move), else its clock runs out.
            // At most MaxMoveReverts times per turn and run: a move that keeps reverting is a fault, not a race, and must not burn gas each poll.
            if (tx.Sent(action) && !(tx.Reverted(action) && _reverts.GetValueOrDefault(action) < MaxMoveReverts)) return;
            if (tx.Reverted(action)) _reverts[action] = _reverts.GetValueOrDefault(action) + 1;
            CrashPoint.Hit("move", MovePoint(g, view.Info.Stage));
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var move = Node.Metrics.Time("move", () => Solver.NextMove(view, role, party));
            if (move is null) return;
            var computed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            var deadline = await WarnIfLowAsync(g, role, ClockRules.TransactionsDue(view), ct);
            Log.LogInformation("Game {GameId}: {Role} plays {Move} in {Stage} [{Lo}, {Hi}] (turn {Turn}; computed in {MoveSeconds:0.###} s)",
                g.GameId, role, move.GetType().Name.Replace("Move", ""), view.Info.Stage, view.Lo, view.Hi, view.Turn, computed);
            await GameMoveMessages.SendAsync(move, g.GameId, view.Turn, view.Posted, new Sink(tx, action, Node.Deployment.Game, deadline, ct));
            g = g with { MovesSent = g.MovesSent + 1 };
            Node.Store.Put(g);
            var (afterLink, phase2) = _movedThisRun.GetValueOrDefault(g.GameId);
            _movedThisRun[g.GameId] = (afterLink + (view.Info.Stage >= Stage.Final ? 1 : 0), phase2 + (view.Info.Stage == Stage.Steps ? 1 : 0));
        }
    }

    /// <summary>Where a move about to be made is, for the <c>move</c> crash point: <c>phase1</c> (a phase-1 move),
    /// <c>after-link</c> (this process's first move after the link), <c>phase2</c> (a phase-2 move after this
    /// process's first); null elsewhere.</summary>
    private string? MovePoint(GameRecord g, Stage stage)
    {
        if (!CrashPoint.Armed) return null;
        var (afterLink, phase2) = _movedThisRun.GetValueOrDefault(g.GameId);
        return stage switch
        {
            Stage.Slots => "phase1",
            >= Stage.Final and <= Stage.Step when afterLink == 0 => "after-link",
            Stage.Steps when phase2 >= 1 => "phase2",
            _ => null,
        };
    }

    /// <summary>Warns when the mover's time left is below (<paramref name="due"/> + <see cref="LowClockTransactions"/> − 1)·E;
    /// returns the mover's deadline (which steers the fee bumps of the move's transactions).</summary>
    private async Task<ulong> WarnIfLowAsync(GameRecord g, Role role, int due, CancellationToken ct)
    {
        _extension ??= await Node.Read(() => Node.Game.ExtensionAsync(), ct);
        var deadline = await Node.Read(() => Node.Game.DeadlineAsync(g.GameId), ct);
        var now = await Node.NowAsync(ct);
        long left = (long)deadline - (long)now;
        if (left < (due + LowClockTransactions - 1) * (long)_extension.Value)
            Log.LogWarning("Game {GameId}: the {Role}'s clock is low: {Left} s left for {Due} transaction(s) (E = {Extension} s); moving now", g.GameId, role, left, due, _extension.Value);
        return deadline;
    }

    private async Task ClaimTimeoutAsync(GameRecord g, ChainGameView view, CancellationToken ct)
    {
        var deadline = await Node.Read(() => Node.Game.DeadlineAsync(g.GameId), ct);
        if (await Node.NowAsync(ct) <= deadline) return;
        var action = $"game:{g.GameId}:timeout:{view.Turn}";
        if (tx.Sent(action)) return;
        Log.LogWarning("Game {GameId}: the {Opponent}'s clock ran out; claiming the timeout", g.GameId, view.ToMove);
        await tx.SendAsync(action, ContractNames.DisputeGame, Node.Deployment.Game, new TimeoutFunction { GameId = g.GameId, ExpectedTurn = view.Turn }, 0, ct);
    }

    /// <summary>Game calls through the transaction journal, under this turn's action key.</summary>
    private sealed class Sink(TransactionSender tx, string action, string game, ulong deadline, CancellationToken ct) : IGameMessageSink
    {
        public Task SendAsync<TFunction>(TFunction message) where TFunction : FunctionMessage, new() =>
            tx.SendAsync(action, ContractNames.DisputeGame, game, message, 0, ct, deadline, againIfReverted: true);
    }
}
