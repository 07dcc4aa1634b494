using System.Diagnostics;

namespace OpmlNode.Hosting.Devnet;

/// <summary>Starts `opml-node run` as a child process of this very executable (its JSON log lines go to a file).</summary>
public sealed class LaunchedNode : IDisposable
{
    private readonly Process _p;
    private readonly StreamWriter _log;

    public LaunchedNode(string name, string address, IEnumerable<string> runArgs, string logFile)
    {
        Name = name;
        Address = address;
        LogFile = logFile;
        var (exe, prefix) = Self();
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in prefix.Concat(["run"]).Concat(runArgs)) psi.ArgumentList.Add(a);
        _log = new StreamWriter(logFile) { AutoFlush = true };
        _p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public string Name { get; }
    public string Address { get; }
    public string LogFile { get; }
    public bool HasExited => _p.HasExited;
    public int ExitCode => _p.ExitCode;

    /// <summary>
    /// Waits until the node has passed its start-up checks (its first log line, "Node … on chain …", is written once
    /// they pass and its services start). False when it exits first or the time runs out.
    /// </summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end && !_p.HasExited)
        {
            if (File.Exists(LogFile))
            {
                using var f = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var r = new StreamReader(f);
                if ((await r.ReadToEndAsync(ct)).Contains("\"@mt\":\"Node {Address} on chain", StringComparison.Ordinal)) return true;
            }
            await Task.Delay(100, ct);
        }
        return false;
    }

    /// <summary>SIGTERM, then wait for the graceful shutdown.</summary>
    public void Stop()
    {
        if (_p.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill?.WaitForExit();
        if (!_p.WaitForExit(TimeSpan.FromSeconds(30))) _p.Kill(true);
    }

    /// <summary>How to run this executable again: the apphost, or `dotnet exec opml-node.dll`.</summary>
    private static (string Exe, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(LaunchedNode).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, ["exec", dll]) : (process, []);
    }

    public void Dispose()
    {
        try { if (!_p.HasExited) _p.Kill(true); } catch (InvalidOperationException) { }
        _p.Dispose();
        lock (_log) _log.Dispose();
    }
}
