using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace OpmlNode.Tests.Support;

/// <summary>What the proxy does to a request it faults.</summary>
public enum RpcFault
{
    None,
    /// <summary>The listener is closed: connections are refused (the provider is down).</summary>
    Refused,
    /// <summary>Forwarded, then the connection is reset (RST) halfway through the response.</summary>
    ResetMidResponse,
    /// <summary>Accepted and read, never answered, never forwarded.</summary>
    BlackHole,
    /// <summary>Forwarded and answered after <see cref="RpcFaultProxy.LatencyMs"/>.</summary>
    Latency,
    /// <summary>Answered with JSON-RPC error -32000 "header not found" (a load-balanced provider behind), not forwarded.</summary>
    HeaderNotFound,
    /// <summary>Answered with JSON-RPC error -32005 "limit exceeded", not forwarded.</summary>
    LimitExceeded,
    /// <summary>HTTP 429 with Retry-After: 1, not forwarded.</summary>
    TooManyRequests,
    /// <summary>Forwarded; the answer is cut in half (valid HTTP, broken JSON).</summary>
    Truncated,
    /// <summary>An HTML error page with status 200, not forwarded.</summary>
    Malformed,
    /// <summary>Forwarded; the answer carries another request's id.</summary>
    WrongId,
    /// <summary>Every read is answered as of <see cref="RpcFaultProxy.LagBlocks"/> blocks below the head (a provider lagging).</summary>
    Stale,
    /// <summary>Forwarded; an <c>eth_getLogs</c> answer also carries, beside each real log, a copy whose data do not decode
    /// and a copy from another address (a provider returning junk, or a contract emitting our topics with other data).</summary>
    BadLogs,
}

/// <summary>
/// A JSON-RPC fault proxy for tests (none is packaged for us): plain HTTP/1.1 over a TCP listener, forwarding to an
/// upstream endpoint, faulting a share of the requests (<see cref="Rate"/>, a seeded draw) with <see cref="Fault"/>.
/// <see cref="Refuse"/> closes the listener (connection refused) until <see cref="Accept"/> opens it again on the same
/// port. Counts what it did, so a test can check the fault happened.
/// </summary>
public sealed class RpcFaultProxy : IDisposable
{
    private readonly string _upstream;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random;
    private readonly object _lock = new();
    private TcpListener? _listener;
    private int _faulted, _forwarded;
    private RpcFault _fault;

    public RpcFaultProxy(string upstream, int seed = 1)
    {
        _upstream = upstream;
        _random = new Random(seed);
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        Port = ((IPEndPoint)l.LocalEndpoint).Port;
        Serve(l);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public RpcFault Fault
    {
        get => _fault;
        set
        {
            if (value == RpcFault.Refused) Refuse();
            else Accept();
            _fault = value;
        }
    }
    /// <summary>The share of requests faulted (Stale applies to all).</summary>
    public double Rate { get; set; } = 1;
    public int LatencyMs { get; set; } = 3000;
    public int LagBlocks { get; set; } = 4;
    /// <summary>Only requests of these methods are faulted (null: all).</summary>
    public HashSet<string>? Methods { get; set; }
    public int Faulted => Volatile.Read(ref _faulted);
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>Stops listening: new connections are refused (open ones are closed after their request).</summary>
    private void Refuse()
    {
        lock (_lock) { _listener?.Stop(); _listener = null; }
    }

    /// <summary>Listens again on the same port.</summary>
    private void Accept()
    {
        lock (_lock)
        {
            if (_listener is not null) return;
            var l = new TcpListener(IPAddress.Loopback, Port);
            l.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            l.Start();
            Serve(l);
        }
    }

    private void Serve(TcpListener l)
    {
        _listener = l;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await l.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException) { return; }
                _ = Task.Run(() => ConnectionAsync(c));
            }
        });
    }

    private async Task ConnectionAsync(TcpClient c)
    {
        using var _ = c;
        var s = c.GetStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var body = await ReadRequestAsync(s);
                if (body is null) return;
                if (!await AnswerAsync(c, s, body)) return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
    }

    /// <summary>Answers one request; false when the connection is to be dropped.</summary>
    private async Task<bool> AnswerAsync(TcpClient c, NetworkStream s, string body)
    {
        lock (_lock) if (_listener is null) return false; // refusing: a connection still open is dropped unanswered
        var request = JsonNode.Parse(body)!;
        var method = request["method"]?.GetValue<string>() ?? "";
        RpcFault fault;
        lock (_lock) fault = Fault != RpcFault.None && (Methods is null || Methods.Contains(method)) && (Fault == RpcFault.Stale || _random.NextDouble() < Rate) ? Fault : RpcFault.None;
        if (fault != RpcFault.None) Interlocked.Increment(ref _faulted);
        var id = request["id"]?.ToJsonString() ?? "null";
        switch (fault)
        {
            case RpcFault.BlackHole:
                await Task.Delay(Timeout.Infinite, _stop.Token).ContinueWith(_ => { });
                return false;
            case RpcFault.HeaderNotFound:
                await WriteAsync(s, 200, $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32000,\"message\":\"header not found\"}}}}");
                return true;
            case RpcFault.LimitExceeded:
                await WriteAsync(s, 200, $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32005,\"message\":\"limit exceeded\"}}}}");
                return true;
            case RpcFault.TooManyRequests:
                await WriteAsync(s, 429, "{\"error\":\"too many requests\"}", "Retry-After: 1\r\n");
                return true;
            case RpcFault.Malformed:
                await WriteAsync(s, 200, "<html><body><h1>502 Bad Gateway</h1></body></html>", contentType: "text/html");
                return true;
        }
        if (fault == RpcFault.Latency) await Task.Delay(LatencyMs, _stop.Token);
        var answer = fault == RpcFault.Stale ? await StaleAsync(request, method, body) : await ForwardAsync(body);
        switch (fault)
        {
            case RpcFault.ResetMidResponse:
                var bytes = Encoding.UTF8.GetBytes(answer);
                await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n"));
                await s.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await s.FlushAsync();
                c.Client.LingerState = new LingerOption(true, 0); // close with RST
                c.Client.Close();
                return false;
            case RpcFault.Truncated:
                answer = answer[..(answer.Length / 2)];
                break;
            case RpcFault.BadLogs when method == "eth_getLogs":
                answer = WithBadLogs(answer);
                break;
            case RpcFault.WrongId:
                var n = JsonNode.Parse(answer)!;
                n["id"] = 1_000_000 + _random.Next(1000);
                answer = n.ToJsonString();
                break;
        }
        await WriteAsync(s, 200, answer);
        return true;
    }

    private static string WithBadLogs(string answer)
    {
        var n = JsonNode.Parse(answer)!;
        if (n["result"] is not JsonArray logs) return answer;
        foreach (var l in logs.ToList())
        {
            var index = Convert.ToUInt64((string)l!["logIndex"]!, 16);
            var undecodable = l.DeepClone();
            undecodable["data"] = "0x" + new string('f', 64) + "01"; // a dynamic offset far out of range, and a stray byte
            undecodable["logIndex"] = "0x" + (index + 1000).ToString("x", CultureInfo.InvariantCulture);
            var elsewhere = l.DeepClone();
            elsewhere["address"] = "0x000000000000000000000000000000000000dead";
            elsewhere["logIndex"] = "0x" + (index + 2000).ToString("x", CultureInfo.InvariantCulture);
            logs.Add(undecodable);
            logs.Add(elsewhere);
        }
        return n.ToJsonString();
    }

    private async Task<string> ForwardAsync(string body)
    {
        Interlocked.Increment(ref _forwarded);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var r = await _http.PostAsync(_upstream, content, _stop.Token);
        return await r.Content.ReadAsStringAsync(_stop.Token);
    }

    /// <summary>The request answered by a node <see cref="LagBlocks"/> behind: "latest" means head − lag, and what is
    /// above that (blocks, receipts, logs) does not exist yet.</summary>
    private async Task<string> StaleAsync(JsonNode request, string method, string body)
    {
        var head = Convert.ToUInt64((string)JsonNode.Parse(await ForwardAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}"))!["result"]!, 16);
        var seen = head > (ulong)LagBlocks ? head - (ulong)LagBlocks : 0;
        var hex = "0x" + seen.ToString("x", CultureInfo.InvariantCulture);
        var id = request["id"]!.ToJsonString();
        string Result(string json) => $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{json}}}";
        // A block parameter as a number: "latest" is what this provider has; other tags and anything else are not numbers.
        ulong Num(JsonNode? n) => (n as JsonValue)?.TryGetValue<string>(out var v) != true ? ulong.MaxValue
            : v!.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToUInt64(v, 16) : v == "latest" ? seen : ulong.MaxValue;
        var ps = request["params"] as JsonArray;
        switch (method)
        {
            case "eth_blockNumber":
                return Result($"\"{hex}\"");
            case "eth_getBlockByNumber" when ps is [var b, ..] && Num(b) is var bn && bn != ulong.MaxValue:
                if (bn > seen) return Result("null");
                ps[0] = "0x" + bn.ToString("x", CultureInfo.InvariantCulture);
                return await ForwardAsync(request.ToJsonString());
            case "eth_getLogs" when ps is [JsonObject f, ..]:
                if (f["fromBlock"] is { } from && Num(from) is var fb && fb != ulong.MaxValue && fb > seen) return Result("[]");
                if (f["toBlock"] is null || Num(f["toBlock"]) > seen) f["toBlock"] = hex;
                return await ForwardAsync(request.ToJsonString());
            case "eth_getTransactionReceipt":
                var receipt = JsonNode.Parse(await ForwardAsync(body))!;
                return receipt["result"] is JsonObject r && Num(r["blockNumber"]) > seen ? Result("null") : receipt.ToJsonString();
        }
        if (ps is not null)
            for (int i = 0; i < ps.Count; i++)
                if (ps[i] is JsonValue v && v.TryGetValue<string>(out var tag) && tag == "latest") ps[i] = hex;
        return await ForwardAsync(request.ToJsonString());
    }

    private static async Task WriteAsync(NetworkStream s, int status, string body, string extraHeaders = "", string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var reason = status == 200 ? "OK" : status == 429 ? "Too Many Requests" : "Error";
        await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n{extraHeaders}\r\n"));
        await s.WriteAsync(bytes);
        await s.FlushAsync();
    }

    /// <summary>One HTTP request's body (Content-Length framed); null when the client closed the connection.</summary>
    private static async Task<string?> ReadRequestAsync(NetworkStream s)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await s.ReadAsync(one) == 0) return null;
            head.Add(one[0]);
        }
        var headers = Encoding.ASCII.GetString([.. head]);
        var length = 0;
        foreach (var line in headers.Split("\r\n"))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim(), CultureInfo.InvariantCulture);
        var body = new byte[length];
        await s.ReadExactlyAsync(body);
        return Encoding.UTF8.GetString(body);
    }

    public void Dispose()
    {
        _stop.Cancel();
        Refuse();
        _http.Dispose();
        _stop.Dispose();
    }
}
