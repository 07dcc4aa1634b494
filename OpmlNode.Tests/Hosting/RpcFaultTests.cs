using System.Globalization;
using OpmlNode.Chain.Contracts;
using OpmlNode.Tests.Chain;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// A faulty RPC provider between the watchdog and anvil (<see cref="RpcFaultProxy"/>), facing a lying submitter that
/// talks to anvil directly: per fault, the watchdog still wins the game, sends nothing twice, leaves no nonce stuck,
/// and logs what it met (docs/RELIABILITY.md). Then two endpoints, the primary killed mid-game.
/// </summary>
[Collection("nodes")]
public sealed class RpcFaultTests(AnvilFixture fixture, ITestOutputHelper output) : NodeTestBase(fixture, output), IClassFixture<AnvilFixture>
{
    private const string Retried = "RPC attempt {Attempt} failed";

    /// <summary>
    /// <paramref name="outageSeconds"/> 0: the fault hits <paramref name="rate"/> of the watchdog's requests for the whole
    /// game; otherwise every request for that long once the game is under way (an outage: refused, or a black hole).
    /// </summary>
    [Theory]
    [InlineData(RpcFault.ResetMidResponse, 0.2, 0, Retried)]
    [InlineData(RpcFault.Latency, 0.05, 0, null)]
    [InlineData(RpcFault.HeaderNotFound, 0.2, 0, Retried)]
    [InlineData(RpcFault.LimitExceeded, 0.2, 0, Retried)]
    [InlineData(RpcFault.TooManyRequests, 0.1, 0, Retried)]
    [InlineData(RpcFault.Truncated, 0.2, 0, Retried)]
    [InlineData(RpcFault.Malformed, 0.2, 0, Retried)]
    [InlineData(RpcFault.WrongId, 0.2, 0, Retried)]
    [InlineData(RpcFault.Stale, 1.0, 0, null)]
    [InlineData(RpcFault.BadLogs, 1.0, 0, "Ignoring a {Event} log of transaction {TxHash}")]
    [InlineData(RpcFault.Refused, 1.0, 20, "RPC circuit breaker open for {BreakSeconds} s: the endpoint keeps failing")]
    [InlineData(RpcFault.BlackHole, 1.0, 12, Retried)]
    public async Task TheWatchdogWinsItsGameThroughAFaultyProvider(RpcFault fault, double rate, int outageSeconds, string? logged)
    {
        var net = await SetUpAsync(Params with { ChallengeWindow = 20, ClockBudget = 120 });
        using var proxy = new RpcFaultProxy(chain.Anvil.RpcUrl, seed: (int)fault) { Rate = rate, LagBlocks = 3 };
        if (fault == RpcFault.Stale)
        {
            // Blocks keep coming, and the contracts just deployed are buried under more than the lag: a provider behind
            // the head does not have them before that (and the node refuses to start: "no OpmlTasks contract at …").
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_setIntervalMining", 1));
            await Task.Delay(TimeSpan.FromSeconds(proxy.LagBlocks + 2));
        }
        try
        {
            if (outageSeconds == 0) proxy.Fault = fault;
            Start("liar", 6, net, "--submitter", "--lie-slot", "3", "--poll-ms", "300");
            var port = MetricsScraper.FreePort();
            var watchdog = Start("watchdog", 7, net, "--verifier", "--rpc", proxy.Url, "--metrics-port", port.ToString(CultureInfo.InvariantCulture));
            Assert.True(await watchdog.WaitReadyAsync(TimeSpan.FromSeconds(90)), $"the watchdog did not start:\n{watchdog.Stderr}");
            var taskId = await RequestAsync(net, 60 + (int)fault);
            await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Moves >= 2, "the game is under way", TimeSpan.FromSeconds(150));
            if (outageSeconds > 0)
            {
                proxy.Fault = fault;
                await Task.Delay(TimeSpan.FromSeconds(outageSeconds));
                proxy.Fault = RpcFault.None;
            }
            await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(240));
            Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
            await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Open && await net.Tasks.CreditsAsync(Address(7)) == 0,
                "the watchdog has withdrawn its winnings", TimeSpan.FromSeconds(120));
            Assert.True(fault == RpcFault.Refused || proxy.Faulted > 0, $"the proxy faulted no request ({fault})"); // refused connections are not seen
            log.WriteLine($"{fault}: {proxy.Faulted} request(s) faulted, {proxy.Forwarded} forwarded");
            // What the watchdog logged above information (for docs/RELIABILITY.md): each template, how often, one example.
            foreach (var g in watchdog.Events().Where(e => e.TryGetProperty("@l", out _)).GroupBy(e => e.GetProperty("@mt").GetString()))
                log.WriteLine($"  {g.Count()}x {g.Key} e.g. {g.First().GetRawText()[..Math.Min(300, g.First().GetRawText().Length)]}");
            if (logged is not null) Assert.Contains(watchdog.Messages(), m => m.StartsWith(logged, StringComparison.Ordinal));
            if (fault == RpcFault.Refused)
                Assert.True(await watchdog.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("RPC circuit breaker closed", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
                    "the breaker did not close again");
            await using (var scraper = new MetricsScraper(port, TimeSpan.FromHours(1)))
            {
                var m = await scraper.ScrapeAsync();
                if (logged == Retried || fault == RpcFault.Refused) Assert.True(m["opml_rpc_errors_total"] > 0, "no RPC error counted");
                if (fault == RpcFault.BadLogs)
                {
                    Assert.True(m.GetValueOrDefault("opml_chain_logs_ignored_total{reason=\"undecodable\"}") > 0, "no undecodable log counted");
                    Assert.True(m.GetValueOrDefault("opml_chain_logs_ignored_total{reason=\"not-matching\"}") > 0, "no foreign log counted");
                    // Each bad log is logged once, though the watcher reads its range once per event kind and tick.
                    var ignored = watchdog.Events().Where(e => e.GetProperty("@mt").GetString()!.StartsWith("Ignoring a", StringComparison.Ordinal))
                        .Select(e => $"{e.GetProperty("TxHash")}:{e.GetProperty("LogIndex")}:{e.GetProperty("Event")}").ToList();
                    Assert.Equal(ignored.Count, ignored.Distinct().Count());
                }
                Assert.Equal(0, m["opml_rpc_circuit_state"]);
            }
            Assert.False(watchdog.HasExited, $"the watchdog exited:\n{watchdog.Stderr}");
            await AssertNoActionSentTwiceAsync(net, Address(7));
            await AssertNoNoncePendingAsync(7);
        }
        finally
        {
            if (fault == RpcFault.Stale)
            {
                await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_setIntervalMining", 0));
                await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(3, "evm_setAutomine", true));
            }
        }
    }

    /// <param name="laggingFallback">The fallback answers as of 3 blocks behind the head (the load-balancer case: a
    /// provider whose view of the chain is incomplete), with a block every second.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithTwoEndpointsTheWatchdogMovesToTheFallbackWhenThePrimaryDiesAndWins(bool laggingFallback)
    {
        var net = await SetUpAsync(Params with { ChallengeWindow = 20, ClockBudget = 120 });
        using var primary = new RpcFaultProxy(chain.Anvil.RpcUrl);
        using var fallback = new RpcFaultProxy(chain.Anvil.RpcUrl) { LagBlocks = 3 };
        if (laggingFallback)
        {
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_setIntervalMining", 1));
            fallback.Fault = RpcFault.Stale;
        }
        try
        {
            await TwoEndpointsAsync(net, primary, fallback);
        }
        finally
        {
            if (laggingFallback)
            {
                await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_setIntervalMining", 0));
                await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(3, "evm_setAutomine", true));
            }
        }
    }

    private async Task TwoEndpointsAsync(Devnet net, RpcFaultProxy primary, RpcFaultProxy fallback)
    {
        Start("liar", 6, net, "--submitter", "--lie-slot", "3", "--poll-ms", "300");
        var port = MetricsScraper.FreePort();
        var watchdog = Start("watchdog", 7, net, "--verifier", "--rpc", primary.Url, "--rpc-fallback", fallback.Url, "--metrics-port", port.ToString(CultureInfo.InvariantCulture));
        Assert.True(await watchdog.WaitReadyAsync(TimeSpan.FromSeconds(90)), $"the watchdog did not start:\n{watchdog.Stderr}");
        var taskId = await RequestAsync(net, 70);
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Moves >= 2, "the game is under way", TimeSpan.FromSeconds(150));
        Assert.Equal(0, fallback.Forwarded); // the primary served everything while it lived
        primary.Fault = RpcFault.Refused; // killed for the rest of the game
        await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(240));
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Open && await net.Tasks.CreditsAsync(Address(7)) == 0,
            "the watchdog has withdrawn its winnings", TimeSpan.FromSeconds(120));
        Assert.True(fallback.Forwarded > 0, "the fallback served nothing");
        Assert.Contains(watchdog.Messages(), m => m.StartsWith("RPC calls move from {From} to {To}", StringComparison.Ordinal));
        await using (var scraper = new MetricsScraper(port, TimeSpan.FromHours(1)))
        {
            var m = await scraper.ScrapeAsync();
            Assert.True(m["opml_rpc_endpoint_switches_total"] >= 1);
            Assert.Equal(1, m["opml_rpc_endpoint"]);
        }
        Assert.False(watchdog.HasExited, $"the watchdog exited:\n{watchdog.Stderr}");
        await AssertNoActionSentTwiceAsync(net, Address(7));
        await AssertNoNoncePendingAsync(7);
    }
}
