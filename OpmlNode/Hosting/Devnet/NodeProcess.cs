using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace OpmlNode.Hosting.Devnet;

/// <summary>
/// A real `opml-node run` child process of this very executable: its JSON log lines (stdout) and stderr kept in memory
/// and, when asked, copied to a log file as they come; stopped with SIGTERM or killed with SIGKILL. The devnet runs its
/// nodes with it, and the end-to-end tests theirs.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _p;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _err = new();
    private readonly StreamWriter? _log;

    /// <param name="runArgs">The arguments after `run`.</param>
    /// <param name="logFile">A file that receives stdout and stderr lines as they come (null: memory only).</param>
    /// <param name="env">Extra environment variables.</param>
    /// <param name="wrapper">A program (and its arguments) that starts the node as its child, e.g. a stand-in service manager.</param>
    /// <param name="workingDirectory">The child's working directory (null: this process's).</param>
    public NodeProcess(string name, IEnumerable<string> runArgs, string? logFile = null, IDictionary<string, string>? env = null,
        IReadOnlyList<string>? wrapper = null, string? workingDirectory = null)
    {
        Name = name;
        LogFile = logFile;
        var (exe, prefix) = Self();
        string[] command = [.. wrapper ?? [], exe, .. prefix, "run", .. runArgs];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command[1..]) psi.ArgumentList.Add(a);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        if (logFile is not null) _log = new StreamWriter(logFile) { AutoFlush = true };
        _p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command[0]}");
        _p.OutputDataReceived += (_, e) => Received(_lines, e.Data);
        _p.ErrorDataReceived += (_, e) => Received(_err, e.Data);
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public string Name { get; }
    public string? LogFile { get; }
    public IReadOnlyList<string> Lines => [.. _lines];
    public string Stderr => string.Join('\n', _err);
    /// <summary>True once the process has exited and its stdout and stderr are read to the end (so <see cref="Stderr"/>
    /// holds its last words, e.g. a crash point's line).</summary>
    public bool HasExited
    {
        get
        {
            if (!_p.HasExited) return false;
            _p.WaitForExit(); // the parameterless overload also waits for the redirected streams' end
            return true;
        }
    }
    public int ExitCode => _p.ExitCode;

    /// <summary>The process's peak resident set so far (Linux: VmHWM of /proc/PID/status), in bytes; null once it has exited.</summary>
    public long? PeakRssBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_p.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>True once <see cref="Kill"/> was called: the process had no chance to clean up.</summary>
    public bool Killed { get; private set; }

    /// <summary>The log lines as JSON objects (throws if one is not JSON).</summary>
    public IReadOnlyList<JsonElement> Events() => [.. Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>The message templates of the log lines (compact JSON "@mt").</summary>
    public IEnumerable<string> Messages() => Events().Select(e => e.TryGetProperty("@mt", out var mt) ? mt.GetString() ?? "" : "");

    /// <summary>Waits for a log line matching <paramref name="match"/>; false when the node exits first or the time runs out.</summary>
    public async Task<bool> WaitForLogAsync(Func<JsonElement, bool> match, TimeSpan timeout, CancellationToken ct = default)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (Events().Any(match)) return true;
            if (_p.HasExited) return false;
            await Task.Delay(100, ct);
        }
        return false;
    }

    /// <summary>
    /// Waits until the node has passed its start-up checks: its first log line, "Node … on chain …", is written once they
    /// pass and its services start.
    /// </summary>
    public Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken ct = default) =>
        WaitForLogAsync(e => e.TryGetProperty("@mt", out var mt) && mt.GetString()?.StartsWith("Node {Address} on chain", StringComparison.Ordinal) == true, timeout, ct);

    /// <summary>SIGTERM, then waits for the graceful exit (killed, and a TimeoutException, if it does not come in time).</summary>
    public int Terminate(TimeSpan timeout)
    {
        if (!_p.HasExited)
            using (var kill = Process.Start("kill", ["-TERM", _p.Id.ToString(CultureInfo.InvariantCulture)])) kill?.WaitForExit();
        if (!_p.WaitForExit(timeout)) { _p.Kill(true); throw new TimeoutException($"{Name} did not stop within {timeout} after SIGTERM"); }
        _p.WaitForExit();
        return _p.ExitCode;
    }

    /// <summary>SIGKILL, the whole process tree.</summary>
    public void Kill()
    {
        Killed = true;
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.WaitForExit();
    }

    /// <summary>Waits for the process to exit by itself (killed, and a TimeoutException, if it does not in time).</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout)) { _p.Kill(true); throw new TimeoutException($"{Name} still running after {timeout}"); }
        _p.WaitForExit();
        return _p.ExitCode;
    }

    public void Dispose()
    {
        try { if (!_p.HasExited) _p.Kill(true); } catch (InvalidOperationException) { }
        _p.Dispose();
        if (_log is not null) lock (_log) _log.Dispose();
    }

    private void Received(ConcurrentQueue<string> queue, string? line)
    {
        if (line is null) return;
        queue.Enqueue(line);
        if (_log is not null) lock (_log) _log.WriteLine(line);
    }

    /// <summary>How to run this executable again: the apphost, or `dotnet exec opml-node.dll` (also from a test host).</summary>
    private static (string Exe, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(NodeProcess).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, ["exec", dll]) : (process, []);
    }
}
