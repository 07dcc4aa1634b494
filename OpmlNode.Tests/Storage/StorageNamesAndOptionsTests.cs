using OpmlNode.Storage;

namespace OpmlNode.Tests.Storage;

public class StorageNamesAndOptionsTests
{
    /// <summary>The on-disk names are data addresses: this pins them, so a change here is a deliberate migration.</summary>
    [Fact]
    public void ColumnNamesArePinned()
    {
        var expected = new Dictionary<DbColumn, string>
        {
            [DbColumn.Metadata] = "metadata",
            [DbColumn.Cursor] = "cursor",
            [DbColumn.Tasks] = "tasks",
            [DbColumn.Results] = "results",
            [DbColumn.SlotRoots] = "slot_roots",
            [DbColumn.MerkleNodes] = "merkle_nodes",
            [DbColumn.VmCheckpoints] = "vm_checkpoints",
            [DbColumn.Games] = "games",
            [DbColumn.PendingTransactions] = "pending_transactions",
        };
        Assert.Equal(expected.Keys.Order(), DbNames.All.Order());
        foreach (var (column, name) in expected) Assert.Equal(name, DbNames.Of(column));
        Assert.Equal(DbNames.All.Count, DbNames.All.Select(DbNames.Of).Distinct().Count());
        Assert.DoesNotContain("default", DbNames.All.Select(DbNames.Of)); // RocksDB's own family
    }

    [Fact]
    public void OptionsAreValidatedWithPlainMessages()
    {
        Check(new StorageOptions { Path = "" }, "Path is empty");
        Check(new StorageOptions { Path = "   " }, "Path is empty");
        Check(new StorageOptions { Path = "/tmp/x", BlockCacheBytes = -1 }, "BlockCacheBytes must be 0");
        Check(new StorageOptions { Path = "/tmp/x", BlockCacheBytes = StorageOptions.MaxBlockCacheBytes + 1 }, "exceeds");
        new StorageOptions { Path = "/tmp/x", BlockCacheBytes = 0 }.Validate();
        Assert.Equal(StorageOptions.DefaultBlockCacheBytes, new StorageOptions { Path = "/tmp/x" }.BlockCacheBytes);
        Assert.False(new StorageOptions { Path = "/tmp/x" }.SyncWrites);

        static void Check(StorageOptions options, string fragment)
        {
            var e = Assert.Throws<StorageException>(options.Validate);
            Assert.Equal(StorageErrorKind.InvalidOptions, e.Kind);
            Assert.Contains(fragment, e.Message);
            e = Assert.Throws<StorageException>(() => RocksColumnsDb.Open(options));
            Assert.Equal(StorageErrorKind.InvalidOptions, e.Kind);
        }
    }

    [Fact]
    public void KeyHelpers()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 1, 2 }, Keys.U64(0x0102));
        Assert.Equal(new byte[] { 0, 0, 1, 2 }, Keys.U32(0x0102));
        var composite = Keys.U64U64(7, 9);
        Assert.Equal(16, composite.Length);
        Assert.Equal(7UL, Keys.ReadU64(composite));
        Assert.Equal(9UL, Keys.ReadU64(composite, 8));
        Assert.True(composite.AsSpan().StartsWith(Keys.U64(7)));
        var h = OpmlNode.Crypto.Keccak256.Hash("x"u8);
        var hk = Keys.HashU64(h, 5);
        Assert.True(hk.AsSpan().StartsWith(h.Bytes));
        Assert.Equal(5UL, Keys.ReadU64(hk, 32));
        Assert.Equal(new byte[] { 1, 3 }, Keys.PrefixSuccessor([1, 2]));
        Assert.Equal(new byte[] { 2 }, Keys.PrefixSuccessor([1, 0xFF, 0xFF]));
        Assert.Null(Keys.PrefixSuccessor([0xFF, 0xFF]));
        Assert.Null(Keys.PrefixSuccessor([]));
        Assert.True(BytewiseComparer.Instance.Compare([0x7F], [0x80]) < 0); // unsigned
        Assert.True(BytewiseComparer.Instance.Compare([1], [1, 0]) < 0); // prefix first
    }
}
