using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OpmlNode.Tests.Support;

/// <summary>Scrapes a node's /metrics every <c>interval</c> in the background and keeps every sample (Prometheus text
/// format parsed by line: <c>name{labels} value</c>).</summary>
public sealed class MetricsScraper : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<IReadOnlyDictionary<string, double>> _samples = [];

    public MetricsScraper(int port, TimeSpan interval)
    {
        Port = port;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try { var s = await ScrapeAsync(); lock (_samples) _samples.Add(s); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                try { await Task.Delay(interval, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public int Port { get; }

    public IReadOnlyList<IReadOnlyDictionary<string, double>> Samples { get { lock (_samples) return [.. _samples]; } }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async Task<IReadOnlyDictionary<string, double>> ScrapeAsync()
    {
        var text = await _http.GetStringAsync($"http://localhost:{Port}/metrics");
        var values = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            values[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return values;
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var r = await _http.GetAsync($"http://localhost:{Port}{path}");
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _http.Dispose();
        _stop.Dispose();
    }
}
