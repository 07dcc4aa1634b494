namespace OpmlNode.Storage;

/// <summary>
/// The in-memory twin of <see cref="RocksColumnsDb"/> (Nethermind's MemDb pattern), for tests and dry runs: the same
/// ordering (byte-wise), snapshot iteration, copy-in/copy-out values and atomic batches, nothing on disk. Thread safe:
/// one lock guards all columns, so a committed batch appears in every column at once.
/// </summary>
public sealed class MemColumnsDb : IColumnsDb<DbColumn>
{
    private readonly object _gate = new();
    private readonly MemColumn[] _columns;
    private bool _disposed;

    public MemColumnsDb()
    {
        _columns = new MemColumn[DbNames.All.Count];
        foreach (var column in DbNames.All) _columns[(int)column] = new MemColumn(this);
        DbSchema.CheckOrInitialise(this, "memory");
    }

    public IKeyValueStore GetColumn(DbColumn column)
    {
        _ = DbNames.Of(column); // rejects values outside the enum
        ThrowIfDisposed();
        return _columns[(int)column];
    }

    public IWriteBatch<DbColumn> StartWriteBatch()
    {
        ThrowIfDisposed();
        return new MemWriteBatch(this);
    }

    public void Flush() => ThrowIfDisposed();

    public void Dispose()
    {
        lock (_gate) _disposed = true;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private sealed class Entry(byte[] key, byte[] value)
    {
        public byte[] Key { get; } = key;
        public byte[] Value { get; set; } = value;
    }

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry? x, Entry? y) => BytewiseComparer.Instance.Compare(x?.Key, y?.Key);
    }

    private sealed class MemColumn(MemColumnsDb db) : IKeyValueStore
    {
        private readonly SortedSet<Entry> _entries = new(EntryComparer.Instance);

        public byte[]? Get(ReadOnlySpan<byte> key)
        {
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                return Find(key)?.Value.ToArray();
            }
        }

        public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int length)
        {
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                var entry = Find(key);
                if (entry is null)
                {
                    length = 0;
                    return false;
                }
                length = entry.Value.Length;
                if (length > destination.Length)
                    throw new ArgumentException($"the value is {length} bytes but the buffer holds {destination.Length}", nameof(destination));
                entry.Value.CopyTo(destination);
                return true;
            }
        }

        public bool Has(ReadOnlySpan<byte> key)
        {
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                return Find(key) is not null;
            }
        }

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                Set(key.ToArray(), value.ToArray());
            }
        }

        public void Delete(ReadOnlySpan<byte> key)
        {
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                Remove(key.ToArray());
            }
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Iterate(ReadOnlySpan<byte> prefix) =>
            Snapshot(prefix.ToArray(), Keys.PrefixSuccessor(prefix));

        public IEnumerable<KeyValuePair<byte[], byte[]>> IterateRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end) =>
            Snapshot(start.ToArray(), end.IsEmpty ? null : end.ToArray());

        // Callers hold db._gate.
        internal void Set(byte[] key, byte[] value)
        {
            var probe = new Entry(key, value);
            if (_entries.TryGetValue(probe, out var existing)) existing.Value = value;
            else _entries.Add(probe);
        }

        internal void Remove(byte[] key) => _entries.Remove(new Entry(key, []));

        private Entry? Find(ReadOnlySpan<byte> key) =>
            _entries.TryGetValue(new Entry(key.ToArray(), []), out var entry) ? entry : null;

        // Lazy like a RocksDB iterator: the copy is taken at the first MoveNext, then writes no longer show.
        private IEnumerable<KeyValuePair<byte[], byte[]>> Snapshot(byte[] start, byte[]? endExclusive)
        {
            List<KeyValuePair<byte[], byte[]>> copy = [];
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                if (_entries.Count > 0)
                {
                    var lower = new Entry(start, []);
                    var upper = endExclusive is null ? _entries.Max! : new Entry(endExclusive, []);
                    if (EntryComparer.Instance.Compare(lower, upper) <= 0)
                    {
                        foreach (var entry in _entries.GetViewBetween(lower, upper))
                        {
                            if (endExclusive is not null && BytewiseComparer.Instance.Compare(entry.Key, endExclusive) >= 0) break;
                            copy.Add(new(entry.Key.ToArray(), entry.Value.ToArray()));
                        }
                    }
                }
            }
            foreach (var kv in copy) yield return kv;
        }
    }

    private sealed class MemWriteBatch(MemColumnsDb db) : IWriteBatch<DbColumn>
    {
        private readonly List<(DbColumn Column, byte[] Key, byte[]? Value)> _ops = [];
        private bool _done;

        public int Count => _ops.Count;

        public void Put(DbColumn column, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            Check(column);
            _ops.Add((column, key.ToArray(), value.ToArray()));
        }

        public void Delete(DbColumn column, ReadOnlySpan<byte> key)
        {
            Check(column);
            _ops.Add((column, key.ToArray(), null));
        }

        public IKeyValueWriter Column(DbColumn column)
        {
            Check(column);
            return new BatchColumnWriter<DbColumn>(this, column);
        }

        public void Commit()
        {
            Check(DbColumn.Metadata);
            lock (db._gate)
            {
                db.ThrowIfDisposed();
                foreach (var (column, key, value) in _ops)
                {
                    var target = db._columns[(int)column];
                    if (value is null) target.Remove(key);
                    else target.Set(key, value);
                }
            }
            _done = true;
            _ops.Clear();
        }

        public void Dispose()
        {
            _done = true;
            _ops.Clear();
        }

        private void Check(DbColumn column)
        {
            _ = DbNames.Of(column);
            if (_done) throw new InvalidOperationException("this write batch was already committed or disposed; start a new one");
            db.ThrowIfDisposed();
        }
    }
}

/// <summary>One column's view of a batch: its puts and deletes are queued in the batch.</summary>
internal sealed class BatchColumnWriter<TColumn>(IWriteBatch<TColumn> batch, TColumn column) : IKeyValueWriter
    where TColumn : struct, Enum
{
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => batch.Put(column, key, value);

    public void Delete(ReadOnlySpan<byte> key) => batch.Delete(column, key);
}
