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

    /// <summary>An input shorter than the model's input tensor is the input zero-padded (docs/GRAPH.md, TASK_INPUT):
    /// a lie on it is caught and lost in a game, and the honest answer to it, and to an empty input, is the answer to the
    /// padded input.</summary>
    [Fact]
    public async Task AnInputShorterThanTheModelsIsReadZeroPaddedALieOnItLosesAndTheHonestAnswerFinalizes()
    {
        var net = await SetUpAsync(Params with { ChallengeWindow = 15, ClockBudget = 120 });
        using var m = ModelReader.Open(MnistModel);
        var full = TaskInput.Random(m, 82).Bytes;
        var shortInput = full.AsSpan(0, full.Length * 3 / 4).ToArray(); // the last quarter of the image missing
        var padded = new byte[full.Length];
        shortInput.CopyTo(padded, 0);
        var liar = Start("liar", 6, net, "--submitter", "--lie-slot", "3");
        var watchdog = Start("watchdog", 7, net, "--verifier");
        foreach (var n in new[] { liar, watchdog }) Assert.True(await n.WaitReadyAsync(TimeSpan.FromSeconds(60)), $"{n.Name} did not start:\n{n.Stderr}");
        var shortTask = (await net.Tasks.RequestAsync(net.ModelId, shortInput, 1, 5000)).Event.TaskId;
        await WaitAsync(async () => await net.Game.GameCountAsync() == 1, "the watchdog challenges the lie on the short input");
        var honest = Start("honest", 5, net, "--submitter");
        var paddedTask = (await net.Tasks.RequestAsync(net.ModelId, padded, 1, 5000)).Event.TaskId;
        var emptyTask = (await net.Tasks.RequestAsync(net.ModelId, [], 1, 5000)).Event.TaskId;
        var zerosTask = (await net.Tasks.RequestAsync(net.ModelId, new byte[full.Length], 1, 5000)).Event.TaskId;
        await WaitAsync(async () => (await net.Game.GetGameAsync(1)).Stage == Stage.Resolved, "the game ends", TimeSpan.FromSeconds(150));
        Assert.Equal(Side.Challenger, (await net.Game.GetGameAsync(1)).Winner);

        var answers = new Dictionary<string, SubmissionInfo>();
        foreach (var (name, id) in new[] { ("short", shortTask), ("padded", paddedTask), ("empty", emptyTask), ("zeros", zerosTask) })
        {
            answers[name] = await WaitFinalAsync(net, id);
            Assert.NotEqual(Address(6), answers[name].Submitter, StringComparer.OrdinalIgnoreCase); // the liar lies on every task
        }
        Assert.Equal(Convert.ToHexString(answers["padded"].OutputRoot), Convert.ToHexString(answers["short"].OutputRoot));
        Assert.Equal(Convert.ToHexString(answers["zeros"].OutputRoot), Convert.ToHexString(answers["empty"].OutputRoot));
        // The bytes given count: the trace (S_N) differs from the all-zero input's, though an MNIST label of noise may not.
        Assert.NotEqual(Convert.ToHexString(answers["zeros"].FinalRoot), Convert.ToHexString(answers["short"].FinalRoot));
        log.WriteLine($"S_N: short {Convert.ToHexString(answers["short"].FinalRoot)}, padded {Convert.ToHexString(answers["padded"].FinalRoot)}, empty {Convert.ToHexString(answers["empty"].FinalRoot)}, zeros {Convert.ToHexString(answers["zeros"].FinalRoot)}");
        log.WriteLine($"output roots: short/padded {Convert.ToHexString(answers["short"].OutputRoot)}, empty {Convert.ToHexString(answers["empty"].OutputRoot)}");
        foreach (var n in new[] { honest, watchdog, liar }) Assert.False(n.HasExited, $"{n.Name} exited:\n{n.Stderr}");
        await AssertNoActionSentTwiceAsync(net, Address(5));
        await AssertNoActionSentTwiceAsync(net, Address(7));
    }
}
