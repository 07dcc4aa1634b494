using System.Diagnostics;
using OpmlNode.Storage;

namespace OpmlNode.Tests.Storage;

/// <summary>What only the on-disk implementation has: persistence, crash recovery, the LOCK, refusing bad directories.</summary>
public sealed class RocksColumnsDbTests : IDisposable
{
    private readonly string _dir = TestDbs.NewDirectory();

    public void Dispose() => TestDbs.DeleteDirectory(_dir);

    private RocksColumnsDb Open(bool sync = false) => RocksColumnsDb.Open(new StorageOptions { Path = _dir, SyncWrites = sync, BlockCacheBytes = 1 << 20 });

    [Fact]
    public void DataSurvivesDisposeAndReopen()
    {
        using (var db = Open())
        {
            db.GetColumn(DbColumn.Tasks).Put(Keys.U64(1), [1, 2, 3]);
            using var batch = db.StartWriteBatch();
            batch.Put(DbColumn.Games, Keys.U64U64(1, 0), [4]);
            batch.Put(DbColumn.Cursor, [], Keys.U64(19_000_000));
            batch.Commit();
        }
        using (var db = Open())
        {
            Assert.Equal([1, 2, 3], db.GetColumn(DbColumn.Tasks).Get(Keys.U64(1)));
            Assert.Equal([4], db.GetColumn(DbColumn.Games).Get(Keys.U64U64(1, 0)));
            Assert.Equal(19_000_000UL, Keys.ReadU64(db.GetColumn(DbColumn.Cursor).Get([])));
            Assert.Equal(_dir, db.Path);
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L << 20)]
    [InlineData(StorageOptions.DefaultBlockCacheBytes)]
    public void OpensWithAnyValidBlockCacheSize(long blockCacheBytes)
    {
        using (var db = RocksColumnsDb.Open(new StorageOptions { Path = _dir, BlockCacheBytes = blockCacheBytes, SyncWrites = true }))
        {
            db.GetColumn(DbColumn.Tasks).Put([1], [2]);
            db.Flush(); // reads below go through table files and so through the cache (or none)
        }
        using (var db = RocksColumnsDb.Open(new StorageOptions { Path = _dir, BlockCacheBytes = blockCacheBytes }))
        {
            Assert.Equal([2], db.GetColumn(DbColumn.Tasks).Get([1]));
            Assert.Single(db.GetColumn(DbColumn.Tasks).Iterate([]));
        }
    }

    [Fact]
    public void FlushWritesTableFiles()
    {
        using var db = Open();
        for (ulong i = 0; i < 100; i++) db.GetColumn(DbColumn.MerkleNodes).Put(Keys.U64(i), new byte[64]);
        Assert.Empty(Directory.GetFiles(_dir, "*.sst"));
        db.Flush();
        Assert.NotEmpty(Directory.GetFiles(_dir, "*.sst"));
        Assert.Equal(100, db.GetColumn(DbColumn.MerkleNodes).Iterate([]).Count());
    }

    [Fact]
    public void ASecondOpenInTheSameProcessIsRefusedAsLocked()
    {
        using var first = Open();
        var e = Assert.Throws<StorageException>(() => Open());
        Assert.Equal(StorageErrorKind.Locked, e.Kind);
        Assert.Contains("is locked: another opml-node", e.Message);
        Assert.Contains(_dir, e.Message);
        first.Dispose();
        using var again = Open(); // the lock goes with the handle
    }

    /// <summary>
    /// A real crash: a child process (this test assembly, entered through a startup hook, see
    /// <see cref="KilledProcessChild"/>) writes single puts and batches, reports ready and is SIGKILLed without
    /// disposing anything. While it lives, opening the directory here fails as locked by another process; after the
    /// kill the database opens and holds every write. No table file exists before the reopen, so the data came back
    /// from the write-ahead log. Without SyncWrites this still holds for a process crash (the log is in the OS page
    /// cache); what SyncWrites adds (surviving power loss) is not testable here.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WritesSurviveAKilledProcess(bool syncWrites)
    {
        using var child = KilledProcessChild.Start(_dir, syncWrites);
        try
        {
            string? line = child.ReadLine(TimeSpan.FromSeconds(60));
            Assert.True(line == KilledProcessChild.Ready, $"child said '{line}', stderr: {child.Stderr()}");

            var locked = Assert.Throws<StorageException>(() => Open());
            Assert.Equal(StorageErrorKind.Locked, locked.Kind);
            Assert.Contains("another opml-node", locked.Message);
        }
        finally
        {
            child.Kill();
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.sst"));

        using var db = Open();
        KilledProcessChild.AssertAllWritten(db);
    }

    [Fact]
    public void ASchemaVersionMismatchIsRefused()
    {
        using (var db = Open())
            db.GetColumn(DbColumn.Metadata).Put(DbSchema.VersionKey, DbSchema.EncodeVersion(99));
        for (int attempt = 0; attempt < 2; attempt++) // the refused open released the lock: the same error again, not "locked"
        {
            var e = Assert.Throws<StorageException>(() => Open());
            Assert.Equal(StorageErrorKind.SchemaMismatch, e.Kind);
            Assert.Contains("schema version 99", e.Message);
            Assert.Contains($"uses version {DbSchema.CurrentVersion}", e.Message);
        }
    }

    /// <summary>v1 kept Merkle nodes and VM pages unscoped, v2 listed every page in every VM checkpoint; opening either
    /// drops the traces (derived data) and keeps the rest.</summary>
    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    public void AnOlderDatabaseLosesItsTracesAndKeepsItsRecords(uint version)
    {
        using (var db = Open())
        {
            db.GetColumn(DbColumn.Metadata).Put(DbSchema.VersionKey, DbSchema.EncodeVersion(version));
            foreach (var c in DbSchema.TraceColumns) db.GetColumn(c).Put([1, 2, 3], [4]);
            db.GetColumn(DbColumn.Tasks).Put(Keys.U64(5), [6]);
            db.GetColumn(DbColumn.PendingTransactions).Put([7], [8]);
        }
        using (var db = Open())
        {
            Assert.Equal(DbSchema.EncodeVersion(DbSchema.CurrentVersion), db.GetColumn(DbColumn.Metadata).Get(DbSchema.VersionKey));
            Assert.All(DbSchema.TraceColumns, c => Assert.Empty(db.GetColumn(c).Iterate([])));
            Assert.Equal([6], db.GetColumn(DbColumn.Tasks).Get(Keys.U64(5)));
            Assert.Equal([8], db.GetColumn(DbColumn.PendingTransactions).Get([7]));
        }
    }

    [Fact]
    public void DataWithoutASchemaVersionIsRefused()
    {
        using (var db = Open())
        {
            db.GetColumn(DbColumn.Results).Put([1], [1]);
            db.GetColumn(DbColumn.Metadata).Delete(DbSchema.VersionKey);
        }
        var e = Assert.Throws<StorageException>(() => Open());
        Assert.Equal(StorageErrorKind.Corrupted, e.Kind);
        Assert.Contains("no schema version", e.Message);
        Assert.Contains("'results'", e.Message);
    }

    [Fact]
    public void AMalformedSchemaVersionIsRefused()
    {
        using (var db = Open())
            db.GetColumn(DbColumn.Metadata).Put(DbSchema.VersionKey, [0, 1]);
        var e = Assert.Throws<StorageException>(() => Open());
        Assert.Equal(StorageErrorKind.Corrupted, e.Kind);
        Assert.Contains("malformed schema version", e.Message);
    }

    [Fact]
    public void DamagedFilesAreReportedAsCorrupted()
    {
        using (var db = Open()) db.GetColumn(DbColumn.Tasks).Put([1], [1]);
        File.WriteAllText(Path.Combine(_dir, "CURRENT"), "MANIFEST-garbage"); // no trailing newline, no such manifest
        var e = Assert.Throws<StorageException>(() => Open());
        Assert.Equal(StorageErrorKind.Corrupted, e.Kind);
        Assert.Contains("RocksDB:", e.Message);
    }

    [Fact]
    public void APathThatIsAFileIsRefused()
    {
        Directory.CreateDirectory(_dir);
        string file = Path.Combine(_dir, "not-a-dir");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<StorageException>(() => RocksColumnsDb.Open(new StorageOptions { Path = file }));
        Assert.Equal(StorageErrorKind.PathIsFile, e.Kind);
        Assert.Contains("is a file, not a directory", e.Message);

        e = Assert.Throws<StorageException>(() => RocksColumnsDb.Open(new StorageOptions { Path = Path.Combine(file, "db") }));
        Assert.Equal(StorageErrorKind.NotWritable, e.Kind);
        Assert.Contains("cannot create the database directory", e.Message);
    }

    [Fact]
    public void AnUnwritableDirectoryIsRefused()
    {
        // Root ignores permission bits (tests here run as root), so use places nobody can write: under /proc.
        var e = Assert.Throws<StorageException>(() => RocksColumnsDb.Open(new StorageOptions { Path = "/proc/opml-node-storage-test" }));
        Assert.Equal(StorageErrorKind.NotWritable, e.Kind);
        Assert.Contains("cannot create the database directory", e.Message);

        e = Assert.Throws<StorageException>(() => RocksColumnsDb.Open(new StorageOptions { Path = "/proc/self" }));
        Assert.Equal(StorageErrorKind.NotWritable, e.Kind);
        Assert.Contains("is not writable", e.Message);

        if (Environment.UserName != "root" && !OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_dir);
            File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            try
            {
                e = Assert.Throws<StorageException>(() => Open());
                Assert.Equal(StorageErrorKind.NotWritable, e.Kind);
            }
            finally
            {
                File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    [Fact]
    public void UnknownColumnFamiliesAreKept()
    {
        using (var db = Open()) db.GetColumn(DbColumn.Tasks).Put([1], [1]);
        RocksColumnsDb.WriteRawColumnFamily(_dir, "from_a_newer_node", [7], [8, 9]);
        using (var db = Open())
        {
            Assert.Contains("from_a_newer_node", db.ColumnFamilies);
            foreach (var column in DbNames.All) Assert.Contains(DbNames.Of(column), db.ColumnFamilies);
            db.GetColumn(DbColumn.Tasks).Put([2], [2]);
            db.Flush();
        }
        Assert.Equal([8, 9], RocksColumnsDb.ReadRawColumnFamily(_dir, "from_a_newer_node", [7]));
        using (var db = Open()) Assert.Equal(2, db.GetColumn(DbColumn.Tasks).Iterate([]).Count());
    }

    [Fact]
    public void MissingColumnFamiliesAreCreated()
    {
        // A database with only "default" and one of ours, as an older node might leave it.
        RocksColumnsDb.WriteRawColumnFamily(_dir, DbNames.Tasks, [1], [1]);
        var e = Assert.Throws<StorageException>(() => Open()); // data but no schema version
        Assert.Equal(StorageErrorKind.Corrupted, e.Kind);
        RocksColumnsDb.WriteRawColumnFamily(_dir, DbNames.Metadata, DbSchema.VersionKey, DbSchema.EncodeVersion(DbSchema.CurrentVersion));
        using var db = Open();
        Assert.Equal([1], db.GetColumn(DbColumn.Tasks).Get([1]));
        db.GetColumn(DbColumn.PendingTransactions).Put([1], [2]);
        Assert.Equal([2], db.GetColumn(DbColumn.PendingTransactions).Get([1]));
    }

    [Fact]
    public void AnIterationOpenAtDisposeFinishesThenReleasesTheDatabase()
    {
        var db = Open();
        for (ulong i = 0; i < 5; i++) db.GetColumn(DbColumn.Games).Put(Keys.U64(i), [1]);
        var e = db.GetColumn(DbColumn.Games).Iterate([]).GetEnumerator();
        Assert.True(e.MoveNext());
        db.Dispose();
        int rest = 0;
        while (e.MoveNext()) rest++;
        Assert.Equal(4, rest);
        e.Dispose();
        using var again = Open(); // closed by the enumerator's dispose
    }
}
