using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpmlNode.Hosting.Metrics;

/// <summary>
/// The operator's HTTP endpoint (<c>--metrics-port</c>; off by default): <c>/metrics</c> in Prometheus text format,
/// <c>/healthz</c> (200 while the process serves requests) and <c>/readyz</c> (200 only when the chain watcher has
/// caught up with the chain recently, which needs the RPC endpoint, and the database is open; 503 with the failing
/// checks otherwise). HttpListener: the node is not a web application, and this is its only listener.
/// </summary>
public sealed class MetricsEndpoint(IOptions<NodeRunOptions> options, NodeMetrics metrics, ILogger<MetricsEndpoint> log) : BackgroundService
{
    /// <summary>A watcher tick older than this many poll intervals (and at least 15 s) makes the node not ready.</summary>
    public const int StaleTicks = 40;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.MetricsPort == 0) return;
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://{o.MetricsHost}:{o.MetricsPort}/");
        try { listener.Start(); }
        catch (HttpListenerException e)
        {
            log.LogError("Metrics endpoint on {Host}:{Port} could not start: {Error}", o.MetricsHost, o.MetricsPort, e.Message);
            return;
        }
        log.LogInformation("Metrics on http://{Host}:{Port}/metrics (/healthz, /readyz)", o.MetricsHost, o.MetricsPort);
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch (Exception) when (stoppingToken.IsCancellationRequested) { break; }
            catch (HttpListenerException) { break; }
            _ = Task.Run(() => ServeAsync(ctx, stoppingToken), CancellationToken.None);
        }
    }

    private async Task ServeAsync(HttpListenerContext ctx, CancellationToken ct)
    {
        var res = ctx.Response;
        try
        {
            switch (ctx.Request.Url?.AbsolutePath)
            {
                case "/metrics":
                    res.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await metrics.Registry.CollectAndExportAsTextAsync(res.OutputStream, ct);
                    break;
                case "/healthz":
                    await WriteAsync(res, 200, """{"status":"up"}""");
                    break;
                case "/readyz":
                    var failing = Readiness();
                    await WriteAsync(res, failing.Count == 0 ? 200 : 503,
                        JsonSerializer.Serialize(new { status = failing.Count == 0 ? "ready" : "not ready", failing }));
                    break;
                default:
                    await WriteAsync(res, 404, """{"error":"not found: /metrics, /healthz, /readyz"}""");
                    break;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the node is stopping.
        }
        finally
        {
            try { res.Close(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>The readiness checks that fail now (empty: ready).</summary>
    public List<string> Readiness()
    {
        var o = options.Value;
        var failing = new List<string>();
        if (!metrics.DatabaseOpen) failing.Add("database not open");
        var last = metrics.LastWatcherTick.Value;
        var maxAge = Math.Max(15, StaleTicks * o.PollMilliseconds / 1000.0);
        if (last == 0) failing.Add("the chain watcher has not completed a tick (RPC unreachable or still starting)");
        else if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - last > maxAge) failing.Add($"the chain watcher's last tick is older than {maxAge:0} s (RPC unreachable or the loop is stuck)");
        if (metrics.HeadLagBlocks.Value > o.Confirmations + 2) failing.Add($"behind the chain head by {metrics.HeadLagBlocks.Value} blocks");
        return failing;
    }

    private static async Task WriteAsync(HttpListenerResponse res, int status, string json)
    {
        res.StatusCode = status;
        res.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(json);
        await res.OutputStream.WriteAsync(bytes);
    }
}
