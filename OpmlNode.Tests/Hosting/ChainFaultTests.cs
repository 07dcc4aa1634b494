using System.Numerics;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Cli;
using OpmlNode.Tests.Chain;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// The chain misbehaving under running nodes (docs/RELIABILITY.md): anvil stopped for longer than a poll and started
/// again on its state, anvil replaced by a fresh chain behind the same URL, and reorganisations (<c>anvil_reorg</c>) at
/// depth 1, at the confirmations, one deeper, and deeper than a node's undo window, all while a game is in progress.
/// </summary>
[Collection("nodes")]
public sealed class ChainFaultTests(AnvilFixture fixture, ITestOutputHelper output) : NodeTestBase(fixture, output), IClassFixture<AnvilFixture>
{
    private const int Confirmations = 2;
    private int _rpcId = 100;

    [Fact]
    public async Task AGameGoesOnWhenAnvilIsStoppedForSecondsAndStartedAgainOnItsState()
    {
        var net = await SetUpAsync(Params with { ClockBudget = 120 });
        Start("liar", 6, net, "--submitter", "--lie-slot", "3", "--poll-ms", "300");
        var taskId = await RequestAsync(net, 51);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var watchdog = Start("watchdog", 7, net, "--verifier");
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Moves >= 2, "the game is under way");
        var before = await net.Game.GetGameAsync(1);
        await chain.RestartAsync(TimeSpan.FromSeconds(6), fresh: false); // 60 polls of the watchdog's
        log.WriteLine($"anvil down for 6 s at {before.Stage}, move {before.Moves}");
        await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(120));
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
        // It saw the chain go away: its RPC calls were retried with back-off (logged with the attempt and the delay).
        Assert.Contains(watchdog.Messages(), m => m.StartsWith("RPC attempt {Attempt} failed", StringComparison.Ordinal));
        Assert.False(watchdog.HasExited);
        await AssertNoActionSentTwiceAsync(net, Address(7));
        await AssertNoActionSentTwiceAsync(net, Address(6));
    }

    [Fact]
    public async Task ReorganisationsAtDepthOneTheConfirmationsOneMoreAndBeyondTheUndoWindowDuringAGame()
    {
        var net = await SetUpAsync(Params with { ClockBudget = 240, Extension = 20 });
        await RpcAsync<object>("evm_setIntervalMining", 1); // blocks keep coming: the confirmations are reached
        try
        {
            Start("liar", 6, net, "--submitter", "--lie-slot", "3", "--poll-ms", "300", "--confirmations", $"{Confirmations}");
            var taskId = await RequestAsync(net, 52);
            await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
            var watchdog = Start("watchdog", 7, net, "--verifier", "--confirmations", $"{Confirmations}");
            // An honest submitter with an undo window of 4 applied ranges: the deep reorganisation must stop it.
            var shallow = Start("shallow", 8, net, "--submitter", "--confirmations", $"{Confirmations}", "--undo-ranges", "4");
            await WaitAsync(async () => await net.Game.GameCountAsync() >= 1 && (await net.Game.GetGameAsync(1)).Moves >= 1, "the game opens");
            var removed = new List<string>();
            foreach (var depth in new[] { 1, Confirmations, Confirmations + 1 })
            {
                var at = await net.Game.GetGameAsync(1);
                removed.AddRange(await ReorgAsync(depth));
                log.WriteLine($"reorganised {depth} block(s) at {at.Stage}, move {at.Moves}; removed so far: {removed.Count} transaction(s) of the nodes");
                if (depth <= Confirmations) // only blocks not applied yet were replaced: nothing to undo
                    Assert.DoesNotContain(watchdog.Messages(), m => m.StartsWith("Chain reorganisation: block", StringComparison.Ordinal));
                await WaitAsync(async () => (await net.Game.GetGameAsync(1)) is var g && (g.Moves >= at.Moves + 2 || g.Stage == Stage.Resolved),
                    $"the game goes on after the reorganisation of depth {depth}", TimeSpan.FromSeconds(90));
            }
            Assert.True(await watchdog.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Chain reorganisation: block", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                "the reorganisation one deeper than the confirmations was not undone");
            await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(180));
            Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);

            // Deeper than the shallow verifier's window: it stops with exit code 3 and the documented error; the others undo it.
            MayExit.Add(shallow.Name);
            removed.AddRange(await ReorgAsync(16));
            Assert.Equal(ExitCodes.Halted, shallow.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains("deeper than the undo window", shallow.Stderr, StringComparison.Ordinal);
            await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved && await net.Tasks.CreditsAsync(Address(7)) == 0,
                "the game is resolved again and the watchdog has withdrawn", TimeSpan.FromSeconds(120));
            Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);

            // Every transaction a reorganisation removed was broadcast again and is mined (the same signed bytes: once).
            Assert.NotEmpty(removed);
            foreach (var hash in removed)
                await WaitAsync(async () => await chain.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash) is not null, $"{hash} is mined again", TimeSpan.FromSeconds(60));
            foreach (var n in _nodes.Where(n => !n.HasExited)) n.Terminate(TimeSpan.FromSeconds(30));
            foreach (var a in new[] { 6, 7 })
            {
                await AssertNoActionSentTwiceAsync(net, Address(a));
                await AssertNoNoncePendingAsync(a);
            }
        }
        finally
        {
            await RpcAsync<object>("evm_setIntervalMining", 0);
            await RpcAsync<object>("evm_setAutomine", true);
        }
    }

    [Fact]
    public async Task AFreshChainBehindTheSameUrlStopsTheNodeWithExitCode3AndItsDataIsRefusedThere()
    {
        var net = await SetUpAsync();
        var data = Path.Combine(_dir, "watchdog-data");
        var watchdog = Start("watchdog", 7, net, "--verifier", "--data", data);
        Assert.True(await watchdog.WaitReadyAsync(TimeSpan.FromSeconds(60)), "the watchdog did not start");
        await RequestAsync(net, 53); // something for it to follow
        await Task.Delay(1000);
        await chain.RestartAsync(TimeSpan.FromSeconds(1), fresh: true);
        Assert.Equal(ExitCodes.Halted, watchdog.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("genesis", watchdog.Stderr, StringComparison.Ordinal);
        Assert.Equal(BigInteger.Zero, (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Address(7), BlockParameter.CreatePending())).Value);
        // Started again on the same data directory: refused at start-up, with the same reason.
        var again = Start("watchdog-again", 7, net, "--verifier", "--data", data);
        Assert.Equal(ExitCodes.Halted, again.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("genesis", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(BigInteger.Zero, (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Address(7), BlockParameter.CreatePending())).Value);
    }

    /// <summary>Replaces the last <paramref name="depth"/> blocks by empty ones; returns the hashes of the liar's and
    /// the watchdog's transactions (accounts 6 and 7) that were in them. Mining pauses first, long enough for every
    /// watcher to apply all it may (up to head − confirmations): the depth is then exact relative to what they applied.</summary>
    private async Task<List<string>> ReorgAsync(int depth)
    {
        await RpcAsync<object>("evm_setIntervalMining", 0);
        await Task.Delay(1500);
        var head = (ulong)(await chain.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var nodes = new[] { 6, 7 }.Select(Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var removed = new List<string>();
        for (ulong b = head - (ulong)depth + 1; b <= head; b++)
        {
            var block = await chain.Web3.Eth.Blocks.GetBlockWithTransactionsByNumber.SendRequestAsync(new BlockParameter(b));
            removed.AddRange(block.Transactions.Where(t => nodes.Contains(t.From)).Select(t => t.TransactionHash));
        }
        await RpcAsync<object>("anvil_reorg", depth, Array.Empty<object>());
        await RpcAsync<object>("evm_setIntervalMining", 1);
        return removed;
    }

    private Task<T> RpcAsync<T>(string method, params object[] args) => chain.Web3.Client.SendRequestAsync<T>(new RpcRequest(_rpcId++, method, args));
}
