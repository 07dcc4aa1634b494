using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace OpmlNode.Tests.Hosting;

/// <summary>A real `opml-node run` process: its JSON log lines collected, stopped with SIGTERM or killed with SIGKILL.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _p;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _err = new();

    /// <param name="wrapper">A program (and its arguments) that starts the node as its child, e.g. a stand-in service manager.</param>
    public NodeProcess(string name, IEnumerable<string> args, IDictionary<string, string>? env = null, IReadOnlyList<string>? wrapper = null)
    {
        Name = name;
        var dll = Path.Combine(AppContext.BaseDirectory, "opml-node.dll");
        string[] command = [.. wrapper ?? [], "dotnet", "exec", dll, "run", .. args];
        var psi = new ProcessStartInfo(command[0], command[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _p = Process.Start(psi)!;
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) _err.Enqueue(e.Data); };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public string Name { get; }
    public IReadOnlyList<string> Lines => [.. _lines];
    public string Stderr => string.Join('\n', _err);
    public bool HasExited => _p.HasExited;
    public int ExitCode => _p.ExitCode;

    /// <summary>The log lines as JSON objects (throws if one is not JSON).</summary>
    public IReadOnlyList<JsonElement> Events() => [.. Lines.Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>The rendered messages (compact JSON "@mt" templates with the properties filled in, roughly).</summary>
    public IEnumerable<string> Messages() => Events().Select(e => e.TryGetProperty("@mt", out var mt) ? mt.GetString() ?? "" : "");

    public async Task<bool> WaitForLogAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (Events().Any(match)) return true;
            if (_p.HasExited) return false;
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>SIGTERM and wait for a graceful exit.</summary>
    public int Terminate(TimeSpan timeout)
    {
        if (!_p.HasExited) Process.Start("kill", ["-TERM", _p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!_p.WaitForExit(timeout)) { _p.Kill(true); throw new TimeoutException($"{Name} did not stop within {timeout} after SIGTERM"); }
        _p.WaitForExit();
        return _p.ExitCode;
    }

    /// <summary>SIGKILL: no chance to clean up.</summary>
    public bool Killed { get; private set; }

    public void Kill()
    {
        Killed = true;
        if (!_p.HasExited) _p.Kill(entireProcessTree: true);
        _p.WaitForExit();
    }

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
    }
}
