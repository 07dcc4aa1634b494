using System.Diagnostics;
using System.Runtime.InteropServices;
using OpmlNode.Storage;

namespace OpmlNode.Tests.Storage;

/// <summary>
/// The writer that gets killed in <see cref="RocksColumnsDbTests.WritesSurviveAKilledProcess"/>. The test starts
/// <c>dotnet exec OpmlNode.Tests.dll</c> with this assembly as a .NET startup hook (DOTNET_STARTUP_HOOKS) and the
/// database path in an environment variable; the hook runs <see cref="RunIfRequested"/> before Main, which writes,
/// prints <see cref="Ready"/> and sleeps until SIGKILL. Without the variable the hook does nothing.
/// </summary>
internal sealed class KilledProcessChild : IDisposable
{
    public const string Ready = "ready";
    private const string PathVariable = "OPML_STORAGE_KILL_TEST_DB";
    private const string SyncVariable = "OPML_STORAGE_KILL_TEST_SYNC";
    private const int SinglePuts = 500, Batches = 50, PerBatch = 20;

    private readonly Process _process;
    private readonly Task<string?> _firstLine;
    private readonly Task<string> _stderr;

    private KilledProcessChild(Process process)
    {
        _process = process;
        _firstLine = process.StandardOutput.ReadLineAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static KilledProcessChild Start(string dbPath, bool syncWrites)
    {
        string assembly = typeof(KilledProcessChild).Assembly.Location;
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(assembly);
        info.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
        info.Environment[PathVariable] = dbPath;
        info.Environment[SyncVariable] = syncWrites ? "1" : "0";
        return new KilledProcessChild(Process.Start(info) ?? throw new InvalidOperationException("could not start the child process"));
    }

    public string? ReadLine(TimeSpan timeout) => _firstLine.Wait(timeout) ? _firstLine.Result : null;

    public string Stderr() => _stderr.Wait(TimeSpan.FromSeconds(5)) ? _stderr.Result : "(still running)";

    /// <summary>SIGKILL: no finalizers, no dispose, no flush.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public static void RunIfRequested()
    {
        string? path = Environment.GetEnvironmentVariable(PathVariable);
        if (path is null) return;
        try
        {
            var db = RocksColumnsDb.Open(new StorageOptions { Path = path, SyncWrites = Environment.GetEnvironmentVariable(SyncVariable) == "1" });
            var tasks = db.GetColumn(DbColumn.Tasks);
            for (ulong i = 0; i < SinglePuts; i++) tasks.Put(Keys.U64(i), Value(i));
            tasks.Delete(Keys.U64(0));
            for (ulong b = 0; b < Batches; b++)
            {
                using var batch = db.StartWriteBatch();
                for (ulong k = 0; k < PerBatch; k++)
                {
                    batch.Put(DbColumn.Games, Keys.U64U64(b, k), Value(k));
                    batch.Put(DbColumn.SlotRoots, Keys.U64U64(b, k), Value(b));
                }
                batch.Commit();
            }
            Console.Out.WriteLine(Ready);
            Console.Out.Flush();
            GC.KeepAlive(db);
            Thread.Sleep(Timeout.Infinite); // never disposed: the kill finds the LOCK held and the memtables unflushed
        }
        catch (Exception e)
        {
            Console.Out.WriteLine("error: " + e.Message);
            Console.Out.Flush();
            Environment.Exit(3);
        }
    }

    public static void AssertAllWritten(IColumnsDb<DbColumn> db)
    {
        var tasks = db.GetColumn(DbColumn.Tasks);
        Assert.Null(tasks.Get(Keys.U64(0)));
        for (ulong i = 1; i < SinglePuts; i++) Assert.Equal(Value(i), tasks.Get(Keys.U64(i)));
        Assert.Equal(SinglePuts - 1, tasks.Iterate([]).Count());
        Assert.Equal(Batches * PerBatch, db.GetColumn(DbColumn.Games).Iterate([]).Count());
        Assert.Equal(Batches * PerBatch, db.GetColumn(DbColumn.SlotRoots).Iterate([]).Count());
        Assert.Equal(Value(7), db.GetColumn(DbColumn.Games).Get(Keys.U64U64(Batches - 1, 7)));
        Assert.Equal(Value(Batches - 1), db.GetColumn(DbColumn.SlotRoots).Get(Keys.U64U64(Batches - 1, PerBatch - 1)));
    }

    private static byte[] Value(ulong i) => [.. Keys.U64(i), .. Keys.U64(~i)];

    private static string DotnetHost()
    {
        // The runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/; the host is <dotnet root>/dotnet.
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        string host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
