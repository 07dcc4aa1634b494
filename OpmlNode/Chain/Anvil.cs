using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace OpmlNode.Chain;

/// <summary>Thrown when anvil cannot be found, does not start, or does not answer RPC in time.</summary>
public sealed class AnvilException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Options for <see cref="Anvil.StartAsync"/>.</summary>
public sealed record AnvilOptions
{
    /// <summary>The anvil executable; null = <see cref="Anvil.FindBinary"/> under <see cref="ContractsDir"/>.</summary>
    public string? BinaryPath { get; init; }
    /// <summary>The Foundry project (holds <c>node_modules/@foundry-rs/anvil-*</c>); used when <see cref="BinaryPath"/> is null.</summary>
    public string? ContractsDir { get; init; }
    public long ChainId { get; init; } = Anvil.DefaultChainId;
    /// <summary>Matches <c>evm_version</c> in contracts/foundry.toml; null = anvil's default (latest).</summary>
    public string? Hardfork { get; init; } = "prague";
    /// <summary>How long to wait for eth_chainId to answer after the process started.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The port to listen on; null = a free one.</summary>
    public int? Port { get; init; }
    /// <summary>Further command-line arguments.</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
}

/// <summary>
/// A local anvil dev chain as a child process on 127.0.0.1 and a free port (for integration tests and local demos).
/// The process (tree) is killed on <see cref="Dispose"/>, and also at process exit for any instance not disposed.
/// </summary>
public sealed class Anvil : IDisposable
{
    public const long DefaultChainId = 31337;

    /// <summary>Private keys of anvil's first dev accounts (mnemonic "test test test test test test test test test test
    /// test junk", m/44'/60'/0'/0/i), each funded with 10,000 ETH. Public test keys: never use them on a real chain.</summary>
    public static readonly IReadOnlyList<string> DevPrivateKeys =
    [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
        "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
        "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
        "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
        "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ];

    private static readonly ConcurrentDictionary<Anvil, byte> Live = new();

    static Anvil()
    {
        // Backstop for instances nobody disposed (a test run aborted between fixture setup and teardown). A killed
        // test host (SIGKILL) still cannot clean up; anvil has no parent-death option.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var a in Live.Keys) a.Dispose();
        };
    }

    private readonly Process _process;
    private readonly OutputTail _output;
    private int _disposed;

    public string RpcUrl { get; }
    public int Port { get; }
    public long ChainId { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    /// <summary>The last lines anvil printed (stdout and stderr), for diagnostics.</summary>
    public string RecentOutput => _output.ToString();

    private Anvil(Process process, OutputTail output, int port, long chainId)
    {
        _process = process;
        _output = output;
        Port = port;
        ChainId = chainId;
        RpcUrl = $"http://127.0.0.1:{port}";
    }

    /// <summary>The anvil binary shipped by the npm package <c>@foundry-rs/anvil</c> under <paramref name="contractsDir"/>:
    /// the platform package's native binary (no node launcher in between, so killing the process kills anvil),
    /// else <c>node_modules/.bin/anvil</c>.</summary>
    public static string FindBinary(string contractsDir)
    {
        var nodeModules = Path.Combine(contractsDir, "node_modules");
        var os = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux";
        var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
        var exe = OperatingSystem.IsWindows() ? "anvil.exe" : "anvil";
        string[] candidates =
        [
            Path.Combine(nodeModules, "@foundry-rs", $"anvil-{os}-{arch}", "bin", exe),
            Path.Combine(nodeModules, ".bin", OperatingSystem.IsWindows() ? "anvil.cmd" : "anvil"),
        ];
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        throw new AnvilException(
            $"anvil not found (looked for {string.Join(", ", candidates)}): run `npm ci` in {contractsDir}");
    }

    /// <summary>Starts anvil and waits until it answers eth_chainId with the expected chain id.</summary>
    public static async Task<Anvil> StartAsync(AnvilOptions options, CancellationToken ct = default)
    {
        var binary = options.BinaryPath ?? FindBinary(options.ContractsDir
            ?? throw new ArgumentException("either BinaryPath or ContractsDir is needed", nameof(options)));
        if (!File.Exists(binary)) throw new AnvilException($"anvil binary {binary} does not exist");

        // A free port can be taken by someone else between probing and anvil's bind: retry on an early exit.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port ?? FreeLoopbackPort();
            var anvil = Launch(binary, port, options);
            try
            {
                await anvil.WaitForRpcAsync(options.StartupTimeout, ct).ConfigureAwait(false);
                return anvil;
            }
            catch (AnvilException) when (attempt < attempts && anvil.HasExited &&
                                         anvil.RecentOutput.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                anvil.Dispose();
            }
            catch
            {
                anvil.Dispose();
                throw;
            }
        }
    }

    private static Anvil Launch(string binary, int port, AnvilOptions options)
    {
        var psi = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            CreateNoWindow = true,
        };
        foreach (var a in (string[])["--host", "127.0.0.1", "--port", port.ToString(), "--chain-id",
                     options.ChainId.ToString(), "--quiet"])
            psi.ArgumentList.Add(a);
        if (options.Hardfork is { } hf)
        {
            psi.ArgumentList.Add("--hardfork");
            psi.ArgumentList.Add(hf);
        }
        foreach (var a in options.ExtraArgs) psi.ArgumentList.Add(a);

        var output = new OutputTail(64);
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        try
        {
            if (!process.Start()) throw new AnvilException($"could not start {binary}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new AnvilException($"could not start {binary}: {e.Message}", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var anvil = new Anvil(process, output, port, options.ChainId);
        Live.TryAdd(anvil, 0);
        return anvil;
    }

    private async Task WaitForRpcAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var body = """{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""";
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                _process.WaitForExit(); // flush the async output readers
                throw new AnvilException(
                    $"anvil exited with code {_process.ExitCode} before answering RPC on {RpcUrl}; output:\n{RecentOutput}");
            }
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var resp = await http.PostAsync(RpcUrl, content, ct).ConfigureAwait(false);
                if (resp.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
                    var hex = doc.RootElement.GetProperty("result").GetString()!;
                    var chainId = Convert.ToInt64(hex, 16);
                    if (chainId != ChainId)
                        throw new AnvilException($"anvil on {RpcUrl} reports chain id {chainId}, expected {ChainId}");
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = e;
            }
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
        throw new AnvilException(
            $"anvil (pid {_process.Id}) did not answer eth_chainId on {RpcUrl} within {timeout.TotalSeconds:0.#} s " +
            $"(last error: {last?.Message ?? "none"}); output:\n{RecentOutput}", last);
    }

    private static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Kills anvil (and any children) and waits for it to be reaped.</summary>
    /// <summary>SIGTERM and waits for the exit: anvil's graceful stop, which writes its <c>--state</c> file.</summary>
    public void Stop(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill?.WaitForExit();
        if (!_process.WaitForExit(timeout)) throw new AnvilException($"anvil did not stop within {timeout} after SIGTERM");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Live.TryRemove(this, out _);
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already exited between the check and the kill
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>Keeps the last lines of a process's output.</summary>
    private sealed class OutputTail(int capacity)
    {
        private readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (line is null) return;
            lock (_lines)
            {
                _lines.Enqueue(line);
                while (_lines.Count > capacity) _lines.Dequeue();
            }
        }

        public override string ToString()
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }
}
