using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using OpmlNode.Tests.Inference;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// The domain code under the operator verbs against a real anvil: the deployment file round trip and its checks, the
/// connection checks, idempotent model registration, and a task followed through every transition (submitted,
/// challenged, rejected by a timeout, resubmitted, finalized) with the status snapshot in between.
/// </summary>
public sealed class ChainVerbsTests(AnvilFixture chain, ITestOutputHelper log) : IClassFixture<AnvilFixture>, IDisposable
{
    private readonly ModelTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task DeploymentFileRoundTripsAndVerifiesAndAnAddressWithoutCodeIsAClearError()
    {
        var deployed = await DeployedContracts.DeployAsync(chain.Web3, chain.ContractsDir, DeployParameters.Devnet);
        var path = _dir.File("deployment.json");
        deployed.Save(path);
        var loaded = DeployedContracts.Load(path);
        Assert.Equal(deployed, loaded);
        await loaded.VerifyAsync(chain.Web3);

        var conn = await ChainConnection.OpenAsync(chain.Anvil.RpcUrl, AnvilFixture.DeployerKey, path);
        Assert.Equal(chain.Anvil.ChainId, conn.ChainId);
        Assert.Equal(SigningKey.AddressOf(AnvilFixture.DeployerKey), conn.Address);
        Assert.Equal(deployed.Game, await conn.Tasks.GameAddressAsync(), StringComparer.OrdinalIgnoreCase);

        const string NoCode = "0x000000000000000000000000000000000000dEaD";
        var bad = _dir.File("bad.json");
        (loaded with { Registry = NoCode }).Save(bad);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ChainConnection.OpenAsync(chain.Anvil.RpcUrl, null, bad));
        Assert.Contains($"no ModelRegistry contract at {NoCode}", e.Message);
        Assert.Contains(bad, e.Message);

        (loaded with { ChainId = 5 }).Save(bad);
        e = await Assert.ThrowsAsync<InvalidDataException>(() => ChainConnection.OpenAsync(chain.Anvil.RpcUrl, null, bad));
        Assert.Contains("the deployment is on chain 5", e.Message);
    }

    [Fact]
    public async Task ConnectionChecksFailPlainlyAndFast()
    {
        Assert.Contains("not an http(s) URL", Assert.Throws<ArgumentException>(() => ChainConnection.ParseRpcUrl("not-a-url")).Message);
        Assert.Contains("not an http(s) URL", Assert.Throws<ArgumentException>(() => ChainConnection.ParseRpcUrl("ws://127.0.0.1:8545")).Message);
        Assert.Contains("no RPC endpoint", Assert.Throws<ArgumentException>(() => ChainConnection.ParseRpcUrl(null)).Message);

        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RpcUnreachableException>(() => ChainConnection.OpenAsync($"http://127.0.0.1:{port}", null, null));
        Assert.Contains($"cannot reach the RPC endpoint http://127.0.0.1:{port}/", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");

        // A listener that accepts but never answers: the short probe timeout, not Nethereum's long one.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var url = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}");
            sw.Restart();
            e = await Assert.ThrowsAsync<RpcUnreachableException>(() => ChainConnection.ProbeChainIdAsync(url, TimeSpan.FromMilliseconds(500)));
            Assert.Contains("no answer within 0.5 s", e.Message);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        }
        finally { silent.Stop(); }
    }

    [Fact]
    public async Task RegistrationIsIdempotentAndATaskIsFollowedThroughEveryTransitionToItsResult()
    {
        var path = _dir.File("deployment.json");
        (await DeployedContracts.DeployAsync(chain.Web3, chain.ContractsDir, DeployParameters.Devnet)).Save(path);
        var conn = await ChainConnection.OpenAsync(chain.Anvil.RpcUrl, AnvilFixture.DeployerKey, path);
        var p = DeployParameters.Devnet;

        using var m = ModelReader.Open(Repo.Path("models", "mnist", "mnist.opml"));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var reg = RegisteredModel.Of(m, roots, VmBackend.Embedded(), 1_000_000_000);
        var first = await ModelRegistration.RegisterAsync(conn.Registry, reg);
        Assert.False(first.Reused);
        var again = await ModelRegistration.RegisterAsync(conn.Registry, reg);
        Assert.True(again.Reused);
        Assert.Equal(first.ModelId, again.ModelId);
        var other = await ModelRegistration.RegisterAsync(conn.Registry, reg with { MaxNodeSteps = 123_456_789 });
        Assert.False(other.Reused); // a different budget is a different model
        Assert.Equal(first.ModelId + 1, other.ModelId);
        Assert.Equal(2, (int)await conn.Registry.ModelCountAsync());

        var client = new TaskClient(conn);
        var onChain = await client.GetModelAsync(first.ModelId);
        Assert.Throws<InvalidDataException>(() => TaskClient.InputFromPng(onChain, [1, 2, 3], "x.png"));
        Assert.Throws<ArgumentException>(() => TaskClient.InputFromBytes(onChain, new byte[785]));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetModelAsync(99));
        var input = TaskClient.InputFromPng(onChain, DigitPngs.One(), "one.png", m);
        Assert.Equal(TaskInput.FromImage(m, DigitPngs.One()).Bytes, input);
        await Assert.ThrowsAsync<ArgumentException>(() => client.RequestAsync(first.ModelId, input, 1, p.MinFee - 1));

        var requested = await client.RequestAsync(first.ModelId, input, 1, null);
        Assert.Equal(p.MinFee, requested.Fee);
        var task = new DisputeTask(m, roots, VmBackend.Embedded(), input, 1, reg.MaxNodeSteps);
        var honest = task.Party().Graph;
        Assert.Equal(honest.InputRoot, requested.InputRoot);

        var lines = new ConcurrentQueue<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var follow = client.FollowAsync(requested.TaskId, requested.BlockNumber, TimeSpan.FromMinutes(2), lines.Enqueue, TimeSpan.FromMilliseconds(100), cts.Token);

        var submitter = Account(2);
        var challenger = Account(3);
        var liar = task.Party(new FaultInjection(m.Nodes.Count - 1)).Graph; // a false output (the argmax slot)
        Assert.NotEqual(honest.Output, liar.Output);
        await new OpmlTasksService(submitter, conn.Tasks.ContractAddress).SubmitAsync(requested.TaskId, liar.Output, liar.FinalRoot.ToArray(),
            [.. liar.OutputSlotProof().Siblings.Select(s => s.ToArray())], p.SubmitterBond);
        var gameId = (await new OpmlTasksService(challenger, conn.Tasks.ContractAddress).ChallengeAsync(requested.TaskId, p.ChallengerBond)).Event.GameId;

        var mid = await ChainStatusSnapshot.ReadAsync(conn);
        var t = Assert.Single(mid.TaskRows);
        Assert.Equal(("Submitted", "Pending", 1u), (t.Status, t.SubmissionStatus, t.OpenGames));
        Assert.Equal(submitter.TransactionManager.Account.Address, t.Submitter, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(t.SubmittedAt + p.ChallengeWindow, t.ChallengeDeadline);
        var g = Assert.Single(mid.GameRows);
        Assert.Equal(("Slots", "Submitter", 0ul, (ulong)requested.Slots, "None"), (g.Stage, g.ToMove, g.Lo, g.Hi, g.Winner));
        Assert.Equal(p.ClockBudget, g.ChallengerClockLeft);
        Assert.True(g.SubmitterClockLeft <= p.ClockBudget);
        Assert.Equal(g.Deadline, (ulong)(await conn.Game.GetGameAsync(gameId)).TurnStart + p.ClockBudget);
        log.WriteLine(mid.ToTable());
        AssertJsonParses(mid.ToJson(), "Submitted", "Slots");

        // The submitter never moves: its clock runs out, anyone calls timeout, the challenger wins, the task is open again.
        await IncreaseTime((long)p.ClockBudget + 10);
        var info = await conn.Game.GetGameAsync(gameId);
        await conn.Game.TimeoutAsync(gameId, info.Moves);
        Assert.Equal(TaskStatus.Open, (await conn.Tasks.GetTaskAsync(requested.TaskId)).Status);

        await new OpmlTasksService(submitter, conn.Tasks.ContractAddress).SubmitAsync(requested.TaskId, honest.Output, honest.FinalRoot.ToArray(),
            [.. honest.OutputSlotProof().Siblings.Select(s => s.ToArray())], p.SubmitterBond);
        await IncreaseTime((long)p.ChallengeWindow + 1);
        await conn.Tasks.FinalizeAsync(requested.TaskId);

        var outcome = await follow;
        foreach (var l in lines) log.WriteLine(l);
        Assert.NotNull(outcome);
        Assert.Equal(honest.Output, outcome.Output);
        Assert.Equal(honest.SlotRoot(honest.OutputSlot), outcome.OutputRoot);
        Assert.Equal(MnistExpectedClass(m, input), outcome.Values[0]);
        var text = lines.ToArray();
        Assert.Collection(text,
            l => Assert.StartsWith($"submitted by {submitter.TransactionManager.Account.Address}: submission 1", l, StringComparison.OrdinalIgnoreCase),
            l => Assert.StartsWith($"challenged by {challenger.TransactionManager.Account.Address}: game {gameId}", l, StringComparison.OrdinalIgnoreCase),
            l => Assert.StartsWith($"rejected: submission 1 lost game {gameId}", l),
            l => Assert.StartsWith("resubmitted by", l),
            l => Assert.StartsWith("finalized: submission 2", l));

        var end = await ChainStatusSnapshot.ReadAsync(conn);
        Assert.Equal(("Finalized", "Finalized", 2ul), (end.TaskRows[0].Status, end.TaskRows[0].SubmissionStatus, end.TaskRows[0].SubmissionId));
        Assert.Equal(("Resolved", "Challenger", "-"), (end.GameRows[0].Stage, end.GameRows[0].Winner, end.GameRows[0].ToMove));
        Assert.Null(end.GameRows[0].Deadline);
        log.WriteLine(end.ToTable());

        // Nothing happens to a task nobody serves: the follower gives up at its timeout.
        var idle = await client.RequestAsync(first.ModelId, input, 1, null);
        var sw = Stopwatch.StartNew();
        Assert.Null(await client.FollowAsync(idle.TaskId, idle.BlockNumber, TimeSpan.FromSeconds(1), _ => { }));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 10);
        Assert.Contains("no submission yet", await client.DescribeAsync(idle.TaskId));
    }

    private static int MnistExpectedClass(IModel m, byte[] input) =>
        new global::OpmlNode.Inference.Graphs.GraphRunner(m, new ScalarBackend()).Run(input, 1).Output.ToInts()[0];

    private static void AssertJsonParses(string json, string taskStatus, string stage)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(taskStatus, doc.RootElement.GetProperty("tasks")[0].GetProperty("status").GetString());
        Assert.Equal(stage, doc.RootElement.GetProperty("games")[0].GetProperty("stage").GetString());
    }

    private Web3 Account(int i) => new(new Account(Anvil.DevPrivateKeys[i], chain.Anvil.ChainId), chain.Anvil.RpcUrl);

    private async Task IncreaseTime(long seconds)
    {
        await chain.Web3.Client.SendRequestAsync<object>(new RpcRequest(1, "evm_increaseTime", seconds));
        await chain.Web3.Client.SendRequestAsync<object>(new RpcRequest(2, "evm_mine"));
    }
}

/// <summary>Digit images drawn in code (no data files needed).</summary>
internal static class DigitPngs
{
    /// <summary>A 28×28 grayscale "1": a thick white vertical stroke on black.</summary>
    public static byte[] One()
    {
        var px = new byte[MnistImage.Side * MnistImage.Side];
        for (int y = 5; y < 23; y++)
            for (int x = 12; x < 16; x++) px[y * MnistImage.Side + x] = 255;
        return MnistImage.ToPng(px, MnistImage.Side, MnistImage.Side);
    }
}
