using System.Text.Json;
using OpmlNode.Storage;

namespace OpmlNode.Hosting;

/// <summary>A task as the node follows it (from TaskRequested, then the submissions and games seen).</summary>
public sealed record TaskRecord(ulong TaskId, ulong ModelId, uint Passes, string InputHex, string InputRoot)
{
    /// <summary>Submissions of this task seen on chain (submission id → submitter, final root, output root).</summary>
    public List<SubmissionRecord> Submissions { get; init; } = [];
    public bool Finalized { get; init; }
}

public sealed record SubmissionRecord(ulong SubmissionId, string Submitter, string FinalRoot, string OutputRoot, ulong ChallengeDeadline)
{
    public bool Rejected { get; init; }
}

/// <summary>A game the node takes part in.</summary>
public sealed record GameRecord(ulong GameId, ulong TaskId, ulong SubmissionId, string Submitter, string Challenger)
{
    public bool Over { get; init; }
    /// <summary>Whether this node won (null: not resolved, or cancelled).</summary>
    public bool? Won { get; init; }
    /// <summary>Game moves this node has sent (for --silent-after-move).</summary>
    public int MovesSent { get; init; }
}

/// <summary>
/// The node's records in the storage port (JSON values, big-endian integer keys): the watcher's cursor, tasks,
/// games, and the transactions this node signed (<see cref="PendingTransaction"/>), so a restarted node resumes from
/// its database and the chain and never signs the same action twice.
/// </summary>
public sealed class NodeStore(IColumnsDb<DbColumn> db)
{
    private static readonly byte[] CursorKey = "block"u8.ToArray();
    private static readonly byte[] GenesisKey = "genesis"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public IColumnsDb<DbColumn> Db { get; } = db;

    /// <summary>The last block whose events were applied, or null before the first.</summary>
    public ulong? Cursor
    {
        get => Db.GetColumn(DbColumn.Cursor).Get(CursorKey) is { } v ? Keys.ReadU64(v) : null;
    }

    /// <summary>The hash of block 0 of the chain these records are of (null until the first start).</summary>
    public string? Genesis
    {
        get => Db.GetColumn(DbColumn.Cursor).Get(GenesisKey) is { } v ? System.Text.Encoding.ASCII.GetString(v) : null;
        set => Db.GetColumn(DbColumn.Cursor).Put(GenesisKey, System.Text.Encoding.ASCII.GetBytes(value ?? throw new ArgumentNullException(nameof(value))));
    }

    /// <summary>
    /// Applies the records of blocks [<paramref name="fromBlock"/>, <paramref name="toBlock"/>] and moves the cursor, in one
    /// atomic batch, together with the range's undo entry: the hash of its last block and the previous value of every record
    /// it changed, so a reorganisation that replaces these blocks can be undone (<see cref="UndoAfter"/>).
    /// </summary>
    public void Commit(ulong fromBlock, ulong toBlock, string toBlockHash, IEnumerable<TaskRecord> tasks, IEnumerable<GameRecord> games)
    {
        var undo = new AppliedRange(fromBlock, toBlock, toBlockHash, []);
        using var b = Db.StartWriteBatch();
        foreach (var t in tasks)
        {
            var key = Keys.U64(t.TaskId);
            undo.Previous.Add(new PreviousValue(DbColumn.Tasks, Convert.ToHexString(key), Db.GetColumn(DbColumn.Tasks).Get(key) is { } old ? Convert.ToHexString(old) : null));
            b.Put(DbColumn.Tasks, key, JsonSerializer.SerializeToUtf8Bytes(t, Json));
        }
        foreach (var g in games)
        {
            var key = Keys.U64(g.GameId);
            undo.Previous.Add(new PreviousValue(DbColumn.Games, Convert.ToHexString(key), Db.GetColumn(DbColumn.Games).Get(key) is { } old ? Convert.ToHexString(old) : null));
            b.Put(DbColumn.Games, key, JsonSerializer.SerializeToUtf8Bytes(g, Json));
        }
        b.Put(DbColumn.Cursor, RangeKey(toBlock), JsonSerializer.SerializeToUtf8Bytes(undo, Json));
        b.Put(DbColumn.Cursor, CursorKey, Keys.U64(toBlock));
        Faults.CrashPoint.Hit("db-batch"); // the batch built, not written: none of it may be seen after a restart
        b.Commit();
    }

    /// <summary>The applied ranges, newest first (each with the hash its last block had when it was applied).</summary>
    public IEnumerable<AppliedRange> Ranges() =>
        Db.GetColumn(DbColumn.Cursor).Iterate(RangePrefix).Select(kv => JsonSerializer.Deserialize<AppliedRange>(kv.Value, Json)!).Reverse().ToList();

    /// <summary>
    /// Undoes every applied range whose last block is after <paramref name="forkBlock"/> (newest first), restoring the
    /// records they changed, and moves the cursor back to just before the first undone range. Returns the ranges undone.
    /// </summary>
    public int UndoAfter(long forkBlock)
    {
        var undone = Ranges().Where(r => (long)r.To > forkBlock).ToList();
        if (undone.Count == 0) return 0;
        using var b = Db.StartWriteBatch();
        foreach (var r in undone)
        {
            foreach (var p in Enumerable.Reverse(r.Previous))
            {
                var key = Convert.FromHexString(p.Key);
                if (p.OldValue is null) b.Delete(p.Column, key);
                else b.Put(p.Column, key, Convert.FromHexString(p.OldValue));
            }
            b.Delete(DbColumn.Cursor, RangeKey(r.To));
        }
        var first = undone[^1].From;
        if (first == 0) b.Delete(DbColumn.Cursor, CursorKey);
        else b.Put(DbColumn.Cursor, CursorKey, Keys.U64(first - 1));
        b.Commit();
        return undone.Count;
    }

    /// <summary>
    /// Forgets undo entries older than the newest <paramref name="keep"/> (deeper reorganisations are not handled) and
    /// returns the ids of the tasks those entries changed: what they record can no longer be undone.
    /// </summary>
    public IReadOnlyList<ulong> Prune(int keep)
    {
        var tasks = new List<ulong>();
        foreach (var r in Ranges().Skip(keep))
        {
            Db.GetColumn(DbColumn.Cursor).Delete(RangeKey(r.To));
            tasks.AddRange(r.Previous.Where(p => p.Column == DbColumn.Tasks).Select(p => Keys.ReadU64(Convert.FromHexString(p.Key))));
        }
        return tasks.Distinct().ToList();
    }

    private static readonly byte[] RangePrefix = "range:"u8.ToArray();
    private static byte[] RangeKey(ulong to) => [.. RangePrefix, .. Keys.U64(to)];

    public TaskRecord? Task(ulong id) => Read<TaskRecord>(DbColumn.Tasks, Keys.U64(id));
    public GameRecord? Game(ulong id) => Read<GameRecord>(DbColumn.Games, Keys.U64(id));
    public IEnumerable<TaskRecord> Tasks() => All<TaskRecord>(DbColumn.Tasks);
    public IEnumerable<GameRecord> Games() => All<GameRecord>(DbColumn.Games);
    public void Put(GameRecord g) => Db.GetColumn(DbColumn.Games).Put(Keys.U64(g.GameId), JsonSerializer.SerializeToUtf8Bytes(g, Json));
    public void Put(TaskRecord t) => Db.GetColumn(DbColumn.Tasks).Put(Keys.U64(t.TaskId), JsonSerializer.SerializeToUtf8Bytes(t, Json));

    public PendingTransaction? Transaction(string action) => Read<PendingTransaction>(DbColumn.PendingTransactions, System.Text.Encoding.UTF8.GetBytes(action));
    public void Put(PendingTransaction tx) =>
        Db.GetColumn(DbColumn.PendingTransactions).Put(System.Text.Encoding.UTF8.GetBytes(tx.Action), JsonSerializer.SerializeToUtf8Bytes(tx, Json));
    public void Delete(PendingTransaction tx) => Db.GetColumn(DbColumn.PendingTransactions).Delete(System.Text.Encoding.UTF8.GetBytes(tx.Action));
    public IEnumerable<PendingTransaction> Transactions() => All<PendingTransaction>(DbColumn.PendingTransactions);

    private T? Read<T>(DbColumn c, byte[] key) where T : class =>
        Db.GetColumn(c).Get(key) is { } v ? JsonSerializer.Deserialize<T>(v, Json) : null;

    private IEnumerable<T> All<T>(DbColumn c) where T : class =>
        Db.GetColumn(c).Iterate([]).Select(kv => JsonSerializer.Deserialize<T>(kv.Value, Json)!).ToList();
}

/// <summary>One applied block range: its bounds, its last block's hash, and the previous values of the records it changed.</summary>
public sealed record AppliedRange(ulong From, ulong To, string ToHash, List<PreviousValue> Previous);

/// <summary>A record's value before a range changed it (null: it did not exist).</summary>
public sealed record PreviousValue(DbColumn Column, string Key, string? OldValue);

/// <summary>
/// A transaction this node signed for one action (e.g. <c>game:3:turn:7</c>): its raw bytes and hash are stored before
/// it is broadcast, so after a restart the node re-broadcasts the same bytes (same nonce, same hash) instead of signing a
/// second transaction for the same action. A transaction the chain leaves unmined is replaced by one of the same nonce
/// and higher fees: <see cref="Hash"/> and <see cref="Raw"/> are the newest candidate (or, once mined, the one mined),
/// <see cref="Replaced"/> the others. Any one of them may be the one mined; the nonce lets at most one be.
/// </summary>
public sealed record PendingTransaction(string Action, string Hash, string Raw, ulong Nonce)
{
    /// <summary>1 mined ok, 0 mined reverted, null not yet known.</summary>
    public int? Status { get; init; }

    /// <summary>The block it was mined in (null: not yet known), to find the transactions a reorganisation removed.</summary>
    public ulong? Block { get; init; }

    /// <summary>That block's hash: a different block at that height means a reorganisation removed this transaction.</summary>
    public string? BlockHash { get; init; }

    /// <summary>The other signed candidates of this nonce (earlier, cheaper ones; or, once mined, those not mined).</summary>
    public IReadOnlyList<TxCandidate> Replaced { get; init; } = [];

    /// <summary>The call, to sign a replacement: recipient, calldata (hex), value and gas limit (decimal wei / gas).</summary>
    public string? To { get; init; }
    public string? Data { get; init; }
    public string? Value { get; init; }
    public string? Gas { get; init; }

    /// <summary>The fees of <see cref="Raw"/> (decimal wei; legacy: <see cref="MaxFeePerGas"/> is the gas price).</summary>
    public string? MaxFeePerGas { get; init; }
    public string? PriorityFeePerGas { get; init; }
    public bool Legacy { get; init; }

    /// <summary>The chain time (unix seconds) by which the action must be mined, if it has one (a game move's clock).</summary>
    public ulong? Deadline { get; init; }

    /// <summary>The contract function called (its binding's name without "Function": Challenge, Choose, Withdraw…).</summary>
    public string? Function { get; init; }

    /// <summary>Every signed candidate, the newest (or mined) last.</summary>
    public IEnumerable<TxCandidate> Candidates() => Replaced.Append(new TxCandidate(Hash, Raw));
}

/// <summary>One signed transaction of a <see cref="PendingTransaction"/>'s nonce.</summary>
public sealed record TxCandidate(string Hash, string Raw);
