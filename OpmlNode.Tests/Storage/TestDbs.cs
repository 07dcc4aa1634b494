using OpmlNode.Storage;

namespace OpmlNode.Tests.Storage;

/// <summary>The two implementations under one factory: every shared behaviour runs against both.</summary>
public static class TestDbs
{
    public const string Mem = "mem";
    public const string Rocks = "rocks";

    public static TheoryData<string> Kinds => new() { Mem, Rocks };

    public static TestDb Create(string kind) => kind switch
    {
        Mem => new TestDb(new MemColumnsDb(), null),
        Rocks => TestDb.CreateRocks(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A fresh empty directory under the temp folder, deleted by the caller.</summary>
    public static string NewDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "opml-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        return dir;
    }

    public static void DeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

public sealed class TestDb(IColumnsDb<DbColumn> db, string? directory) : IDisposable
{
    public IColumnsDb<DbColumn> Db { get; } = db;

    public string? Directory { get; } = directory;

    public IKeyValueStore this[DbColumn column] => Db.GetColumn(column);

    public static TestDb CreateRocks()
    {
        string dir = TestDbs.NewDirectory();
        return new TestDb(RocksColumnsDb.Open(new StorageOptions { Path = dir, BlockCacheBytes = 4 << 20 }), dir);
    }

    public void Dispose()
    {
        Db.Dispose();
        if (Directory is not null) TestDbs.DeleteDirectory(Directory);
    }
}

/// <summary>A reference byte-wise order written independently of the code under test.</summary>
internal static class RefOrder
{
    public static int Compare(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }

    public static bool StartsWith(byte[] key, byte[] prefix)
    {
        if (key.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++)
        {
            if (key[i] != prefix[i]) return false;
        }
        return true;
    }

    public static string Hex(byte[] b) => Convert.ToHexString(b);
}
