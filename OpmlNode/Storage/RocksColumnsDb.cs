using RocksDbSharp;

namespace OpmlNode.Storage;

/// <summary>
/// The node's database on RocksDB: one column family per <see cref="DbColumn"/> (named by <see cref="DbNames"/>),
/// column families found on disk that this version does not know are opened and kept untouched. Thread safe.
/// Every call into RocksDB is counted, so <see cref="Dispose"/> racing other calls never frees the native database
/// under them: calls started after it throw <see cref="ObjectDisposedException"/>, and the database closes when the
/// last running call, or the last open iteration's enumerator, finishes.
/// </summary>
public sealed class RocksColumnsDb : IColumnsDb<DbColumn>
{
    /// <summary>Per column family write buffer (memtable): small, the node's write rate is low.</summary>
    private const ulong WriteBufferBytes = 16UL << 20;

    /// <summary>
    /// A column family written rarely pins old WAL files until its memtable flushes; capping the total WAL forces
    /// those flushes, bounding WAL size and replay time after a crash.
    /// </summary>
    private const ulong MaxTotalWalBytes = 64UL << 20;

    private readonly RocksDb _db;
    private readonly string _path;
    private readonly WriteOptions _writeOptions;
    private readonly ColumnFamilyHandle[] _handles;
    private readonly RocksColumn[] _columns;
    private readonly ReadOptions _readOptions = new();
    private int _users; // calls and iterations inside RocksDB right now
    private int _disposed, _closed;

    // Kept referenced for the database's lifetime: the native side points into them.
    private readonly DbOptions _dbOptions;
    private readonly ColumnFamilyOptions _cfOptions;
    private readonly BlockBasedTableOptions _tableOptions;
    private readonly Cache? _cache;

    private RocksColumnsDb(string path, RocksDb db, DbOptions dbOptions, ColumnFamilyOptions cfOptions,
        BlockBasedTableOptions tableOptions, Cache? cache, bool syncWrites, IReadOnlyList<string> columnFamilies)
    {
        _path = path;
        _db = db;
        _dbOptions = dbOptions;
        _cfOptions = cfOptions;
        _tableOptions = tableOptions;
        _cache = cache;
        _writeOptions = new WriteOptions().SetSync(syncWrites);
        ColumnFamilies = columnFamilies;
        _handles = new ColumnFamilyHandle[DbNames.All.Count];
        _columns = new RocksColumn[DbNames.All.Count];
        foreach (var column in DbNames.All)
        {
            _handles[(int)column] = db.GetColumnFamily(DbNames.Of(column));
            _columns[(int)column] = new RocksColumn(this, _handles[(int)column]);
        }
    }

    /// <summary>Absolute path of the database directory.</summary>
    public string Path => _path;

    /// <summary>Every column family open, the node's and unknown ones found on disk (RocksDB's "default" included).</summary>
    public IReadOnlyList<string> ColumnFamilies { get; }

    /// <summary>
    /// Opens the database at <paramref name="options"/>.Path, creating the directory, the database and missing column
    /// families as needed, and checks the schema version (writing it into a new database).
    /// </summary>
    /// <exception cref="StorageException">invalid options, the path is a file, the directory is not writable, another
    /// process holds the database, the files are damaged, or the schema version differs; the message says which.</exception>
    public static RocksColumnsDb Open(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string path;
        try
        {
            path = System.IO.Path.GetFullPath(options.Path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new StorageException(StorageErrorKind.InvalidOptions, $"storage: Path '{options.Path}' is not a valid path: {e.Message}", e);
        }
        PrepareDirectory(path);

        var cache = options.BlockCacheBytes > 0 ? Cache.CreateLru((ulong)options.BlockCacheBytes) : null;
        var tableOptions = new BlockBasedTableOptions()
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false)); // ~1% false positives: cheap "absent" answers for Has/Get of Merkle nodes
        tableOptions = cache is null
            ? tableOptions.SetNoBlockCache(true) // RocksDB then keeps index and filter blocks in table-reader memory
            : tableOptions.SetBlockCache(cache)
                .SetCacheIndexAndFilterBlocks(true) // index and filter memory counts against the cache, so the cache bounds memory
                .SetPinL0FilterAndIndexBlocksInCache(true);
        var cfOptions = new ColumnFamilyOptions()
            .SetBlockBasedTableFactory(tableOptions)
            .SetWriteBufferSize(WriteBufferBytes)
            .SetLevelCompactionDynamicLevelBytes(true);
        var dbOptions = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            .SetParanoidChecks(true)
            .SetMaxTotalWalSize(MaxTotalWalBytes)
            .SetKeepLogFileNum(5)
            .SetMaxLogFileSize(4UL << 20);

        var names = new List<string> { ColumnFamiliesDefaultName };
        names.AddRange(DbNames.All.Select(DbNames.Of));
        if (RocksDb.TryListColumnFamilies(dbOptions, path, out var existing))
            names.AddRange(existing.Where(n => !names.Contains(n, StringComparer.Ordinal)));
        var families = new ColumnFamilies(cfOptions);
        foreach (var name in names.Where(n => n != ColumnFamiliesDefaultName)) families.Add(name, cfOptions);

        RocksDb db;
        try
        {
            db = RocksDb.Open(dbOptions, path, families);
        }
        catch (RocksDbSharpException e)
        {
            throw Translate(e, path, "open");
        }

        var result = new RocksColumnsDb(path, db, dbOptions, cfOptions, tableOptions, cache, options.SyncWrites, names);
        try
        {
            DbSchema.CheckOrInitialise(result, path);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    private const string ColumnFamiliesDefaultName = "default";

    /// <summary>
    /// Writes one entry into column family <paramref name="name"/> of the (closed) database at <paramref name="path"/>,
    /// creating the family: how another opml-node version's extra column looks to this one. For tests and tooling;
    /// keeps RocksDB types inside this folder.
    /// </summary>
    internal static void WriteRawColumnFamily(string path, string name, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var options = new DbOptions().SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true);
        var families = new ColumnFamilies(new ColumnFamilyOptions());
        if (RocksDb.TryListColumnFamilies(options, path, out var existing))
            foreach (var n in existing.Where(n => n != ColumnFamiliesDefaultName)) families.Add(n, new ColumnFamilyOptions());
        if (!families.Names.Contains(name)) families.Add(name, new ColumnFamilyOptions());
        using var db = RocksDb.Open(options, path, families);
        db.Put(key, value, db.GetColumnFamily(name), new WriteOptions().SetSync(true));
    }

    /// <summary>Reads one entry of any column family of the (closed) database at <paramref name="path"/>, read-only.</summary>
    internal static byte[]? ReadRawColumnFamily(string path, string name, ReadOnlySpan<byte> key)
    {
        var options = new DbOptions();
        var families = new ColumnFamilies(new ColumnFamilyOptions());
        foreach (var n in RocksDb.ListColumnFamilies(options, path).Where(n => n != ColumnFamiliesDefaultName)) families.Add(n, new ColumnFamilyOptions());
        using var db = RocksDb.OpenReadOnly(options, path, families, false);
        return db.Get(key, db.GetColumnFamily(name));
    }

    public IKeyValueStore GetColumn(DbColumn column)
    {
        _ = DbNames.Of(column);
        ThrowIfDisposed();
        return _columns[(int)column];
    }

    public IWriteBatch<DbColumn> StartWriteBatch()
    {
        ThrowIfDisposed();
        return new RocksWriteBatch(this);
    }

    public void Flush()
    {
        Enter();
        try
        {
            var flush = new FlushOptions().SetWaitForFlush(true);
            var handles = _handles.Select(h => h.Handle).ToArray();
            Native.Instance.rocksdb_flush_cfs(_db.Handle, flush.Handle, handles, handles.Length);
            Native.Instance.rocksdb_flush_wal(_db.Handle, 1);
            GC.KeepAlive(flush);
        }
        catch (RocksDbSharpException e)
        {
            throw Translate(e, _path, "flush");
        }
        finally
        {
            Exit();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // The exchange is a full fence: a call that entered before it is counted here, one entering after sees _disposed.
        if (Volatile.Read(ref _users) == 0) Close();
    }

    /// <summary>Marks a call into RocksDB; pair with <see cref="Exit"/> in a finally.</summary>
    private void Enter()
    {
        Interlocked.Increment(ref _users);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Exit();
            throw new ObjectDisposedException(nameof(RocksColumnsDb));
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _users) == 0 && Volatile.Read(ref _disposed) != 0) Close();
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _db.Dispose();
        GC.KeepAlive(_readOptions);
        GC.KeepAlive(_dbOptions);
        GC.KeepAlive(_cfOptions);
        GC.KeepAlive(_tableOptions);
        GC.KeepAlive(_cache);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private static void PrepareDirectory(string path)
    {
        if (File.Exists(path))
            throw new StorageException(StorageErrorKind.PathIsFile,
                $"storage: {path} is a file, not a directory; set Path to a directory for the node's database (it is created when missing)");
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException(StorageErrorKind.NotWritable, $"storage: cannot create the database directory {path}: {e.Message}", e);
        }
        // RocksDB would also fail, but deep inside with a less direct message; a probe file says it plainly.
        string probe = System.IO.Path.Combine(path, ".opml-node-write-probe");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException(StorageErrorKind.NotWritable, $"storage: the database directory {path} is not writable: {e.Message}", e);
        }
    }

    /// <summary>Turns a RocksDB error into a <see cref="StorageException"/> with a plain message (RocksDB's text kept at the end).</summary>
    internal static StorageException Translate(RocksDbSharpException e, string path, string action)
    {
        string m = e.Message;
        if (m.Contains("/LOCK", StringComparison.Ordinal) && m.Contains("lock", StringComparison.OrdinalIgnoreCase))
            return new StorageException(StorageErrorKind.Locked,
                $"storage: the database at {path} is locked: another opml-node (or another open handle in this process) is using it; stop that node or give this one its own storage path (RocksDB: {m})", e);
        if (m.StartsWith("Corruption", StringComparison.Ordinal) || m.Contains("Corruption:", StringComparison.Ordinal))
            return new StorageException(StorageErrorKind.Corrupted,
                $"storage: the database at {path} is damaged and cannot be opened; restore it from a backup or start from a fresh directory (RocksDB: {m})", e);
        if (m.StartsWith("Invalid argument", StringComparison.Ordinal) || m.StartsWith("Not implemented", StringComparison.Ordinal))
            return new StorageException(StorageErrorKind.Corrupted,
                $"storage: the database at {path} is incompatible with this opml-node (RocksDB refused it on {action}) (RocksDB: {m})", e);
        if (m.Contains("Permission denied", StringComparison.Ordinal) || m.Contains("Read-only file system", StringComparison.Ordinal))
            return new StorageException(StorageErrorKind.NotWritable, $"storage: the database at {path} is not writable (RocksDB: {m})", e);
        return new StorageException(StorageErrorKind.Io, $"storage: RocksDB failed to {action} the database at {path} (RocksDB: {m})", e);
    }

    private sealed class RocksColumn(RocksColumnsDb owner, ColumnFamilyHandle handle) : IKeyValueStore
    {
        public byte[]? Get(ReadOnlySpan<byte> key)
        {
            owner.Enter();
            try
            {
                return owner._db.Get(key, handle, owner._readOptions);
            }
            catch (RocksDbSharpException e)
            {
                throw Translate(e, owner._path, "read");
            }
            finally
            {
                owner.Exit();
            }
        }

        public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int length) => ReadPinned(key, destination, copy: true, out length);

        public bool Has(ReadOnlySpan<byte> key) => ReadPinned(key, [], copy: false, out _);

        // rocksdb_get_pinned_cf: the value is read in place (block cache or memtable), copied only into the caller's buffer.
        private unsafe bool ReadPinned(ReadOnlySpan<byte> key, Span<byte> destination, bool copy, out int length)
        {
            owner.Enter();
            try
            {
                ReadOnlySpan<byte> keyBytes = key.IsEmpty ? stackalloc byte[1] : key; // never a null pointer, even for the empty key
                IntPtr slice;
                fixed (byte* k = keyBytes)
                    slice = Native.Instance.rocksdb_get_pinned_cf(owner._db.Handle, owner._readOptions.Handle, handle.Handle, k, (UIntPtr)key.Length);
                if (slice == IntPtr.Zero)
                {
                    length = 0;
                    return false;
                }
                try
                {
                    IntPtr value = Native.Instance.rocksdb_pinnableslice_value(slice, out UIntPtr size);
                    length = checked((int)(ulong)size);
                    if (copy)
                    {
                        if (length > destination.Length)
                            throw new ArgumentException($"the value is {length} bytes but the buffer holds {destination.Length}", nameof(destination));
                        new ReadOnlySpan<byte>((void*)value, length).CopyTo(destination);
                    }
                    return true;
                }
                finally
                {
                    Native.Instance.rocksdb_pinnableslice_destroy(slice);
                }
            }
            catch (RocksDbSharpException e)
            {
                throw Translate(e, owner._path, "read");
            }
            finally
            {
                owner.Exit();
            }
        }

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            owner.Enter();
            try
            {
                owner._db.Put(key, value, handle, owner._writeOptions);
            }
            catch (RocksDbSharpException e)
            {
                throw Translate(e, owner._path, "write");
            }
            finally
            {
                owner.Exit();
            }
        }

        public void Delete(ReadOnlySpan<byte> key)
        {
            owner.Enter();
            try
            {
                owner._db.Remove(key, handle, owner._writeOptions);
            }
            catch (RocksDbSharpException e)
            {
                throw Translate(e, owner._path, "write");
            }
            finally
            {
                owner.Exit();
            }
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Iterate(ReadOnlySpan<byte> prefix) =>
            Scan(prefix.ToArray(), Keys.PrefixSuccessor(prefix), prefix.ToArray());

        public IEnumerable<KeyValuePair<byte[], byte[]>> IterateRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end) =>
            Scan(start.ToArray(), end.IsEmpty ? null : end.ToArray(), null);

        private IEnumerable<KeyValuePair<byte[], byte[]>> Scan(byte[] start, byte[]? endExclusive, byte[]? prefix)
        {
            if (endExclusive is not null && BytewiseComparer.Instance.Compare(start, endExclusive) >= 0) yield break;
            owner.Enter(); // held until the enumerator is disposed: the native iterator needs the database open
            try
            {
                // The bounds let RocksDB stop at the range's end instead of reading past it (and skip tombstones there).
                var read = new ReadOptions();
                if (start.Length > 0) read.SetIterateLowerBound(start);
                if (endExclusive is not null) read.SetIterateUpperBound(endExclusive);
                using var it = owner._db.NewIterator(handle, read);
                for (it.Seek(start); it.Valid(); it.Next())
                {
                    var key = it.Key();
                    if (prefix is not null && !key.AsSpan().StartsWith(prefix)) yield break;
                    yield return new(key, it.Value());
                }
                GC.KeepAlive(read);
            }
            finally
            {
                owner.Exit();
            }
        }
    }

    private sealed class RocksWriteBatch(RocksColumnsDb owner) : IWriteBatch<DbColumn>
    {
        private readonly WriteBatch _batch = new();
        private bool _done;

        public int Count { get; private set; }

        public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            var handle = Check(column);
            _batch.Put(key, value, handle);
            Count++;
        }

        public void Delete(DbColumn column, ReadOnlySpan<byte> key)
        {
            var handle = Check(column);
            _batch.Delete(key, handle);
            Count++;
        }

        public IKeyValueWriter Column(DbColumn column)
        {
            Check(column);
            return new BatchColumnWriter<DbColumn>(this, column);
        }

        public void Commit()
        {
            Check(DbColumn.Metadata);
            try
            {
                owner.Enter();
                try
                {
                    owner._db.Write(_batch, owner._writeOptions);
                }
                finally
                {
                    owner.Exit();
                }
            }
            catch (RocksDbSharpException e)
            {
                throw Translate(e, owner._path, "write");
            }
            finally
            {
                Dispose();
            }
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _batch.Dispose();
        }

        private ColumnFamilyHandle Check(DbColumn column)
        {
            _ = DbNames.Of(column);
            if (_done) throw new InvalidOperationException("this write batch was already committed or disposed; start a new one");
            owner.ThrowIfDisposed();
            return owner._handles[(int)column];
        }
    }
}
