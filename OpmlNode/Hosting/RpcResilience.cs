using Microsoft.Extensions.Logging;
using Nethereum.JsonRpc.Client;
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
                    .Handle<RpcClientTimeoutException>().Handle<TimeoutRejectedException>().Handle<BrokenCircuitException>(),
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
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<RpcClientUnknownException>().Handle<TimeoutRejectedException>(),
                FailureRatio = 0.8,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromSeconds(30),
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
}
