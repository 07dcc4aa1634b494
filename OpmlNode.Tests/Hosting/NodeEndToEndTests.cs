using System.Net.Sockets;
using System.Numerics;
using System.Text.Json;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Hosting;
using OpmlNode.Hosting.Devnet;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Storage;
using OpmlNode.Tests.Chain;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// The daemon end to end: real `opml-node run` processes (each with its own key and RocksDB directory) on a real chain
/// (anvil) with the real MNIST model; the test only deploys, registers and requests, then watches the chain.
/// </summary>
[Collection("nodes")]
public sealed class NodeEndToEndTests(AnvilFixture fixture, ITestOutputHelper output) : NodeTestBase(fixture, output), IClassFixture<AnvilFixture>
{
    [Fact]
    public async Task AnHonestResultFinalizesAndTheLogsAreJsonWithoutTheKey()
    {
        var net = await SetUpAsync();
        var honest = Start("honest", 5, net, "--submitter");
        var other = await RegisterOtherModelAsync(net); // a task for a model this node does not serve is skipped with a log line
        var skipped = (await net.Tasks.RequestAsync(other.Id, TaskInput.Random(other.Model, 1).Bytes, 1, 5000)).Event.TaskId;
        var taskId = await RequestAsync(net, 1);
        var final = await WaitFinalAsync(net, taskId);
        Assert.Equal(Address(5), final.Submitter, StringComparer.OrdinalIgnoreCase);
        await WaitAsync(async () => await net.Tasks.CreditsAsync(Address(5)) == 0, "the submitter withdraws fee + bond");
        honest.Terminate(TimeSpan.FromSeconds(30));
        Assert.Equal(0, honest.ExitCode);
        var events = honest.Events(); // every line parses as one JSON object
        Assert.NotEmpty(events);
        Assert.Contains(events, e => e.TryGetProperty("TaskId", out var t) && t.ToString() == taskId.ToString());
        foreach (var e in events.Where(e => System.Text.RegularExpressions.Regex.IsMatch(e.GetProperty("@mt").GetString()!, @"\b[Tt]ask\b")))
            Assert.True(e.TryGetProperty("TaskId", out _), $"a line about a task without its TaskId property: {e}");
        Assert.DoesNotContain(Anvil.DevPrivateKeys[5][2..], string.Join('\n', honest.Lines), StringComparison.OrdinalIgnoreCase);
        Assert.Contains(events, e => e.GetProperty("@mt").GetString()!.StartsWith("Skipping task", StringComparison.Ordinal) && e.GetProperty("TaskId").ToString() == skipped.ToString());
        Assert.Equal(TaskStatus.Open, (await net.Tasks.GetTaskAsync(skipped)).Status);
    }

    [Fact]
    public async Task ALyingSubmitterIsChallengedLosesItsBondAndTheTaskIsResubmittedAndFinalized()
    {
        var net = await SetUpAsync();
        var liar = Start("liar", 6, net, "--submitter", "--lie-slot", "random", "--seed", "11");
        var taskId = await RequestAsync(net, 2);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var data = Path.Combine(_dir, "watchdog-data");
        var port = MetricsScraper.FreePort();
        var watchdog = Start("watchdog", 7, net, "--submitter", "--verifier", "--data", data, "--undo-ranges", "3", "--metrics-port", port.ToString());
        await using var scraper = new MetricsScraper(port, TimeSpan.FromMilliseconds(250));
        var final = await WaitFinalAsync(net, taskId);
        Assert.Equal(Address(7), final.Submitter, StringComparer.OrdinalIgnoreCase);
        var first = await net.Tasks.GetSubmissionAsync(1);
        Assert.Equal((SubmissionStatus.Rejected, Address(6).ToLowerInvariant()), (first.Status, first.Submitter.ToLowerInvariant()));
        var game = await net.Game.GetGameAsync(1);
        Assert.Equal((Stage.Resolved, Side.Challenger), (game.Stage, game.Winner));
        Assert.Contains(liar.Events(), e => e.TryGetProperty("LieSlot", out _)); // the drawn slot is logged with its seed
        await WaitAsync(async () => await net.Tasks.CreditsAsync(Address(7)) == 0, "the watchdog withdraws");
        // All that stays held is the liar's lost share, credited to the burn address (PROTOCOL §5.6).
        var loss = Params.SubmitterBond * Params.LossBps / 10_000;
        Assert.Equal(loss, await net.Tasks.CreditsAsync(DeployParameters.BurnAddress));
        Assert.Equal(loss, await net.Tasks.LiabilitiesAsync());
        log.WriteLine($"liar lost at slot {game.Slot}; {game.Moves} moves");
        await AssertMetricsFollowedTheGameAsync(scraper, game);
        // Nothing secret in any line of a whole dispute: neither node's key, in any case, on stdout or stderr.
        foreach (var (node, account) in new[] { (liar, 6), (watchdog, 7) })
        {
            var all = string.Join('\n', [.. node.Lines, node.Stderr]);
            Assert.DoesNotContain(Anvil.DevPrivateKeys[account][2..], all, StringComparison.OrdinalIgnoreCase);
        }

        // Once the finalisation is 3 applied ranges deep (past the undo window), the task's traces leave the database.
        bool TracesDeleted(JsonElement e) => e.TryGetProperty("Keys", out _) && e.TryGetProperty("TaskId", out var t) && t.GetUInt64() == (ulong)taskId;
        for (int i = 0; i < 8 && !watchdog.Events().Any(TracesDeleted); i++)
        {
            await chain.Web3.Client.SendRequestAsync<string>(new Nethereum.JsonRpc.Client.RpcRequest(10 + i, "evm_mine"));
            await Task.Delay(400);
        }
        Assert.True(await watchdog.WaitForLogAsync(TracesDeleted, TimeSpan.FromSeconds(10)), "the watchdog kept the final task's traces");
        Assert.Equal(0, watchdog.Terminate(TimeSpan.FromSeconds(30)));
        using var db = RocksColumnsDb.Open(new StorageOptions { Path = data });
        Assert.All(DbSchema.TraceColumns, c => Assert.Empty(db.GetColumn(c).Iterate([])));
        Assert.NotNull(new NodeStore(db).Task((ulong)taskId)); // its record stays
    }

    [Fact]
    public async Task ASubmitterLyingAtAVmStepIsCaughtByTheOneStepProof()
    {
        var net = await SetUpAsync();
        var liar = Start("liar", 6, net, "--submitter", "--lie-step", "2:middle");
        var taskId = await RequestAsync(net, 7);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        Start("watchdog", 7, net, "--submitter", "--verifier");
        var final = await WaitFinalAsync(net, taskId);
        Assert.Equal(Address(7), final.Submitter, StringComparer.OrdinalIgnoreCase);
        var game = await net.Game.GetGameAsync(1);
        Assert.Equal((Stage.Resolved, Side.Challenger, 2UL), (game.Stage, game.Winner, game.Slot));
        Assert.Contains(liar.Events(), e => e.TryGetProperty("LieStep", out _));
    }

    [Fact]
    public async Task ALyingChallengerLosesAgainstAnHonestSubmitter()
    {
        var net = await SetUpAsync();
        Start("honest", 8, net, "--submitter");
        Start("troll", 9, net, "--verifier", "--challenge-correct");
        var taskId = await RequestAsync(net, 3);
        var final = await WaitFinalAsync(net, taskId);
        Assert.Equal(Address(8), final.Submitter, StringComparer.OrdinalIgnoreCase);
        var game = await net.Game.GetGameAsync(1);
        Assert.Equal((Stage.Resolved, Side.Submitter), (game.Stage, game.Winner));
    }

    public static TheoryData<bool, string> StopPoints() => new()
    {
        { true, "phase 1" }, { true, "after the link" }, { true, "phase 2" },
        { false, "phase 1" }, { false, "after the link" }, { false, "phase 2" },
    };

    [Theory]
    [MemberData(nameof(StopPoints))]
    public async Task AStoppedOrKilledVerifierRestartsResumesAndWinsWithoutSendingAnyCallTwice(bool kill, string point)
    {
        var net = await SetUpAsync();
        Start("liar", 6, net, "--submitter", "--lie-slot", "3", "--poll-ms", "900"); // a slow liar: each stop point lasts a while
        var taskId = await RequestAsync(net, 4);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var data = Path.Combine(_dir, "watchdog-data");
        var watchdog = Start("watchdog", 7, net, "--verifier", "--data", data, "--poll-ms", "400");
        Func<GameInfo, bool> reached = point switch
        {
            "phase 1" => g => g.Moves >= 1,
            "after the link" => g => g.Stage >= Stage.Final,
            _ => g => g.Stage is Stage.Steps or Stage.Step && g.Moves >= 9,
        };
        if (point == "phase 1") // the watchdog's own first choice: stop it right after sending it (the slow liar moves next)
            Assert.True(await watchdog.WaitForLogAsync(e => e.TryGetProperty("Action", out var a) && a.GetString() == "game:1:turn:1", TimeSpan.FromSeconds(60)),
                "the watchdog never made its first move");
        else
            await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && reached(await net.Game.GetGameAsync(1)), $"the game reaches {point}");
        var at = await net.Game.GetGameAsync(1);
        if (kill) watchdog.Kill();
        else Assert.Equal(0, watchdog.Terminate(TimeSpan.FromSeconds(30)));
        log.WriteLine($"{(kill ? "killed" : "stopped")} the watchdog at {at.Stage}, move {at.Moves}");
        var restarted = Start("watchdog-2", 7, net, "--verifier", "--data", data);
        await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(120));
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
        // It read its traces back from its database (slot roots, S_i, Merkle nodes, checkpoints), not recomputed them.
        Assert.True(await restarted.WaitForLogAsync(e => e.TryGetProperty("TraceSource", out var s) && s.GetString() == "read from the database", TimeSpan.FromSeconds(5)),
            "the restarted watchdog did not read its trace from its database");
        await AssertNoActionSentTwiceAsync(net, Address(7));
        await AssertNoActionSentTwiceAsync(net, Address(6));
    }

    [Fact]
    public async Task TwoVerifiersOnOneLyingResultBothKeepTheirBonds()
    {
        var net = await SetUpAsync();
        Start("liar", 6, net, "--submitter", "--lie-slot", "4");
        var taskId = await RequestAsync(net, 5);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        Start("watchdog-a", 7, net, "--verifier");
        Start("watchdog-b", 8, net, "--verifier");
        await WaitAsync(async () => await net.Game.GameCountAsync() == 2, "both challenge");
        await WaitAsync(async () =>
        {
            var (a, b) = (await net.Game.GetGameAsync(1), await net.Game.GetGameAsync(2));
            return a.Stage is Stage.Resolved or Stage.Cancelled && b.Stage is Stage.Resolved or Stage.Cancelled
                && await net.Tasks.CreditsAsync(Address(7)) == 0 && await net.Tasks.CreditsAsync(Address(8)) == 0;
        }, "one game rejects the result, the other is cancelled, both withdraw");
        var stages = new[] { (await net.Game.GetGameAsync(1)).Stage, (await net.Game.GetGameAsync(2)).Stage };
        Assert.Contains(Stage.Resolved, stages);
        Assert.Contains(Stage.Cancelled, stages);
        // Held: the reopened task's fee and the liar's lost share (credited to the burn address).
        var loss = Params.SubmitterBond * Params.LossBps / 10_000;
        Assert.Equal(loss, await net.Tasks.CreditsAsync(DeployParameters.BurnAddress));
        Assert.Equal(loss, await net.Tasks.LiabilitiesAsync() - (await net.Tasks.GetTaskAsync(taskId)).Fee);
    }

    [Fact]
    public async Task ASilentOpponentLosesOnItsClock()
    {
        var net = await SetUpAsync(Params with { ClockBudget = 4, Extension = 2 });
        Start("liar", 6, net, "--submitter", "--lie-slot", "2", "--silent-after-move", "1");
        var taskId = await RequestAsync(net, 6);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        Start("watchdog", 7, net, "--verifier");
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends on the clock");
        var g = await net.Game.GetGameAsync(1);
        Assert.Equal(Side.Challenger, g.Winner);
        Assert.True(g.Moves <= 4, $"the silent liar should have lost early, after {g.Moves} moves");
    }

    [Fact]
    public async Task AChainReorganisationIsUndoneAndTheReplacedTaskIsReadAgain()
    {
        var net = await SetUpAsync();
        var watchdog = Start("watchdog", 7, net, "--verifier");
        var snapshot = await chain.Web3.Client.SendRequestAsync<string>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_snapshot"));
        var first = await RequestAsync(net, 21);
        Assert.True(await watchdog.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Task {TaskId} requested", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));
        // Replace the block of that request: the same task id, another input (a deeper chain than the replaced one).
        Assert.True(await chain.Web3.Client.SendRequestAsync<bool>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_revert", snapshot)));
        // The revert also took the chain's clock back; set it to the wall clock again for the tests that share this anvil.
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(9, "evm_setTime", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        // A fresh signer: the shared one may have cached a nonce of the replaced blocks.
        var requester = new OpmlTasksService(new Web3(new Account(Anvil.DevPrivateKeys[0], chain.Anvil.ChainId), chain.Anvil.RpcUrl), net.Contracts.Tasks);
        using var m = ModelReader.Open(MnistModel);
        var second = (await requester.RequestAsync(net.ModelId, TaskInput.Random(m, 22).Bytes, 1, 5000)).Event.TaskId;
        Assert.Equal(first, second);
        for (int i = 0; i < 3; i++) await chain.Web3.Client.SendRequestAsync<string>(new Nethereum.JsonRpc.Client.RpcRequest(3 + i, "evm_mine"));
        Assert.True(await watchdog.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Chain reorganisation", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            $"the watchdog did not notice the reorganisation:\n{string.Join('\n', watchdog.Lines.TakeLast(15))}");
        // An honest result for the new input must not be challenged: a watchdog still holding the replaced input would.
        Start("honest", 8, net, "--submitter");
        await WaitFinalAsync(net, second);
        Assert.Equal(BigInteger.Zero, await net.Game.GameCountAsync());
    }

    [Fact]
    public async Task AChallengeAReorganisationRemovesIsBroadcastAgainAndTheLiarStillLoses()
    {
        var net = await SetUpAsync();
        Start("liar", 6, net, "--submitter", "--lie-slot", "2", "--poll-ms", "900");
        var taskId = await RequestAsync(net, 31);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var snapshot = await chain.Web3.Client.SendRequestAsync<string>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_snapshot"));
        var watchdog = Start("watchdog", 7, net, "--verifier", "--poll-ms", "300");
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1, "the watchdog challenges");
        // Take the challenge's block (and whatever followed) off the chain, and set the clock the revert took back.
        Assert.True(await chain.Web3.Client.SendRequestAsync<bool>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_revert", snapshot)));
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(9, "evm_setTime", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        Assert.Equal(BigInteger.Zero, await net.Game.GameCountAsync());
        Assert.True(await watchdog.WaitForLogAsync(e => e.TryGetProperty("Action", out var a) && a.GetString() == "challenge:1"
            // Seen as a reorganisation, or (the chain is shorter now) as blocks above the head: either way broadcast again.
            && e.GetProperty("@mt").GetString() is { } mt && (mt.StartsWith("Reorganisation removed", StringComparison.Ordinal) || mt.Contains("above the provider's head", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60)),
            "the watchdog did not notice its challenge was removed");
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends",
            TimeSpan.FromSeconds(120));
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
        await AssertNoActionSentTwiceAsync(net, Address(7)); // the same signed challenge, mined once on the chain as it is now
    }

    [Fact]
    public async Task UnderASystemdServiceManagerTheNodeNotifiesReadyAfterItsChecksAndStoppingOnSigterm()
    {
        var net = await SetUpAsync();
        // The host's systemd lifetime turns on when the parent process is named "systemd" (Microsoft.Extensions.Hosting.
        // Systemd's check); a copy of bash under that name plays the manager: it starts the node as its child, forwards
        // SIGTERM to it, and the test listens on the NOTIFY_SOCKET datagram socket as systemd does for Type=notify.
        var dir = Directory.CreateTempSubdirectory("sd-").FullName;
        var manager = Path.Combine(dir, "systemd");
        File.Copy("/bin/bash", manager);
        var socketPath = Path.Combine(dir, "notify");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var node = Start("systemd-unit", 8, net, ["--verifier"], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath },
            [manager, "-c", "\"$@\" & child=$!; trap 'kill -TERM $child' TERM; wait $child; wait $child", "systemd"]);
        var ready = await ReceiveAsync(socket, TimeSpan.FromSeconds(60));
        Assert.Contains("READY=1", ready);
        Assert.Contains(node.Messages(), m => m.StartsWith("Node {Address} on chain", StringComparison.Ordinal)); // ready only after the start-up checks
        var stopping = ReceiveAsync(socket, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Contains("STOPPING=1", await stopping);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>The watchdog's /metrics as the game went: one open game with its clock counting, then won; the lie
    /// disagreed with; its own result submitted and final; caught up; the probes answer.</summary>
    private async Task AssertMetricsFollowedTheGameAsync(MetricsScraper scraper, GameInfo game)
    {
        await WaitAsync(async () => (await scraper.ScrapeAsync())["opml_games_open"] == 0 && (await scraper.ScrapeAsync())["opml_tasks_finalized"] >= 1, "the metrics see the game over");
        var samples = scraper.Samples;
        log.WriteLine($"{samples.Count} scrapes");
        var during = samples.Where(s => s["opml_games_open"] == 1).ToList();
        Assert.NotEmpty(during);
        var clocks = during.Select(s => s["opml_game_clock_min_seconds"]).Where(double.IsFinite).ToList();
        Assert.NotEmpty(clocks);
        Assert.All(clocks, c => Assert.InRange(c, -(double)Params.Extension, Params.ClockBudget + Params.Extension * 4.0));
        Assert.True(samples.First()["opml_games_won"] == 0 && double.IsNaN(samples.First()["opml_game_clock_min_seconds"]) || samples.First()["opml_games_open"] == 1,
            "the first scrape is before the game or during it");
        var end = await scraper.ScrapeAsync();
        Assert.Equal((1, 0, 0, 1), (end["opml_games_won"], end["opml_games_lost"], end["opml_games_open"], end["opml_submissions_disagreed"]));
        Assert.True(double.IsNaN(end["opml_game_clock_min_seconds"]));
        Assert.True(end["opml_submissions_verified_total"] >= 1 && end["opml_tasks_submitted"] >= 1 && end["opml_tasks_seen"] >= 1);
        Assert.InRange(end["opml_head_lag_blocks"], 0, 2);
        Assert.True(end["opml_compute_seconds_total{kind=\"graph\"}"] > 0 && end["opml_compute_seconds_total{kind=\"move\"}"] > 0);
        Assert.Equal((double)(Params.SubmitterBond + Params.ChallengerBond), end["opml_bonds_needed_wei"]);
        Assert.True(end["opml_wallet_balance_wei"] > 1e18, "the wallet balance (anvil's 10,000 ETH less gas)");
        Assert.Equal(0, end["opml_rpc_circuit_state"]);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await scraper.GetAsync("/healthz")).Status);
        var ready = await scraper.GetAsync("/readyz");
        Assert.True(ready.Status == System.Net.HttpStatusCode.OK, ready.Body);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await scraper.GetAsync("/nope")).Status);
        Assert.True(game.Moves > 0);
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task ALiarInALatePassOfTheTrainedLlamaIsCaughtOnChainAndTheHonestTextIsFinal()
    {
        // The KJV LLaMA imported from its GGUF (models/llama-kjv), served by real nodes: a lying submitter forges one slot
        // of the second-to-last pass; the watchdog plays both phases against it on chain and wins.
        var kjv = Path.Combine(_dir, "kjv.opml");
        ModelWriter.Write(kjv, OpmlNode.Tests.Inference.Import.Gguf.GgufImportAccuracyTests.ImportKjv("q8_0").Model);
        var net = await SetUpAsync(Params with { ClockBudget = 120 }, kjv);
        using var m = ModelReader.Open(kjv);
        var prompt = ModelSynth.PromptInput("And I saw"u8.ToArray().Select(b => (int)b).ToArray());
        const int passes = 9 + 8; // the prompt, then 8 new tokens
        int n = m.Nodes.Count;
        long lieSlot = (long)(passes - 2) * n + n / 2;
        var honestRun = new OpmlNode.Inference.Graphs.GraphRunner(m).Run(prompt, passes);
        Start("liar", 6, net, "--submitter", "--lie-slot", lieSlot.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var watchdog = Start("watchdog", 7, net, "--verifier");
        Assert.True(await watchdog.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Node {Address} on chain", StringComparison.Ordinal), TimeSpan.FromSeconds(60)));
        var taskId = (await net.Tasks.RequestAsync(net.ModelId, prompt, passes, 5000)).Event.TaskId;
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        Start("honest", 5, net, "--submitter");
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends",
            TimeSpan.FromSeconds(240));
        var game = await net.Game.GetGameAsync(1);
        Assert.Equal(Side.Challenger, game.Winner);
        log.WriteLine($"{n} nodes × {passes} passes = {honestRun.SlotCount} slots; the game took {game.Moves} moves");
        var final = await WaitFinalAsync(net, taskId);
        Assert.Equal(Address(5), final.Submitter, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(honestRun.FinalRoot.ToArray(), final.FinalRoot);
        await AssertNoActionSentTwiceAsync(net, Address(7));
    }

    [Fact]
    public void BadSettingsStopTheStartWithOneLineAndExitCode2()
    {
        var keyFile = Path.Combine(_dir, "bad.key");
        File.WriteAllText(keyFile, "not a key");
        var p = new NodeProcess("bad", ["--rpc", "ftp://x", "--key-file", keyFile, "--deployment", Path.Combine(_dir, "none.json"), "--submitter",
            "--model", "1=" + Path.Combine(_dir, "missing.opml")], workingDirectory: Path.GetTempPath());
        _nodes.Add(p);
        Assert.Equal(2, p.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("RpcUrl 'ftp://x' is not an http(s) URL", p.Stderr);
        Assert.Contains("does not hold a 32-byte hex private key", p.Stderr);
        Assert.Contains("no deployment file", p.Stderr);
        Assert.Contains("missing.opml does not exist", p.Stderr);
        Assert.DoesNotContain("   at ", p.Stderr);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>
    /// Issue 15 §3: 50 challengers (keys derived here, funded with <c>anvil_setBalance</c>) challenge one correct result
    /// in one block. The first <c>Players</c> of them play their games to the end from the test as lying challengers
    /// (each claims a wrong slot, chooses by its own false trace and steps at the end); the rest never move, a lying
    /// challenger's cheapest play. The honest submitter node must answer every game within its clock, win the played
    /// games at the step, claim every timeout and be credited all 50 bonds. Logs how long the 50 first answers took and
    /// the tightest submitter clock left after its answer.
    /// </summary>
    [Fact]
    public async Task AnHonestSubmitterNodeDefendsFiftyGamesOpenedInOneBlock()
    {
        const int Challengers = 50, Players = 8;
        var p = Params with { ChallengeWindow = 300, ClockBudget = 120, Extension = 20 };
        var net = await SetUpAsync(p);
        Start("defender", 5, net, "--submitter");
        var taskId = await RequestAsync(net, 3);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the node submits");

        var keys = Enumerable.Range(0, Challengers)
            .Select(i => "0x" + Convert.ToHexStringLower(OpmlNode.Crypto.Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes($"challenger {i}")).ToArray())).ToArray();
        var accounts = keys.Select(k => new Account(k, chain.Anvil.ChainId)).ToArray();
        foreach (var a in accounts)
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "anvil_setBalance", a.Address, "0x56BC75E2D63100000")); // 100 ETH
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_setAutomine", false));
        var hashes = new List<string>();
        try
        {
            foreach (var a in accounts)
            {
                var w = new Web3(a, chain.Anvil.RpcUrl);
                hashes.Add(await w.Eth.GetContractTransactionHandler<ChallengeFunction>().SendRequestAsync(net.Contracts.Tasks,
                    new ChallengeFunction { TaskId = taskId, AmountToSend = p.ChallengerBond, Gas = 400_000, Nonce = 0 }));
            }
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_mine"));
        }
        finally { await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(3, "evm_setAutomine", true)); }
        var blocks = new HashSet<BigInteger>();
        foreach (var h in hashes)
        {
            var receipt = await chain.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(h);
            Assert.True(receipt is not null && receipt.Status.Value == 1, $"challenge {h} was not mined or reverted");
            blocks.Add(receipt.BlockNumber.Value);
        }
        Assert.Single(blocks); // all 50 in one block
        var gameIds = Enumerable.Range(1, Challengers).Select(i => new BigInteger(i)).ToArray();
        Assert.Equal(new BigInteger(Challengers), await net.Game.GameCountAsync());

        var sw = System.Diagnostics.Stopwatch.StartNew();
        await WaitAsync(async () =>
        {
            foreach (var id in gameIds)
                if ((await net.Game.GetGameAsync(id)).ToMove != Side.Challenger) return false;
            return true;
        }, "the node answers all 50 games", TimeSpan.FromSeconds(p.ClockBudget));
        var answered = sw.Elapsed;
        var games = new List<GameInfo>();
        foreach (var id in gameIds) games.Add(await net.Game.GetGameAsync(id));
        var tightest = games.Min(g => g.SubmitterClock);
        Assert.All(games, g => Assert.True(g.Moves >= 1 && g.SubmitterClock > 0));

        // The playing liars: each disputes the result with a trace false from its own slot on.
        using var m = ModelReader.Open(MnistModel);
        var task = new DisputeTask(m, ModelRoots.Load(m, TextWriter.Null), VmBackend.Embedded(), TaskInput.Random(m, 3).Bytes, 1, 1_000_000_000);
        long slots = task.Party().Graph.Length;
        var players = Enumerable.Range(0, Players).Select(i => new ChainGamePlayer(
            new DisputeGameService(new Web3(accounts[i], chain.Anvil.RpcUrl), net.Contracts.Game), Role.Challenger,
            task.Party(new FaultInjection(i % slots)))).ToArray();
        int liarMoves = 0;
        await WaitAsync(async () =>
        {
            bool over = true;
            for (int i = 0; i < Players; i++)
            {
                var view = await players[i].ReadAsync(gameIds[i]);
                if (view.Phase == GamePhase.Resolved) continue;
                over = false;
                if (view.ToMove == Role.Challenger && await players[i].MoveAsync(gameIds[i]) is not null) liarMoves++;
            }
            return over;
        }, "the playing liars' games end", TimeSpan.FromSeconds(p.ClockBudget));
        for (int i = 0; i < Players; i++)
        {
            var g = await net.Game.GetGameAsync(gameIds[i]);
            Assert.Equal((Side.Submitter, Resolution.Step), (g.Winner, (await ResolutionAsync(net, gameIds[i]))));
        }
        foreach (var id in gameIds) tightest = Math.Min(tightest, (await net.Game.GetGameAsync(id)).SubmitterClock);

        // The challengers never answer: past their clocks the node claims every timeout.
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(4, "evm_increaseTime", (long)p.ClockBudget + 1));
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(5, "evm_mine"));
        await WaitAsync(async () =>
        {
            foreach (var id in gameIds)
                if ((await net.Game.GetGameAsync(id)).Stage != Stage.Resolved) return false;
            return true;
        }, "the node claims all 50 timeouts", TimeSpan.FromSeconds(120));
        foreach (var id in gameIds) Assert.Equal(Side.Submitter, (await net.Game.GetGameAsync(id)).Winner);
        var ev = chain.Web3.Eth.GetEvent<CreditedEvent>(net.Contracts.Tasks);
        var credited = await ev.GetAllChangesAsync(ev.CreateFilterInput(Address(5), BlockParameter.CreateEarliest(), BlockParameter.CreateLatest()));
        var won = credited.Where(c => c.Event.Reason == CreditReason.SubmitterWon).ToList();
        Assert.Equal(Challengers, won.Count);
        Assert.Equal(Challengers * p.ChallengerBond, won.Aggregate(BigInteger.Zero, (a, c) => a + c.Event.Amount));
        log.WriteLine($"50 games opened in one block: the node answered all in {answered.TotalSeconds:F1} s; {Players} liars played to the step ({liarMoves} moves); tightest submitter clock left {tightest} s of C = {p.ClockBudget} s; all 50 bonds credited after {sw.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task ASubmitPricedBeforeTheBaseFeeRoseTenfoldIsReplacedAndMinedOnceBeforeItsDeadline()
    {
        var net = await SetUpAsync();
        var taskId = await RequestAsync(net, 4);
        var from = Address(8);
        var nonce0 = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from)).Value;
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_setAutomine", false));
        try
        {
            var node = Start("fees", 8, net, "--submitter", "--replace-after", "2");
            Assert.True(await node.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Sending {Action}", StringComparison.Ordinal), TimeSpan.FromSeconds(60)),
                $"the node did not sign its submit:\n{string.Join('\n', node.Lines.TakeLast(10))}");
            // Signed at today's fees; the next block's base fee is ten times the max fee it was signed with (on a long-idle
            // devnet the base fee is a few wei and the tip is all of the price): the transaction cannot be included.
            var sending = node.Events().First(e => e.GetProperty("@mt").GetString()!.StartsWith("Sending {Action}", StringComparison.Ordinal));
            var signed = await chain.Web3.Eth.Transactions.GetTransactionByHash.SendRequestAsync(sending.GetProperty("TxHash").GetString());
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "anvil_setNextBlockBaseFeePerGas", "0x" + (signed.MaxFeePerGas.Value * 10).ToString("x")));
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(3, "evm_mine"));
            Assert.Equal(TaskStatus.Open, (await net.Tasks.GetTaskAsync(taskId)).Status);
            var expiry = (await net.Tasks.GetTaskAsync(taskId)).RequestedAt + (ulong)await net.Tasks.TaskExpiryAsync();
            for (int i = 0; i < 60 && (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Open; i++)
            {
                await Task.Delay(1000);
                await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(4, "evm_mine"));
            }
            Assert.Equal(TaskStatus.Submitted, (await net.Tasks.GetTaskAsync(taskId)).Status);
            var head = await chain.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());
            Assert.True((ulong)head.Timestamp.Value < expiry, "mined after the submission's deadline");
            var replaced = node.Events().Where(e => e.GetProperty("@mt").GetString()!.Contains("replacing {OldHash}", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(replaced);
            // One submit, no nonce gap or stuck nonce: everything the node signed is mined, and nothing twice.
            var mined = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from)).Value;
            var pending = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from, BlockParameter.CreatePending())).Value;
            Assert.Equal(mined, pending);
            Assert.Equal(nonce0 + 1, mined);
            await AssertNoActionSentTwiceAsync(net, from);
            log.WriteLine($"base fee at 10x the signed max fee: {replaced.Count} replacement(s), submit mined {(ulong)expiry - (ulong)head.Timestamp.Value} s before its deadline");
        }
        finally { await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(5, "evm_setAutomine", true)); }
    }

    [Fact]
    public async Task ANodeKilledAfterSigningAReplacementRecognisesTheMinedCandidateAndSubmitsOnce()
    {
        var net = await SetUpAsync();
        var taskId = await RequestAsync(net, 5);
        var from = Address(9);
        var nonce0 = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from)).Value;
        var data = Path.Combine(_dir, "killed-fees-data");
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_setAutomine", false));
        try
        {
            var node = Start("killed-fees", 9, net, "--submitter", "--replace-after", "1", "--data", data);
            // No block is mined: the submit stays pending and the node replaces it; SIGKILL once a replacement is signed
            // and stored (it may or may not have been broadcast yet).
            Assert.True(await node.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.Contains("replacing {OldHash}", StringComparison.Ordinal), TimeSpan.FromSeconds(60)),
                $"the node did not replace its submit:\n{string.Join('\n', node.Lines.TakeLast(10))}");
            node.Kill();
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_mine"));
            var restarted = Start("killed-fees-2", 9, net, "--submitter", "--replace-after", "1", "--data", data);
            for (int i = 0; i < 60 && (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Open; i++)
            {
                await Task.Delay(1000);
                await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(3, "evm_mine"));
            }
            Assert.Equal(TaskStatus.Submitted, (await net.Tasks.GetTaskAsync(taskId)).Status);
            Assert.Equal(from, (await net.Tasks.GetSubmissionAsync((await net.Tasks.GetTaskAsync(taskId)).SubmissionId)).Submitter, StringComparer.OrdinalIgnoreCase);
            Assert.True(await restarted.WaitForLogAsync(e => e.GetProperty("@mt").GetString()!.StartsWith("Resuming {Action}", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
                "the restarted node did not resume its stored transaction");
            Assert.DoesNotContain(restarted.Events(), e => e.GetProperty("@mt").GetString()!.StartsWith("Sending {Action}", StringComparison.Ordinal));
            var mined = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from)).Value;
            Assert.Equal(nonce0 + 1, mined);
            Assert.Equal(mined, (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from, BlockParameter.CreatePending())).Value);
            await AssertNoActionSentTwiceAsync(net, from);
        }
        finally { await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(4, "evm_setAutomine", true)); }
    }

    [Fact]
    public async Task ASubmitterWhoseBalanceCannotCoverTheBondAndAWholeGamesGasRefusesOnceAndSubmitsWhenFunded()
    {
        var net = await SetUpAsync();
        var from = Address(9);
        var original = (await chain.Web3.Eth.GetBalance.SendRequestAsync(from)).Value;
        async Task SetBalance(BigInteger wei) =>
            await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "anvil_setBalance", from, "0x" + wei.ToString("x")));
        // 0.001 ETH: more than the bond (10^6 wei), far less than the bond plus a whole game's gas at today's max fee.
        await SetBalance(BigInteger.Pow(10, 15));
        try
        {
            var taskId = await RequestAsync(net, 6);
            var nonce = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from)).Value;
            var node = Start("poor", 9, net, "--submitter");
            static bool Refusal(System.Text.Json.JsonElement e) => e.GetProperty("@mt").GetString()!.Contains("does not cover the bond", StringComparison.Ordinal);
            Assert.True(await node.WaitForLogAsync(Refusal, TimeSpan.FromSeconds(60)), $"no refusal:\n{string.Join('\n', node.Lines.TakeLast(10))}");
            await Task.Delay(2000); // a few more ticks: the refusal is not repeated, nothing is sent
            Assert.Equal(TaskStatus.Open, (await net.Tasks.GetTaskAsync(taskId)).Status);
            Assert.Equal(nonce, (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(from)).Value);
            var refusal = Assert.Single(node.Events(), Refusal);
            Assert.Equal("Error", refusal.GetProperty("@l").GetString());
            Assert.True(refusal.TryGetProperty("Need", out _) && refusal.TryGetProperty("Gas", out _), $"the refusal lacks its figures: {refusal}");
            await SetBalance(original);
            await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status != TaskStatus.Open, "the funded node submits");
            Assert.Equal(from, (await net.Tasks.GetSubmissionAsync((await net.Tasks.GetTaskAsync(taskId)).SubmissionId)).Submitter, StringComparer.OrdinalIgnoreCase);
        }
        finally { await SetBalance(original); }
    }

    /// <summary>
    /// Issue 21: a whole dispute on a congested chain: a block a second, each with a base fee 12.5 % above the last (as
    /// after a full block), from 5 gwei. The watchdog still wins. Reported: what each side paid, its replacements, and
    /// how many of the watchdog's transactions a legacy sender (one price at signing, never replaced) would have had
    /// stuck: one priced at the latest block's base fee + tip is not includable once 12.5 % of the base fee exceeds the tip.
    /// </summary>
    [Fact]
    public async Task ADisputeOnACongestedChainWithOneSecondBlocksAndARisingBaseFeeIsWonByTheWatchdog()
    {
        var net = await SetUpAsync(Params with { ClockBudget = 240, Extension = 30 });
        Start("liar", 6, net, "--submitter", "--lie-slot", "2", "--replace-after", "2");
        var taskId = await RequestAsync(net, 7);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var first = (ulong)(await chain.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value + 1;
        await using (await CongestedChain.StartAsync(chain))
        {
            Start("watchdog", 7, net, "--verifier", "--replace-after", "2");
            await WaitAsync(async () => await net.Game.GameCountAsync() == 1 && (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(300));
        }
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);
        await AssertNoActionSentTwiceAsync(net, Address(7));
        var moves = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Address(7))).Value;
        Assert.True(moves >= 3, $"the watchdog's game was too short to say anything ({moves} transactions)");
        log.WriteLine(await FeeReportAsync(first));
    }

    /// <summary>
    /// Issue 21, the baseline: the same congested chain and the same liar against a watchdog that signs as the node did
    /// before (--legacy-fees: one legacy price at eth_gasPrice when signed, never replaced). Once the base fee passes that
    /// price its transaction stays in the pool, every later nonce waits behind it, and the lie is not rejected: the liar
    /// wins on time (or its result becomes final unchallenged). Reported: what each side paid and what was left stuck.
    /// </summary>
    [Fact]
    public async Task OnTheSameCongestedChainALegacySenderLetsTheLiarWin()
    {
        var net = await SetUpAsync(Params with { ClockBudget = 40, Extension = 10 });
        Start("liar", 6, net, "--submitter", "--lie-slot", "2", "--replace-after", "2");
        var taskId = await RequestAsync(net, 7);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits");
        var first = (ulong)(await chain.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value + 1;
        NodeProcess watchdog;
        await using (await CongestedChain.StartAsync(chain))
        {
            watchdog = Start("watchdog", 7, net, "--verifier", "--legacy-fees");
            // The lie stands either way: a game the liar wins on time, or a result final because the challenge never landed.
            await WaitAsync(async () =>
            {
                if (await net.Game.GameCountAsync() == 1) return (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved;
                return (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Finalized;
            }, "the lie stands", TimeSpan.FromSeconds(300));
        }
        if (await net.Game.GameCountAsync() == 1) Assert.Equal(Side.Submitter, (await net.Game.GetGameAsync(1)).Winner);
        else Assert.Equal(TaskStatus.Finalized, (await net.Tasks.GetTaskAsync(taskId)).Status);
        var events = watchdog.Events().ToList();
        static string Template(System.Text.Json.JsonElement e) => e.GetProperty("@mt").GetString()!;
        Assert.Contains(events, e => Template(e).StartsWith("Legacy fees", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => Template(e).Contains("replacing {OldHash}", StringComparison.Ordinal));
        // What it sent and what the chain took: an action priced below the next base fee is refused by anvil's pool (geth's
        // would hold it unmined); either way it is never mined, and every later move of the key waits behind it.
        var sent = events.Where(e => Template(e).StartsWith("Sending {Action}", StringComparison.Ordinal)).ToList();
        var mined = (await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Address(7))).Value;
        Assert.True(sent.Count > mined, $"every action of the legacy watchdog was mined ({sent.Count} sent, {mined} mined):\n" +
            string.Join('\n', watchdog.Lines.TakeLast(15)));
        var refused = events.Count(e => Template(e).Contains("the pool refused", StringComparison.Ordinal));
        log.WriteLine(await FeeReportAsync(first) + $"legacy watchdog: {sent.Count} action(s) signed ({string.Join(", ", sent.Select(e => $"{e.GetProperty("Action")} at {e.GetProperty("Fees")}"))}), " +
            $"{mined} mined, {refused} refusal(s) by the pool for its fees; the lie stands\n");
    }

    /// <summary>A congested chain on anvil, for as long as it is not disposed: automining off, a block a second, each
    /// with a base fee 12.5 % above the last (as after a full block) from 5 gwei, held from 2000 gwei so the 1559 side
    /// can still pay; automining back on at the end.</summary>
    private sealed class CongestedChain : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly AnvilFixture _chain;
        private Task _miner = Task.CompletedTask;

        private CongestedChain(AnvilFixture chain) => _chain = chain;

        public static async Task<CongestedChain> StartAsync(AnvilFixture chain)
        {
            var c = new CongestedChain(chain);
            await c.RpcAsync("evm_setAutomine", false);
            c._miner = Task.Run(async () =>
            {
                BigInteger next = 5_000_000_000, hold = 2_000_000_000_000;
                while (!c._stop.IsCancellationRequested)
                {
                    await c.RpcAsync("anvil_setNextBlockBaseFeePerGas", "0x" + next.ToString("x"));
                    await c.RpcAsync("evm_mine");
                    next = BigInteger.Min(next * 9 / 8 + 1, hold);
                    try { await Task.Delay(1000, c._stop.Token); } catch (OperationCanceledException) { }
                }
            });
            return c;
        }

        private Task RpcAsync(string method, params object[] args) =>
            _chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, method, args));

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _miner;
            await RpcAsync("evm_setAutomine", true);
            _stop.Dispose();
        }
    }

    /// <summary>What the watchdog (account 7) and the liar (6) paid from block <paramref name="first"/> on, with their
    /// replacements, and how many of their mined transactions a legacy sender priced at the previous block's base fee plus
    /// the same tip would have had stuck.</summary>
    private async Task<string> FeeReportAsync(ulong first)
    {
        var head = (ulong)(await chain.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        var report = new System.Text.StringBuilder();
        foreach (var (name, account) in new[] { ("watchdog", 7), ("liar", 6) })
        {
            BigInteger paid = 0, legacyPaid = 0;
            int txs = 0, stuck = 0;
            BigInteger? previousBase = null;
            for (ulong b = first - 1; b <= head; b++)
            {
                var block = await chain.Web3.Eth.Blocks.GetBlockWithTransactionsByNumber.SendRequestAsync(new BlockParameter(b));
                var baseFee = block.BaseFeePerGas.Value;
                foreach (var t in block.Transactions.Where(t => string.Equals(t.From, Address(account), StringComparison.OrdinalIgnoreCase)))
                {
                    var r = await chain.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(t.TransactionHash);
                    txs++;
                    paid += r.GasUsed.Value * r.EffectiveGasPrice.Value;
                    // The legacy sender's best case: priced at the previous block's base fee + the same tip, right before this block.
                    var legacyPrice = (previousBase ?? baseFee) + (t.MaxPriorityFeePerGas?.Value ?? 0);
                    if (legacyPrice < baseFee) stuck++;
                    else legacyPaid += r.GasUsed.Value * legacyPrice;
                }
                previousBase = baseFee;
            }
            var replaced = _nodes.Where(n => n.Name == name).SelectMany(n => n.Events())
                .Count(e => e.GetProperty("@mt").GetString()!.Contains("replacing {OldHash}", StringComparison.Ordinal));
            report.Append($"{name}: {txs} transactions mined, {replaced} replacement(s), paid {Nethereum.Web3.Web3.Convert.FromWei(paid)} ETH; " +
                $"a legacy sender priced at the previous block's base fee would have had {stuck} of them stuck (and paid {Nethereum.Web3.Web3.Convert.FromWei(legacyPaid)} ETH for the rest)\n");
        }
        var lastBase = (await chain.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(head))).BaseFeePerGas.Value;
        return $"congested chain: blocks {first}..{head}, base fee 5 -> {FeeGwei(lastBase)} gwei\n{report}";
    }

    private static string FeeGwei(BigInteger wei) => OpmlNode.Chain.Fees.FeePolicy.Gwei(wei).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<Resolution> ResolutionAsync(Devnet net, BigInteger gameId)
    {
        var ev = chain.Web3.Eth.GetEvent<GameResolvedEvent>(net.Contracts.Game);
        var logs = await ev.GetAllChangesAsync(ev.CreateFilterInput(gameId, BlockParameter.CreateEarliest(), BlockParameter.CreateLatest()));
        return Assert.Single(logs).Event.How;
    }

}
