using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Nethereum.JsonRpc.Client;
using Nethereum.JsonRpc.Client.RpcMessages;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpmlNode.Chain.Rpc;

/// <summary>
/// A Nethereum JSON-RPC client over one or more endpoints (the first is the primary, the others fallbacks). Each call
/// goes to the first endpoint not resting; an endpoint that fails (<see cref="RpcEndpointException"/>) rests for
/// <see cref="RestTime"/> (or its Retry-After) and the call goes on to the next, so one dead provider costs one failed
/// attempt, not a game. Every answer is checked to be the JSON-RPC answer to the request sent (its id): a proxy that
/// mixes up answers must not make the node act on another call's result. JSON-RPC errors are returned as they are
/// (Nethereum raises them); what is retried is decided by the caller's pipeline.
/// </summary>
public sealed class FailoverRpcClient : ClientBase, IDisposable
{
    private readonly Endpoint[] _endpoints;
    private readonly ILogger? _log;
    private readonly JsonSerializerSettings _json = DefaultJsonSerializerSettingsFactory.BuildDefaultJsonSerializerSettings();
    private int _current;

    public FailoverRpcClient(IReadOnlyList<string> urls, TimeSpan attemptTimeout, ILogger? log = null)
    {
        if (urls.Count == 0) throw new ArgumentException("no RPC endpoint", nameof(urls));
        _log = log;
        _endpoints = [.. urls.Select(u => new Endpoint(u, new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = attemptTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2), // DNS changes of a provider are picked up
        }) { Timeout = attemptTimeout }))];
    }

    /// <summary>How long a failed endpoint is passed over while another one is left.</summary>
    public TimeSpan RestTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Raised when calls move to another endpoint: (from, to, why).</summary>
    public event Action<string, string, string>? Switched;

    public IReadOnlyList<string> Urls => [.. _endpoints.Select(e => e.Url)];

    /// <summary>The endpoint calls go to now.</summary>
    public string Current => _endpoints[Volatile.Read(ref _current)].Url;

    public override async Task<RpcResponseMessage> SendAsync(RpcRequestMessage request, string? route = null)
    {
        var body = JsonConvert.SerializeObject(request, _json);
        RpcEndpointException? last = null;
        // Resting endpoints are tried too, last, and only when every other one failed: a single provider is never given up.
        foreach (var i in Order())
        {
            var e = _endpoints[i];
            try
            {
                var response = await PostAsync(e, body, request.Id).ConfigureAwait(false);
                if (i != Volatile.Read(ref _current)) MoveTo(i, last?.Message ?? "the preferred endpoint rests");
                e.RestUntil = DateTime.MinValue;
                return response;
            }
            catch (RpcEndpointException x)
            {
                last = x;
                e.RestUntil = DateTime.UtcNow + (x.RetryAfter is { } ra && ra > RestTime ? ra : RestTime);
                if (_endpoints.Length > 1) _log?.LogWarning("RPC endpoint {Endpoint} failed: {RpcError}; it rests {RestSeconds} s", e.Url, x.Message,
                    (int)(e.RestUntil - DateTime.UtcNow).TotalSeconds);
            }
        }
        throw last!;
    }

    protected override async Task<RpcResponseMessage[]> SendAsync(RpcRequestMessage[] requests)
    {
        var responses = new RpcResponseMessage[requests.Length];
        for (int i = 0; i < requests.Length; i++) responses[i] = await SendAsync(requests[i]).ConfigureAwait(false);
        return responses;
    }

    /// <summary>The primary first unless it rests; resting endpoints after the others, the soonest awake first.</summary>
    private IEnumerable<int> Order()
    {
        var now = DateTime.UtcNow;
        return Enumerable.Range(0, _endpoints.Length).OrderBy(i => _endpoints[i].RestUntil > now ? 1 : 0)
            .ThenBy(i => _endpoints[i].RestUntil > now ? _endpoints[i].RestUntil.Ticks : i);
    }

    private void MoveTo(int i, string why)
    {
        var from = _endpoints[Interlocked.Exchange(ref _current, i)].Url;
        if (from == _endpoints[i].Url) return;
        _log?.LogWarning("RPC calls move from {From} to {To}: {Why}", from, _endpoints[i].Url, why);
        Switched?.Invoke(from, _endpoints[i].Url, why);
    }

    private async Task<RpcResponseMessage> PostAsync(Endpoint e, string body, object id)
    {
        HttpResponseMessage http;
        string text;
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            http = await e.Http.PostAsync(e.Url, content).ConfigureAwait(false);
            text = await http.Content.ReadAsStringAsync().ConfigureAwait(false);
        }
        catch (HttpRequestException x) { throw new RpcEndpointException(e.Url, x.Message, inner: x); }
        catch (TaskCanceledException x) { throw new RpcEndpointException(e.Url, $"no answer within {e.Http.Timeout.TotalSeconds:0.#} s", inner: x); }
        catch (IOException x) { throw new RpcEndpointException(e.Url, x.Message, inner: x); }
        using (http)
        {
            if (http.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                throw new RpcEndpointException(e.Url, $"HTTP {(int)http.StatusCode} (rate limited or overloaded)", RetryAfter(http));
            if (!http.IsSuccessStatusCode)
                throw new RpcEndpointException(e.Url, $"HTTP {(int)http.StatusCode} {http.ReasonPhrase}: {Clip(text)}");
        }
        JObject json;
        try { json = JObject.Parse(text); }
        catch (JsonException x) { throw new RpcEndpointException(e.Url, $"not a JSON-RPC answer ({x.Message}): {Clip(text)}", inner: x); }
        var answerId = json["id"];
        if (answerId is null || !string.Equals(answerId.ToString(), Convert.ToString(id, CultureInfo.InvariantCulture), StringComparison.Ordinal))
            throw new RpcEndpointException(e.Url, $"answered request id {answerId?.ToString() ?? "(none)"} to request id {id}");
        if (json["error"] is JObject err)
            return new RpcResponseMessage(id, new Nethereum.JsonRpc.Client.RpcMessages.RpcError
            {
                Code = err.Value<int?>("code") ?? 0,
                Message = err.Value<string>("message") ?? "",
                Data = err["data"],
            });
        if (!json.ContainsKey("result")) throw new RpcEndpointException(e.Url, $"an answer with neither result nor error: {Clip(text)}");
        return new RpcResponseMessage(id, (object)json["result"]!);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage http) =>
        http.Headers.RetryAfter is { } ra ? ra.Delta ?? (ra.Date is { } d ? d - DateTimeOffset.UtcNow : null) : null;

    private static string Clip(string s) => s.Length <= 120 ? s : s[..120] + "…";

    public void Dispose()
    {
        foreach (var e in _endpoints) e.Http.Dispose();
    }

    private sealed class Endpoint(string url, HttpClient http)
    {
        public string Url { get; } = url;
        public HttpClient Http { get; } = http;
        public DateTime RestUntil { get; set; } = DateTime.MinValue;
    }
}
