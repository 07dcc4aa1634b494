using Microsoft.Extensions.Logging;
using Nethereum.JsonRpc.Client;
using OpmlNode.Chain.Rpc;
using OpmlNode.Hosting.Metrics;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace OpmlNode.Hosting;

/// <summary>
/// The resilience pipeline around every RPC call of the node (Polly.Core): a per-attempt timeout, retries with
/// exponential back-off and jitter on transport failures, and a circuit breaker that stops hammering a dead endpoint.
/// Contract reverts are not transport failures and are never retried.
/// </summary>
public static class RpcResilience
{
    /// <summary>The pipeline; with <paramref name="metrics"/>, every failed attempt counts as an RPC error and the breaker's
    /// state is published; with <paramref name="log"/>, every retry (attempt, error, delay) and every change of the
    /// breaker is logged.</summary>
    public static ResiliencePipeline Create(TimeSpan attemptTimeout, int retries = 6, NodeMetrics? metrics = null, ILogger? log = null) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<RpcClientUnknownException>()
                    .Handle<RpcClientTimeoutException>().Handle<TimeoutRejectedException>().Handle<BrokenCircuitException>()
                    .Handle<RpcResponseException>(IsTransient),
                // An endpoint that said how long to wait (HTTP 429/503 Retry-After) is believed, up to a bound.
                DelayGenerator = a => ValueTask.FromResult(a.Outcome.Exception is RpcEndpointException { RetryAfter: { } ra }
                    ? (TimeSpan?)TimeSpan.FromSeconds(Math.Clamp(ra.TotalSeconds, 0.1, 10)) : null),
                MaxRetryAttempts = retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = a =>
                {
                    metrics?.RpcErrors.Inc();
                    log?.LogWarning("RPC attempt {Attempt} failed: {RpcError}; retrying in {DelayMs} ms", a.AttemptNumber + 1,
                        a.Outcome.Exception?.Message ?? "no result", (int)a.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<RpcClientUnknownException>().Handle<TimeoutRejectedException>()
                    .Handle<RpcResponseException>(IsTransient),
                FailureRatio = 0.8,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromSeconds(10), // short: the successes before an outage must not hide it for long
                BreakDuration = TimeSpan.FromSeconds(5),
                OnOpened = a =>
                {
                    metrics?.CircuitState.Set(1);
                    log?.LogError("RPC circuit breaker open for {BreakSeconds} s: the endpoint keeps failing", a.BreakDuration.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ => { metrics?.CircuitState.Set(0.5); return ValueTask.CompletedTask; },
                OnClosed = _ =>
                {
                    metrics?.CircuitState.Set(0);
                    log?.LogInformation("RPC circuit breaker closed: the endpoint answers again");
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(attemptTimeout)
            .Build();

    /// <summary>
    /// JSON-RPC errors a provider gives when it is overloaded or behind, not because the call is wrong: -32005 (limit
    /// exceeded), -32603 (internal error), and -32000 with a message a load-balanced provider gives for a block or state
    /// it does not have yet. Every other error (a revert, "nonce too low", bad parameters) is the answer, not a fault.
    /// </summary>
    public static bool IsTransient(RpcResponseException e) => e.RpcError?.Code switch
    {
        -32005 or -32603 => true,
        -32000 => e.RpcError.Message is { } m && Transient32000.Any(t => m.Contains(t, StringComparison.OrdinalIgnoreCase)),
        _ => false,
    };

    private static readonly string[] Transient32000 = ["header not found", "unknown block", "missing trie node", "limit exceeded", "rate limit", "timeout", "try again"];
}
