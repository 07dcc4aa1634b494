namespace OpmlNode.Storage;

/// <summary>Reads of one column. Keys are ordered byte-wise (unsigned lexicographic, shorter prefix first).</summary>
public interface IReadOnlyKeyValueStore
{
    /// <summary>The value stored under <paramref name="key"/> (a fresh array the caller owns), or null when absent.</summary>
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>
    /// Copies the value under <paramref name="key"/> into <paramref name="destination"/> without allocating a result.
    /// False when the key is absent. When present, <paramref name="length"/> is the value's length.
    /// </summary>
    /// <exception cref="ArgumentException">the value is longer than <paramref name="destination"/> (the message gives its length).</exception>
    bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int length);

    /// <summary>True when a value (possibly empty) is stored under <paramref name="key"/>.</summary>
    bool Has(ReadOnlySpan<byte> key);

    /// <summary>
    /// All entries whose key starts with <paramref name="prefix"/>, in key order (an empty prefix is the whole column).
    /// The view is a snapshot taken at the first MoveNext: writes made while enumerating are not seen. Dispose the
    /// enumerator (foreach does): on RocksDB an undisposed, unfinished one keeps the database open after its Dispose.
    /// </summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Iterate(ReadOnlySpan<byte> prefix);

    /// <summary>
    /// All entries with <paramref name="start"/> ≤ key &lt; <paramref name="end"/>, in key order; an empty
    /// <paramref name="end"/> means to the end of the column. Same snapshot rule as <see cref="Iterate"/>.
    /// </summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> IterateRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end);
}

/// <summary>Writes to one column, directly or inside a batch.</summary>
public interface IKeyValueWriter
{
    /// <summary>Stores <paramref name="value"/> (copied; empty allowed) under <paramref name="key"/>, replacing any previous value.</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes <paramref name="key"/>; removing an absent key is not an error.</summary>
    void Delete(ReadOnlySpan<byte> key);
}

/// <summary>One column: reads, and writes applied at once (each write is atomic on its own).</summary>
public interface IKeyValueStore : IReadOnlyKeyValueStore, IKeyValueWriter;

/// <summary>
/// Writes to any columns, applied together by <see cref="Commit"/>: after it every write is visible, before it none is.
/// Disposing without committing discards the writes. Writes are applied in the order made (a later put or delete of
/// the same key wins). A batch is not thread safe.
/// </summary>
public interface IWriteBatch<TColumn> : IDisposable
    where TColumn : struct, Enum
{
    /// <summary>Number of puts and deletes queued.</summary>
    int Count { get; }

    void Put(TColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    void Delete(TColumn column, ReadOnlySpan<byte> key);

    /// <summary>A writer for one column that queues into this batch (for code written against <see cref="IKeyValueWriter"/>).</summary>
    IKeyValueWriter Column(TColumn column);

    /// <summary>Applies every queued write atomically. A batch commits once; further use throws.</summary>
    void Commit();
}

/// <summary>A database of columns named by <typeparamref name="TColumn"/> (Nethermind's IColumnsDb pattern). Thread safe.</summary>
public interface IColumnsDb<TColumn> : IDisposable
    where TColumn : struct, Enum
{
    /// <summary>The column's store; the same instance for the database's lifetime.</summary>
    IKeyValueStore GetColumn(TColumn column);

    /// <summary>A batch spanning all columns.</summary>
    IWriteBatch<TColumn> StartWriteBatch();

    /// <summary>Makes every write so far durable (memtables to table files; the write-ahead log synced).</summary>
    void Flush();
}
