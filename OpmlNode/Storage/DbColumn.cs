namespace OpmlNode.Storage;

/// <summary>
/// The node's column families. The on-disk name of each is fixed in <see cref="DbNames"/>, never taken from the
/// member's name, so renaming a member keeps its data.
/// </summary>
public enum DbColumn
{
    /// <summary>Database-wide facts: the schema version (<see cref="DbSchema"/>).</summary>
    Metadata,

    /// <summary>The chain watcher's block cursor: the last block whose events were applied.</summary>
    Cursor,

    /// <summary>Inference tasks seen on chain (request, model, input), by task id.</summary>
    Tasks,

    /// <summary>Results this node computed or observed for a task, by task id.</summary>
    Results,

    /// <summary>Per task: slot roots S_i and native checkpoints, keyed (task id, slot) so a task's slots iterate in order.</summary>
    SlotRoots,

    /// <summary>Content-addressed Merkle interior nodes: keccak256 hash → 64-byte preimage (<see cref="ContentAddressedNodes"/>).</summary>
    MerkleNodes,

    /// <summary>VM checkpoints (machine state snapshots) used to answer bisection steps without replaying from the start.</summary>
    VmCheckpoints,

    /// <summary>Dispute games this node plays or watches, keyed so all games of a task iterate together.</summary>
    Games,

    /// <summary>Transactions signed but not yet confirmed, replayed after a restart.</summary>
    PendingTransactions,
}

/// <summary>Fixed on-disk column family names (Nethermind's DbNames pattern). Never change a string here: it is the data's address.</summary>
public static class DbNames
{
    public const string Metadata = "metadata";
    public const string Cursor = "cursor";
    public const string Tasks = "tasks";
    public const string Results = "results";
    public const string SlotRoots = "slot_roots";
    public const string MerkleNodes = "merkle_nodes";
    public const string VmCheckpoints = "vm_checkpoints";
    public const string Games = "games";
    public const string PendingTransactions = "pending_transactions";

    /// <summary>Every column of <see cref="DbColumn"/>, in declaration order.</summary>
    public static IReadOnlyList<DbColumn> All { get; } = Enum.GetValues<DbColumn>();

    /// <summary>The on-disk name of <paramref name="column"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a value that is not a member of <see cref="DbColumn"/>.</exception>
    public static string Of(DbColumn column) => column switch
    {
        DbColumn.Metadata => Metadata,
        DbColumn.Cursor => Cursor,
        DbColumn.Tasks => Tasks,
        DbColumn.Results => Results,
        DbColumn.SlotRoots => SlotRoots,
        DbColumn.MerkleNodes => MerkleNodes,
        DbColumn.VmCheckpoints => VmCheckpoints,
        DbColumn.Games => Games,
        DbColumn.PendingTransactions => PendingTransactions,
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "not a DbColumn"),
    };
}
