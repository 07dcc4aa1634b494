using System.Numerics;
using Nethereum.RPC.Eth.DTOs;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Chain;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// A burst of 200 MNIST tasks against two honest submitters, a liar racing them for a share, and one watchdog: every
/// task ends final with an honest result, every lie is rejected by a game, no nonce goes wrong. Reports throughput,
/// request-to-final latency (p50, p99, on chain time) and each node's peak RSS (docs/BENCHMARKS.md, "Load").
/// </summary>
[Collection("nodes")]
public sealed class LoadTests(AnvilFixture fixture, ITestOutputHelper output) : NodeTestBase(fixture, output), IClassFixture<AnvilFixture>
{
    private int _rpcId = 500;

    [Fact]
    public async Task TwoHundredTasksInOneBurstAllEndFinalWithAnHonestResultAndEveryLieIsCaught()
    {
        const int Tasks = 200;
        var p = Params with { ChallengeWindow = 20, ClockBudget = 900, Extension = 60 };
        var net = await SetUpAsync(p);
        var nodes = new[]
        {
            Start("honest-a", 5, net, "--submitter"),
            Start("honest-b", 8, net, "--submitter"),
            Start("liar", 6, net, "--submitter", "--lie-slot", "random"),
            Start("watchdog", 7, net, "--verifier"),
        };
        foreach (var n in nodes) Assert.True(await n.WaitReadyAsync(TimeSpan.FromSeconds(90)), $"{n.Name} did not start:\n{n.Stderr}");

        // The burst: every request in the pool before any is mined, then mined as fast as blocks take them.
        using var m = ModelReader.Open(MnistModel);
        var inputs = Enumerable.Range(0, Tasks).Select(i => TaskInput.Random(m, 1000 + i).Bytes).ToArray();
        var requester = chain.Web3.TransactionManager.Account.Address;
        var nonce = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(requester, BlockParameter.CreatePending())).Value;
        var handler = chain.Web3.Eth.GetContractTransactionHandler<RequestFunction>();
        var hashes = new List<string>();
        await RpcAsync<object>("evm_setAutomine", false);
        try
        {
            for (int i = 0; i < Tasks; i++)
                hashes.Add(await handler.SendRequestAsync(net.Contracts.Tasks, new RequestFunction
                {
                    ModelId = net.ModelId,
                    Input = inputs[i],
                    Passes = 1,
                    AmountToSend = 5000,
                    Gas = 1_000_000,
                    Nonce = nonce + i,
                }));
            for (int mined = 0; mined < 100 && (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(requester, BlockParameter.CreateLatest())).Value < nonce + Tasks; mined++)
                await RpcAsync<object>("evm_mine");
        }
        finally { await RpcAsync<object>("evm_setAutomine", true); }
        var requested = new Dictionary<BigInteger, ulong>(); // task id → chain time of its request
        var blocks = new HashSet<BigInteger>();
        var requestedEvent = chain.Web3.Eth.GetEvent<TaskRequestedEvent>(net.Contracts.Tasks);
        foreach (var h in hashes)
        {
            var r = await chain.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(h);
            Assert.True(r is not null && r.Status.Value == 1, $"request {h} was not mined or reverted");
            var ev = requestedEvent.DecodeAllEventsForEvent(r.Logs).Single().Event;
            requested[ev.TaskId] = await TimeOfAsync(r.BlockNumber.Value);
            blocks.Add(r.BlockNumber.Value);
        }
        log.WriteLine($"{Tasks} requests sent before any was mined, mined in {blocks.Count} blocks");

        var start = DateTime.UtcNow;
        await WaitAsync(async () =>
        {
            foreach (var id in requested.Keys)
                if ((await net.Tasks.GetTaskAsync(id)).Status != TaskStatus.Finalized) return false;
            return true;
        }, $"all {Tasks} tasks are final", TimeSpan.FromMinutes(20));
        var wall = DateTime.UtcNow - start;
        var rss = nodes.ToDictionary(n => n.Name, n => n.PeakRssBytes());

        // Every task final with an honest node's result; for a sample, that result is the one computed here.
        var honest = new[] { Address(5), Address(8) };
        var finals = new Dictionary<BigInteger, SubmissionInfo>();
        foreach (var id in requested.Keys)
        {
            var s = await net.Tasks.GetSubmissionAsync((await net.Tasks.GetTaskAsync(id)).SubmissionId);
            Assert.Contains(s.Submitter, honest, StringComparer.OrdinalIgnoreCase);
            finals[id] = s;
        }
        var roots = ModelRoots.Load(m, TextWriter.Null);
        foreach (var (id, i) in requested.Keys.Order().Select((id, i) => (id, i)).Where(x => x.i % 20 == 0))
        {
            var task = new DisputeTask(m, roots, VmBackend.Embedded(), inputs[i], 1, 1_000_000_000);
            Assert.Equal(task.Party().Graph.FinalRoot.ToArray(), finals[id].FinalRoot);
        }

        // Every submission of the liar rejected (a game lost), and it took a share.
        var count = (int)await net.Tasks.SubmissionCountAsync();
        var lies = new List<SubmissionInfo>();
        for (int i = 1; i <= count; i++)
            if (await net.Tasks.GetSubmissionAsync(i) is var s && string.Equals(s.Submitter, Address(6), StringComparison.OrdinalIgnoreCase)) lies.Add(s);
        Assert.NotEmpty(lies);
        Assert.All(lies, s => Assert.Equal(SubmissionStatus.Rejected, s.Status));
        var games = (int)await net.Game.GameCountAsync();
        for (int g = 1; g <= games; g++) Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(g)).Winner);

        // No nonce trouble: nothing sent twice, nothing pending, no node ever told of a bad nonce.
        foreach (var n in nodes) Assert.False(n.HasExited, $"{n.Name} exited:\n{n.Stderr}");
        foreach (var a in new[] { 5, 6, 7, 8 })
        {
            await AssertNoActionSentTwiceAsync(net, Address(a));
            await AssertNoNoncePendingAsync(a);
        }
        foreach (var n in nodes)
            Assert.DoesNotContain(n.Lines, l => l.Contains("nonce too low", StringComparison.OrdinalIgnoreCase) || l.Contains("nonce too high", StringComparison.OrdinalIgnoreCase));

        // The figures, on chain time: request block to finalisation block.
        var finalizedEvent = chain.Web3.Eth.GetEvent<TaskFinalizedEvent>(net.Contracts.Tasks);
        var logs = await finalizedEvent.GetAllChangesAsync(finalizedEvent.CreateFilterInput(new BlockParameter(0), BlockParameter.CreateLatest()));
        var latencies = new List<double>();
        ulong last = 0;
        foreach (var l in logs.Where(l => requested.ContainsKey(l.Event.TaskId)))
        {
            var t = await TimeOfAsync(l.Log.BlockNumber.Value);
            last = Math.Max(last, t);
            latencies.Add(t - requested[l.Event.TaskId]);
        }
        Assert.Equal(Tasks, latencies.Count);
        latencies.Sort();
        double P(double q) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(q * latencies.Count) - 1)];
        var span = last - requested.Values.Min();
        log.WriteLine($"load: {Tasks} tasks, {lies.Count} lies caught in {games} games; all final {span} s of chain time after the first request " +
            $"({Tasks / (double)span:0.00} tasks/s), wall {wall.TotalSeconds:0} s after the burst was mined");
        log.WriteLine($"request-to-final latency (chain s; window {p.ChallengeWindow} s): p50 {P(0.5):0} s, p99 {P(0.99):0} s, max {latencies[^1]:0} s");
        log.WriteLine("peak RSS: " + string.Join(", ", rss.Select(kv => $"{kv.Key} {(kv.Value ?? 0) / (1024.0 * 1024):0} MiB")));
        foreach (var (name, bytes) in rss) Assert.True(bytes is > 0 and < 2L << 30, $"{name}: peak RSS {bytes} bytes (bound 2 GiB)");
    }

    private async Task<ulong> TimeOfAsync(BigInteger block) =>
        (ulong)(await chain.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(new Nethereum.Hex.HexTypes.HexBigInteger(block)))).Timestamp.Value;

    private Task<T> RpcAsync<T>(string method, params object[] args) => chain.Web3.Client.SendRequestAsync<T>(new Nethereum.JsonRpc.Client.RpcRequest(_rpcId++, method, args));
}
