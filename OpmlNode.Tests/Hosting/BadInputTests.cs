using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Hosting.Devnet;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Chain;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// Input from the chain the nodes cannot or must not act on (docs/RELIABILITY.md §4): each is logged once with the
/// reason and skipped, the node goes on with the rest, and nobody stakes a bond on what it could not defend.
/// </summary>
[Collection("nodes")]
public sealed class BadInputTests(AnvilFixture fixture, ITestOutputHelper output) : NodeTestBase(fixture, output), IClassFixture<AnvilFixture>
{
    [Fact]
    public async Task ATaskWhoseSlotsExceedTheRegisteredStepBudgetIsNeitherSubmittedNorChallengedAndTheRestGoesOn()
    {
        var net = await SetUpAsync(Params with { ChallengeWindow = 15 });
        // The MNIST model registered again with a step budget its slots do not fit in: the contract cannot tell.
        using var m = ModelReader.Open(MnistModel);
        var tight = RegisteredModel.Of(m, ModelRoots.Load(m, TextWriter.Null), VmBackend.Embedded(), 1000);
        var tightId = (await ModelRegistration.RegisterAsync(new ModelRegistryService(chain.Web3, net.Contracts.Registry), tight)).ModelId;
        var serveTight = new[] { "--model", $"{tightId}={MnistModel}" };
        var honest = Start("honest", 5, net, ["--submitter", .. serveTight]);
        var watchdog = Start("watchdog", 7, net, ["--verifier", .. serveTight]);
        foreach (var n in new[] { honest, watchdog }) Assert.True(await n.WaitReadyAsync(TimeSpan.FromSeconds(60)), $"{n.Name} did not start:\n{n.Stderr}");

        var bad = (await net.Tasks.RequestAsync(tightId, TaskInput.Random(m, 80).Bytes, 1, 5000)).Event.TaskId;
        var good = await RequestAsync(net, 81);
        // The honest submitter answers the good task and not the bad one; it says why, once.
        var final = await WaitFinalAsync(net, good);
        Assert.Equal(Address(5), final.Submitter, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(TaskStatus.Open, (await net.Tasks.GetTaskAsync(bad)).Status);

        // A liar (fault injection skips the check) submits for the bad task: the watchdog sees a wrong S_N but does not
        // open a game it could not finish; it says why, once.
        var liar = Start("liar", 6, net, ["--submitter", "--lie-slot", "3", .. serveTight]);
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(bad)).Status == TaskStatus.Submitted, "the liar submits for the bad task");
        await Task.Delay(TimeSpan.FromSeconds(5)); // many ticks of every node
        Assert.Equal(0, (int)await net.Game.GameCountAsync());
        int Count(NodeProcess n, string prefix) => n.Messages().Count(x => x.StartsWith(prefix, StringComparison.Ordinal));
        Assert.Equal(1, Count(honest, "Task {TaskId}: not submitting, the result could not be defended on chain"));
        Assert.Equal(1, Count(watchdog, "Task {TaskId}: submission {SubmissionId} differs from ours but is not challenged"));
        var reason = honest.Events().First(e => e.GetProperty("@mt").GetString()!.StartsWith("Task {TaskId}: not submitting", StringComparison.Ordinal)).GetProperty("Reason").GetString();
        Assert.Contains("did not exit within 1000 steps", reason, StringComparison.Ordinal);
        log.WriteLine($"the honest submitter: {reason}");
        foreach (var n in new[] { honest, watchdog, liar }) Assert.False(n.HasExited, $"{n.Name} exited:\n{n.Stderr}");
        await AssertNoActionSentTwiceAsync(net, Address(5));
        await AssertNoActionSentTwiceAsync(net, Address(7));
    }
}
