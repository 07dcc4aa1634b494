using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// Follows the contracts' events from the persisted cursor: tasks, submissions, rejections, finalizations, and the
/// games this node is in. A block range's records and the new cursor are written in one atomic batch, so a node
/// killed at any moment re-reads exactly the blocks it had not applied. Only blocks buried under the configured number
/// of confirmations are read; a reorganisation that replaces applied blocks anyway is detected by their hashes and undone
/// (records restored from the undo entries, the blocks read again).
/// </summary>
public sealed class ChainWatcherService(NodeContext node, TransactionSender tx, ISystemdNotifier systemd, ILogger<ChainWatcherService> log) : PollingService(node, log)
{
    private const ulong MaxRange = 2_000;

    /// <summary>The wallet balance is read at most this often (seconds).</summary>
    private const int BalanceEverySeconds = 10;

    private long _ticks, _balanceReadAt;

    /// <summary>
    /// The node's main loop: every tick, done or failed, tells systemd's watchdog the node is alive (WATCHDOG=1; the unit's
    /// WatchdogSec restarts a node whose loop hangs). A tick is bounded by the RPC pipeline's timeouts and retries.
    /// </summary>
    protected override void AfterTick(bool ok)
    {
        if (ok) Node.Metrics.LastWatcherTick.Set(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // sd_watchdog_enabled(3): systemd sets WATCHDOG_USEC when the unit has WatchdogSec; ping at a quarter of it.
        if (!systemd.IsEnabled || WatchdogMs is not { } every) return;
        var now = Environment.TickCount64;
        if (_pingedAt != 0 && now - _pingedAt < every / 4) return;
        _pingedAt = now;
        systemd.Notify(new ServiceState("WATCHDOG=1"));
    }

    private long _pingedAt;

    private static readonly long? WatchdogMs =
        long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var us) && us > 0 ? us / 1000 : null;

    protected override async Task TickAsync(CancellationToken ct)
    {
        if (Node.Options.Faults.HangAfterTicks is { } hang && ++_ticks > hang)
        {
            Log.LogWarning("Fault injection: the chain watcher's loop hangs now (after {Ticks} ticks)", hang);
            await Task.Delay(Timeout.Infinite, ct);
        }
        await Node.CheckGenesisAsync(ct); // a chain replaced behind the URL is never acted on
        var head = (ulong)(await Node.Read(() => Node.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), ct)).Value;
        if (await BehindAsync(head, ct)) return;
        await UndoReorganisationAsync(ct);
        Lag(head);
        if (head < (ulong)Node.Options.Confirmations) return;
        ulong safe = head - (ulong)Node.Options.Confirmations;
        ulong from = Node.Store.Cursor is { } c ? c + 1 : 0;
        while (from <= safe && !ct.IsCancellationRequested)
        {
            ulong to = Math.Min(safe, from + MaxRange - 1);
            await ApplyAsync(from, to, ct);
            from = to + 1;
            Lag(head);
        }
        await ReadBalanceAsync(ct);
    }

    private bool _behind;

    /// <summary>
    /// True when the provider's head is below a block this node has already seen (its cursor, or one its transactions were
    /// mined in): the provider lags the chain, or the chain went back. Its answers then would look like a reorganisation
    /// (blocks and games missing), so the tick is skipped — logged once — and this node's transactions above the head are
    /// looked up and broadcast again, which also brings back a chain that went back without them.
    /// </summary>
    private async Task<bool> BehindAsync(ulong head, CancellationToken ct)
    {
        ulong seen = Math.Max(Node.Store.Cursor ?? 0, tx.NewestMinedBlock);
        if (head >= seen)
        {
            if (_behind) Log.LogInformation("The RPC provider's head {Head} has caught up with block {Seen}", head, seen);
            _behind = false;
            return false;
        }
        if (!_behind)
            Log.LogWarning("The RPC provider's head {Head} is behind block {Seen} this node has seen (a lagging provider, or the chain went back); waiting for it", head, seen);
        _behind = true;
        Node.Metrics.HeadLagBlocks.Set((double)head - seen);
        if (tx.NewestMinedBlock > head) await tx.RebroadcastAboveAsync(head, ct);
        return true;
    }

    private void Lag(ulong head) => Node.Metrics.HeadLagBlocks.Set(Node.Store.Cursor is { } c ? (double)head - c : head + 1);

    private async Task ReadBalanceAsync(CancellationToken ct)
    {
        var now = Environment.TickCount64;
        if (_balanceReadAt != 0 && now - _balanceReadAt < BalanceEverySeconds * 1000) return;
        _balanceReadAt = now;
        var balance = await Node.Read(() => Node.Web3.Eth.GetBalance.SendRequestAsync(Node.Address), ct);
        Node.Metrics.Set(Node.Metrics.WalletWei, balance.Value);
        Node.Metrics.Set(Node.Metrics.BondsNeededWei, (Node.Options.Submitter ? Node.SubmitterBond : 0) + (Node.Options.Verifier ? Node.ChallengerBond : 0));
    }

    /// <summary>
    /// Compares the hash of the last applied block with the chain's; if the chain replaced it, walks back to the newest
    /// applied range whose last block is still on the chain and undoes everything after it, so those blocks are read again.
    /// </summary>
    private async Task UndoReorganisationAsync(CancellationToken ct)
    {
        var ranges = Node.Store.Ranges().ToList();
        if (ranges.Count == 0 || await OnChainAsync(ranges[0], ct))
        {
            // Blocks not applied yet can be replaced too: this node's own transactions in them are found by their block hash.
            if (await tx.RemovedBeyondAsync(Node.Store.Cursor, ct) is { } removed)
            {
                Log.LogWarning("Chain reorganisation after block {Fork} removed transactions of this node", removed);
                await tx.RecheckAfterReorganisationAsync(removed, ct);
            }
            return;
        }
        long fork = -1;
        foreach (var r in ranges.Skip(1))
            if (await OnChainAsync(r, ct)) { fork = (long)r.To; break; }
        if (fork < 0 && ranges.Count >= Node.Options.UndoRanges)
            throw new NodeHaltException($"chain reorganisation deeper than the undo window ({Node.Options.UndoRanges} applied ranges, back to block {ranges[^1].From}): " +
                "records older than the window may be stale and cannot be undone; restart with a fresh --data directory to read the chain again from the start " +
                "(or a larger --undo-ranges)");
        int undone = Node.Store.UndoAfter(fork);
        Log.LogWarning("Chain reorganisation: block {Block} was replaced; undid {Ranges} applied ranges after block {Fork} and will read them again", ranges[0].To, undone, fork);
        await tx.RecheckAfterReorganisationAsync(fork, ct);
    }

    private async Task<bool> OnChainAsync(AppliedRange r, CancellationToken ct) =>
        string.Equals(await HashOfAsync(r.To, ct) ?? throw new InvalidOperationException($"the RPC provider does not know block {r.To} (it lags the chain)"),
            r.ToHash, StringComparison.OrdinalIgnoreCase);

    private async Task<string?> HashOfAsync(ulong number, CancellationToken ct) =>
        (await Node.Read(() => Node.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(number)), ct))?.BlockHash;

    private async Task ApplyAsync(ulong from, ulong to, CancellationToken ct)
    {
        // The range's last block is read before and after its logs: if it changed in between, a reorganisation is under
        // way and the range is read again on the next tick.
        var toHash = await HashOfAsync(to, ct) ?? throw new InvalidOperationException($"block {to} vanished");
        var tasks = new Dictionary<ulong, TaskRecord>();
        var games = new Dictionary<ulong, GameRecord>();
        TaskRecord? T(ulong id) => tasks.TryGetValue(id, out var t) ? t : Node.Store.Task(id);
        GameRecord? G(ulong id) => games.TryGetValue(id, out var g) ? g : Node.Store.Game(id);

        foreach (var e in await Logs<TaskRequestedEvent>(Node.Deployment.Tasks, from, to, ct))
        {
            ulong id = (ulong)e.Event.TaskId, model = (ulong)e.Event.ModelId;
            if (!Node.Models.ContainsKey(model))
            {
                Log.LogInformation("Skipping task {TaskId}: model {ModelId} is not served by this node", id, model);
                continue;
            }
            tasks[id] = T(id) ?? new TaskRecord(id, model, e.Event.Passes, Convert.ToHexString(e.Event.Input), new Hash256(e.Event.InputRoot).ToString());
            Log.LogInformation("Task {TaskId} requested for model {ModelId} ({Passes} passes)", id, model, e.Event.Passes);
        }
        foreach (var e in await Logs<ResultSubmittedEvent>(Node.Deployment.Tasks, from, to, ct))
        {
            ulong id = (ulong)e.Event.TaskId;
            if (T(id) is not { } t) continue;
            ulong sid = (ulong)e.Event.SubmissionId;
            if (t.Submissions.Any(s => s.SubmissionId == sid)) continue;
            tasks[id] = t with { Submissions = [.. t.Submissions, new SubmissionRecord(sid, e.Event.Submitter, new Hash256(e.Event.FinalRoot).ToString(), new Hash256(e.Event.OutputRoot).ToString(), e.Event.ChallengeDeadline)] };
            Log.LogInformation("Task {TaskId}: submission {SubmissionId} by {Submitter}, S_N {FinalRoot}", id, sid, e.Event.Submitter, new Hash256(e.Event.FinalRoot));
        }
        foreach (var e in await Logs<ChallengedEvent>(Node.Deployment.Tasks, from, to, ct))
        {
            ulong gid = (ulong)e.Event.GameId, id = (ulong)e.Event.TaskId, sid = (ulong)e.Event.SubmissionId;
            if (T(id) is not { } t) continue;
            var sub = t.Submissions.FirstOrDefault(s => s.SubmissionId == sid);
            if (sub is null) continue;
            Log.LogInformation("Task {TaskId}: submission {SubmissionId} challenged by {Challenger} in game {GameId}", id, sid, e.Event.Challenger, gid);
            if ((Node.IsMe(sub.Submitter) || Node.IsMe(e.Event.Challenger)) && G(gid) is null)
                games[gid] = new GameRecord(gid, id, sid, sub.Submitter, e.Event.Challenger);
        }
        foreach (var e in await Logs<SubmissionRejectedEvent>(Node.Deployment.Tasks, from, to, ct))
        {
            ulong id = (ulong)e.Event.TaskId, sid = (ulong)e.Event.SubmissionId;
            if (T(id) is not { } t) continue;
            tasks[id] = t with { Submissions = [.. t.Submissions.Select(s => s.SubmissionId == sid ? s with { Rejected = true } : s)] };
            Log.LogInformation("Task {TaskId}: submission {SubmissionId} rejected by game {GameId}; the task is open again", id, sid, (ulong)e.Event.GameId);
        }
        foreach (var e in await Logs<TaskFinalizedEvent>(Node.Deployment.Tasks, from, to, ct))
        {
            ulong id = (ulong)e.Event.TaskId;
            if (T(id) is not { } t) continue;
            tasks[id] = t with { Finalized = true };
            Log.LogInformation("Task {TaskId} final: submission {SubmissionId} by {Submitter}, output {OutputRoot}", id, (ulong)e.Event.SubmissionId, e.Event.Submitter, new Hash256(e.Event.OutputRoot));
        }
        foreach (var e in await Logs<GameResolvedEvent>(Node.Deployment.Game, from, to, ct))
        {
            ulong gid = (ulong)e.Event.GameId;
            if (G(gid) is not { } g) continue;
            Faults.CrashPoint.Hit("event", "GameResolved"); // the end of one of this node's games seen, not applied
            // The outcome is recorded here too: the player skips games already over, so it may never read this one again.
            var mine = Node.IsMe(g.Submitter) ? Side.Submitter : Side.Challenger;
            games[gid] = g with { Over = true, Won = e.Event.Winner == mine };
            Log.LogInformation("Game {GameId} of task {TaskId} resolved by {How}: {Winner} wins ({WinnerAccount})", gid, g.TaskId, e.Event.How, e.Event.Winner, e.Event.WinnerAccount);
        }
        foreach (var e in await Logs<GameCancelledEvent>(Node.Deployment.Game, from, to, ct))
        {
            ulong gid = (ulong)e.Event.GameId;
            if (G(gid) is { } g) games[gid] = g with { Over = true };
        }
        if (await HashOfAsync(to, ct) != toHash) throw new InvalidOperationException($"block {to} changed while it was read (reorganisation)");
        Node.Store.Commit(from, to, toHash, tasks.Values, games.Values);
        DeleteSettledTraces(Node.Store.Prune(Node.Options.UndoRanges));
    }

    /// <summary>
    /// A final task whose finalisation has left the undo window needs its traces no more: no game of it can start, and
    /// no reorganisation this node handles can bring it back. So its traces are deleted, and the database stays the size
    /// of the tasks in play rather than growing with every task ever seen.
    /// </summary>
    private void DeleteSettledTraces(IReadOnlyList<ulong> beyondUndo)
    {
        foreach (var id in beyondUndo)
        {
            if (Node.Store.Task(id) is not { Finalized: true }) continue;
            int keys = Node.DeleteTrace(id);
            if (keys > 0) Log.LogInformation("Task {TaskId}: final beyond the undo window; its traces were deleted ({Keys} keys)", id, keys);
        }
    }

    /// <summary>The logs keyed by transaction and index that were ignored and logged (each is logged once).</summary>
    private readonly HashSet<string> _ignoredLogs = [];

    /// <summary>
    /// The events of one kind in a block range, read with <c>eth_getLogs</c> and each checked before it is believed: from
    /// the contract asked for, with the event's signature as topic 0, in the range, not removed, and with data that
    /// decode. A provider's answer is input from outside: a log that fails a check is skipped, logged once with the
    /// reason and counted, never a tick that fails forever on it (which would stop this node following the chain).
    /// </summary>
    private async Task<List<EventLog<T>>> Logs<T>(string address, ulong from, ulong to, CancellationToken ct) where T : IEventDTO, new()
    {
        var ev = Node.Web3.Eth.GetEvent<T>(address);
        var filter = ev.CreateFilterInput(new BlockParameter(from), new BlockParameter(to));
        var logs = await Node.Read(() => Node.Web3.Eth.Filters.GetLogs.SendRequestAsync(filter), ct) ?? [];
        var check = new LogCheck<T>(address);
        var decoded = new List<EventLog<T>>(logs.Length);
        foreach (var l in logs)
        {
            var reason = check.Check(l, from, to, out var e);
            if (reason is null) { decoded.Add(e!); continue; }
            if (!_ignoredLogs.Add($"{l.TransactionHash}:{l.LogIndex?.Value}:{typeof(T).Name}")) continue;
            Node.Metrics.ChainLogsIgnored.WithLabels(reason).Inc();
            Log.LogError("Ignoring a {Event} log of transaction {TxHash} (block {Block}, index {LogIndex}) from the RPC provider: {Reason}",
                typeof(T).Name.Replace("Event", ""), l.TransactionHash, l.BlockNumber?.Value, l.LogIndex?.Value,
                reason == "undecodable" ? "its data do not decode as the event" : "not the contract, event or block range asked for");
        }
        return decoded;
    }
}
