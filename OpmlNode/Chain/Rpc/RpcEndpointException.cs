namespace OpmlNode.Chain.Rpc;

/// <summary>
/// An endpoint failed to give a usable answer (no connection, reset, HTTP error, rate limit, a body that is not the
/// JSON-RPC answer to the request). A transport failure: retried, and the next endpoint is tried first. Derives from
/// <see cref="HttpRequestException"/> so that every handler of transport failures handles it.
/// </summary>
public sealed class RpcEndpointException(string endpoint, string message, TimeSpan? retryAfter = null, Exception? inner = null)
    : HttpRequestException($"{endpoint}: {message}", inner)
{
    public string Endpoint { get; } = endpoint;

    /// <summary>How long the endpoint asked to be left alone (HTTP 429/503 Retry-After), if it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
