namespace OpmlNode.Storage;

/// <summary>How to open the node's RocksDB database.</summary>
public sealed record StorageOptions
{
    /// <summary>Default block cache: 64 MiB, enough for the hot Merkle nodes and task index of one node.</summary>
    public const long DefaultBlockCacheBytes = 64L << 20;

    /// <summary>Largest accepted block cache (64 GiB): anything above is almost certainly a unit mistake.</summary>
    public const long MaxBlockCacheBytes = 64L << 30;

    /// <summary>Directory of the database; created when missing.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// fsync the write-ahead log on every write or batch commit. Off: a write survives a process crash (it is in the
    /// OS page cache) but the last writes may be lost on power loss or a kernel crash. On: each commit survives both,
    /// at the cost of one fsync per commit.
    /// </summary>
    public bool SyncWrites { get; init; }

    /// <summary>Shared LRU block cache for all columns, in bytes; 0 disables the block cache.</summary>
    public long BlockCacheBytes { get; init; } = DefaultBlockCacheBytes;

    /// <summary>Throws <see cref="StorageException"/> (<see cref="StorageErrorKind.InvalidOptions"/>) naming the bad field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw Invalid("storage: Path is empty; set it to the directory that holds (or will hold) the node's database");
        if (Path.IndexOf('\0') >= 0)
            throw Invalid("storage: Path contains a NUL character");
        if (BlockCacheBytes < 0)
            throw Invalid($"storage: BlockCacheBytes must be 0 (no cache) or positive, got {BlockCacheBytes}");
        if (BlockCacheBytes > MaxBlockCacheBytes)
            throw Invalid($"storage: BlockCacheBytes {BlockCacheBytes} exceeds the {MaxBlockCacheBytes}-byte (64 GiB) limit; is the unit bytes?");
    }

    private static StorageException Invalid(string message) => new(StorageErrorKind.InvalidOptions, message);
}
