using System.CommandLine;

namespace OpmlNode.Cli;

/// <summary>
/// `opml-node probe`: asks a running node's metrics endpoint whether it is up (/healthz) or ready (/readyz), for
/// container health checks and scripts on images without curl. Exit 0 when it answers 200, 1 otherwise.
/// </summary>
internal static class ProbeCommand
{
    public static Command Build()
    {
        var port = new Option<int>("--port") { Description = "The node's --metrics-port.", DefaultValueFactory = _ => 9464 };
        var host = new Option<string>("--host") { Description = "Where the node listens.", DefaultValueFactory = _ => "localhost" };
        var ready = new Option<bool>("--ready") { Description = "Ask /readyz (caught up with the chain, RPC reachable, database open) instead of /healthz." };
        var cmd = new Command("probe", $"Probe a running node's /healthz (or /readyz with --ready). Exit code: 0 when it answers 200; {ExitCodes.CheckFailed} otherwise (prints why).")
        {
            port, host, ready,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var url = $"http://{p.GetValue(host)}:{p.GetValue(port)}/{(p.GetValue(ready) ? "readyz" : "healthz")}";
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
            try
            {
                using var r = await http.GetAsync(url, ct);
                var body = await r.Content.ReadAsStringAsync(ct);
                Console.WriteLine($"{url}: {(int)r.StatusCode} {body}");
                return r.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.CheckFailed;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.WriteLine($"{url}: no answer ({e.Message})");
                return ExitCodes.CheckFailed;
            }
        });
        return cmd;
    }
}
