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
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public IColumnsDb<DbColumn> Db { get; } = db;

    /// <summary>The last block whose events were applied, or null before the first.</summary>
    public ulong? Cursor
    {
        get => Db.GetColumn(DbColumn.Cursor).Get(CursorKey) is { } v ? Keys.ReadU64(v) : null;
    }

    /// <summary>Applies a block range's records and moves the cursor in one atomic batch.</summary>
    public void Commit(ulong toBlock, IEnumerable<TaskRecord> tasks, IEnumerable<GameRecord> games)
    {
        using var b = Db.StartWriteBatch();
        foreach (var t in tasks) b.Put(DbColumn.Tasks, Keys.U64(t.TaskId), JsonSerializer.SerializeToUtf8Bytes(t, Json));
        foreach (var g in games) b.Put(DbColumn.Games, Keys.U64(g.GameId), JsonSerializer.SerializeToUtf8Bytes(g, Json));
        b.Put(DbColumn.Cursor, CursorKey, Keys.U64(toBlock));
        b.Commit();
    }

    public TaskRecord? Task(ulong id) => Read<TaskRecord>(DbColumn.Tasks, Keys.U64(id));
    public GameRecord? Game(ulong id) => Read<GameRecord>(DbColumn.Games, Keys.U64(id));
    public IEnumerable<TaskRecord> Tasks() => All<TaskRecord>(DbColumn.Tasks);
    public IEnumerable<GameRecord> Games() => All<GameRecord>(DbColumn.Games);
    public void Put(GameRecord g) => Db.GetColumn(DbColumn.Games).Put(Keys.U64(g.GameId), JsonSerializer.SerializeToUtf8Bytes(g, Json));
    public void Put(TaskRecord t) => Db.GetColumn(DbColumn.Tasks).Put(Keys.U64(t.TaskId), JsonSerializer.SerializeToUtf8Bytes(t, Json));

    public PendingTransaction? Transaction(string action) => Read<PendingTransaction>(DbColumn.PendingTransactions, System.Text.Encoding.UTF8.GetBytes(action));
    public void Put(PendingTransaction tx) =>
        Db.GetColumn(DbColumn.PendingTransactions).Put(System.Text.Encoding.UTF8.GetBytes(tx.Action), JsonSerializer.SerializeToUtf8Bytes(tx, Json));
    public IEnumerable<PendingTransaction> Transactions() => All<PendingTransaction>(DbColumn.PendingTransactions);

    private T? Read<T>(DbColumn c, byte[] key) where T : class =>
        Db.GetColumn(c).Get(key) is { } v ? JsonSerializer.Deserialize<T>(v, Json) : null;

    private IEnumerable<T> All<T>(DbColumn c) where T : class =>
        Db.GetColumn(c).Iterate([]).Select(kv => JsonSerializer.Deserialize<T>(kv.Value, Json)!).ToList();
}

/// <summary>
/// A transaction this node signed for one action (e.g. <c>game:3:turn:7</c>): its raw bytes and hash are stored before
/// it is broadcast, so after a restart the node re-broadcasts the same bytes (same nonce, same hash) instead of signing a
/// second transaction for the same action.
/// </summary>
public sealed record PendingTransaction(string Action, string Hash, string Raw, ulong Nonce)
{
    /// <summary>1 mined ok, 0 mined reverted, null not yet known.</summary>
    public int? Status { get; init; }
}
