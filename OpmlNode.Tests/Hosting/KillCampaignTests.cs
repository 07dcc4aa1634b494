using System.Diagnostics;
using System.Numerics;
using System.Text;
using Nethereum.RPC.Eth.DTOs;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Hosting;
using OpmlNode.Hosting.Devnet;
using OpmlNode.Storage;
using OpmlNode.Tests.Chain;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// The kill campaign (docs/RELIABILITY.md): one node of a dispute is SIGKILLed by its own crash point (<c>--crash-at</c>)
/// at each point of its path through the game in turn, and restarted on the same data directory every time. The
/// dispute must still end with that node's win, no call on the chain twice, no nonce left pending, and a database
/// that opens with every transaction's outcome known.
/// </summary>
[Collection("nodes")]
public sealed class KillCampaignTests(AnvilFixture fixture, ITestOutputHelper output) : NodeTestBase(fixture, output), IClassFixture<AnvilFixture>
{
    // A window long enough for a challenge after four kills, clocks long enough for a dozen restarts on one side.
    private static readonly DeployParameters Campaign = Params with { ChallengeWindow = 30, ClockBudget = 300, Extension = 15 };

    /// <summary>The watchdog's points, in the order its dispute against a lying submitter reaches them.</summary>
    public static readonly string[] VerifierPoints =
    [
        "startup", "db-batch", "signed:Challenge", "journaled:Challenge", "broadcast:Challenge", "mined:Challenge",
        "move:phase1", "move:after-link", "vm-trace", "move:phase2", "broadcast:GameStep", "mined:Withdraw",
    ];

    /// <summary>The honest submitter's points, in the order its dispute against a lying challenger reaches them.</summary>
    public static readonly string[] SubmitterPoints =
    [
        "startup", "db-batch", "signed:Submit", "journaled:Submit", "broadcast:Submit", "mined:Submit",
        "move:phase1", "mined:Link", "vm-trace", "move:phase2", "event:GameResolved", "broadcast:Finalize", "mined:Withdraw",
    ];

    [Fact]
    public async Task AWatchdogKilledAtEachPointOfItsDisputeWinsItWithNothingSentTwice()
    {
        var net = await SetUpAsync(Campaign);
        var liar = Start("liar", 6, net, "--submitter", "--lie-slot", "3", "--poll-ms", "300");
        var taskId = await RequestAsync(net, 41);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var report = await RunCampaignAsync("watchdog", 7, net, ["--verifier"], VerifierPoints,
            async () => await net.Game.GameCountAsync() >= 1 && (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved
                && await net.Tasks.CreditsAsync(Address(7)) == 0);
        liar.Terminate(TimeSpan.FromSeconds(30));
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
        await AssertCleanAfterwardsAsync(net, 7, "watchdog", report);
    }

    [Fact]
    public async Task AnHonestSubmitterKilledAtEachPointOfItsDisputeWinsItWithNothingSentTwice()
    {
        var net = await SetUpAsync(Campaign);
        var troll = Start("troll", 9, net, "--verifier", "--challenge-correct", "--poll-ms", "300");
        var taskId = await RequestAsync(net, 42);
        var report = await RunCampaignAsync("honest", 8, net, ["--submitter"], SubmitterPoints,
            async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Finalized && await net.Tasks.CreditsAsync(Address(8)) == 0);
        troll.Terminate(TimeSpan.FromSeconds(30));
        var game = await net.Game.GetGameAsync(1);
        Assert.Equal((Stage.Resolved, Side.Submitter), (game.Stage, game.Winner));
        Assert.Equal(Address(8), (await net.Tasks.GetSubmissionAsync((await net.Tasks.GetTaskAsync(taskId)).SubmissionId)).Submitter, StringComparer.OrdinalIgnoreCase);
        await AssertCleanAfterwardsAsync(net, 8, "honest", report);
    }

    [Fact]
    public async Task AWatchdogKilledRightAfterItsCancelIsMinedCancelsOnceAndWithdrawsItsBond()
    {
        var net = await SetUpAsync(Campaign with { ChallengeWindow = 6 });
        Start("liar", 6, net, "--submitter", "--lie-slot", "4");
        var taskId = await RequestAsync(net, 43);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var data = new Dictionary<int, string> { [7] = Path.Combine(_dir, "a-data"), [8] = Path.Combine(_dir, "b-data") };
        var first = new Dictionary<int, NodeProcess>
        {
            [7] = Start("watchdog-a", 7, net, "--verifier", "--data", data[7], "--crash-at", "mined:Cancel"),
            [8] = Start("watchdog-b", 8, net, "--verifier", "--data", data[8], "--crash-at", "mined:Cancel"),
        };
        // Whichever loses the race to reject the submission cancels its game, and dies the moment the cancel is mined.
        await WaitAsync(() => Task.FromResult(first.Values.Any(n => n.HasExited)), "a watchdog cancels its game", TimeSpan.FromSeconds(180));
        var (account, killed) = first.First(kv => kv.Value.HasExited);
        killed.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.Contains(CrashedAt + "mined:Cancel", killed.Stderr, StringComparison.Ordinal);
        var restarted = Start(killed.Name + "-2", account, net, "--verifier", "--data", data[account]);
        await WaitAsync(async () =>
        {
            var (a, b) = (await net.Game.GetGameAsync(1), await net.Game.GetGameAsync(2));
            return a.Stage is Stage.Resolved or Stage.Cancelled && b.Stage is Stage.Resolved or Stage.Cancelled
                && await net.Tasks.CreditsAsync(Address(7)) == 0 && await net.Tasks.CreditsAsync(Address(8)) == 0;
        }, "one game rejects the result, the other is cancelled, both withdraw");
        Assert.True(await restarted.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Resuming", StringComparison.Ordinal)
            || e.GetProperty("@mt").GetString()!.StartsWith("Withdrawing", StringComparison.Ordinal), TimeSpan.FromSeconds(5)), "the restarted watchdog did nothing");
        foreach (var n in _nodes.Where(n => !n.HasExited)) n.Terminate(TimeSpan.FromSeconds(30));
        foreach (var a in new[] { 7, 8 })
        {
            await AssertNoActionSentTwiceAsync(net, Address(a));
            await AssertNoNoncePendingAsync(a);
        }
        Assert.Equal(1, await CountCallsAsync(net, Address(account), "cancel"));
    }

    /// <summary>
    /// Starts the node armed with each point in turn, on one data directory: each run must die at its point (SIGKILL,
    /// exit 137); the last run has no point and must bring the dispute to <paramref name="done"/>. Returns the report
    /// lines (point, game state when killed, seconds from the restart to the node's next start-up log line).
    /// </summary>
    private async Task<List<string>> RunCampaignAsync(string name, int account, Devnet net, string[] args, IReadOnlyList<string> points, Func<Task<bool>> done)
    {
        var data = Path.Combine(_dir, name + "-data");
        var report = new List<string>();
        for (int i = 0; i <= points.Count; i++)
        {
            var point = i < points.Count ? points[i] : null;
            var clock = Stopwatch.StartNew();
            var node = Start($"{name}-{i}", account, net, [.. args, "--data", data, .. point is null ? Array.Empty<string>() : ["--crash-at", point]]);
            if (point is null)
            {
                // Past its start-up checks and the resumption of what the last kill left in flight, then to the end.
                Assert.True(await node.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Node {Address} on chain", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(60)), $"{name} did not start again:\n{node.Stderr}");
                await WaitAsync(done, $"the dispute ends after the last restart of {name}", TimeSpan.FromSeconds(240));
                break;
            }
            await WaitAsync(async () => node.HasExited || await done(), $"{name} reaches {point}", TimeSpan.FromSeconds(180));
            // The chain can show the dispute done a moment before the node sees the receipt its point follows
            // (mined:Withdraw): give it that moment.
            for (int w = 0; w < 100 && !node.HasExited; w++) await Task.Delay(100);
            Assert.True(node.HasExited, $"{name}: the dispute ended without reaching {point}");
            node.WaitForExit(TimeSpan.FromSeconds(10));
            Assert.True(node.Stderr.Contains(CrashedAt + point, StringComparison.Ordinal), $"{name} exited ({node.ExitCode}) but not at {point}:\n{node.Stderr}");
            Assert.Equal(137, node.ExitCode); // 128 + SIGKILL
            var g = await net.Game.GameCountAsync() >= 1 ? await net.Game.GetGameAsync(1) : null;
            var line = $"{point,-22} killed after {clock.Elapsed.TotalSeconds,5:0.0} s; game 1 {(g is null ? "not opened" : $"{g.Stage}, move {g.Moves}")}";
            report.Add(line);
            log.WriteLine($"{name}: {line}");
        }
        return report;
    }

    /// <summary>After the campaign: nothing sent twice, no nonce pending, and a database that opens and knows every
    /// transaction's outcome.</summary>
    private async Task AssertCleanAfterwardsAsync(Devnet net, int account, string name, List<string> report)
    {
        foreach (var n in _nodes.Where(n => !n.HasExited)) Assert.Equal(0, n.Terminate(TimeSpan.FromSeconds(30)));
        await AssertNoActionSentTwiceAsync(net, Address(account));
        await AssertNoNoncePendingAsync(account);
        using (var db = RocksColumnsDb.Open(new StorageOptions { Path = Path.Combine(_dir, name + "-data") }))
        {
            var store = new NodeStore(db);
            Assert.All(store.Transactions(), t => Assert.Equal(1, t.Status));
            Assert.True(store.Game(1) is { Over: true, Won: true }, "the database does not record the won game");
        }
        var text = new StringBuilder($"kill campaign of the {name} ({report.Count} points):\n");
        foreach (var l in report) text.AppendLine("  " + l);
        log.WriteLine(text.ToString());
    }

    /// <summary>Mined calls of <paramref name="function"/> (by its ABI name) from <paramref name="from"/>.</summary>
    private async Task<int> CountCallsAsync(Devnet net, string from, string function)
    {
        var selector = "0x" + Convert.ToHexString(OpmlNode.Crypto.Keccak256.Hash(Encoding.ASCII.GetBytes(function + "(uint256)")).ToArray()[..4]).ToLowerInvariant();
        int n = 0;
        await foreach (var t in MinedCallsAsync(net, from))
            if (string.Equals(t.To, net.Contracts.Game, StringComparison.OrdinalIgnoreCase) && t.Input.StartsWith(selector, StringComparison.Ordinal)) n++;
        return n;
    }
}
