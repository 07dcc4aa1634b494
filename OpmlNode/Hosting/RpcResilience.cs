using Nethereum.JsonRpc.Client;
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
    public static ResiliencePipeline Create(TimeSpan attemptTimeout, int retries = 6) =>
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
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<RpcClientUnknownException>().Handle<TimeoutRejectedException>(),
                FailureRatio = 0.8,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(5),
            })
            .AddTimeout(attemptTimeout)
            .Build();
}
