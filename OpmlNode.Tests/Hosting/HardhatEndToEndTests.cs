using System.Numerics;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Hosting.Devnet;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Support;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Hosting;

/// <summary>
/// The end-to-end dispute on a second EVM implementation: Hardhat's network (EDR) instead of anvil. The contracts are
/// deployed and the MNIST model registered on it, a liar and a watchdog node run against it exactly as against anvil
/// (the node's code path makes only standard eth_ calls; the test's setup makes none that are anvil's own), and the liar
/// is caught by the one-step proof on chain.
/// </summary>
[Collection("nodes")]
public sealed class HardhatEndToEndTests(ITestOutputHelper log) : IAsyncLifetime
{
    private static readonly DeployParameters Params = new(ChallengeWindow: 6, SubmitterBond: 1_000_000, ChallengerBond: 700_000, K: 4,
        ClockBudget: 60, Extension: 15, MinFee: 1000);
    private readonly string _dir = Directory.CreateTempSubdirectory("opml-hardhat-").FullName;
    private readonly List<NodeProcess> _nodes = [];
    private HardhatNetwork _chain = null!;

    public async Task InitializeAsync() => _chain = await HardhatNetwork.StartAsync();

    public Task DisposeAsync()
    {
        foreach (var n in _nodes) n.Dispose();
        _chain.Dispose();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ALiarOnHardhatsNetworkIsChallengedLosesAndTheHonestResultIsFinal()
    {
        var web3 = new Web3(new Account(Anvil.DevPrivateKeys[0], Anvil.DefaultChainId), _chain.RpcUrl);
        var contracts = await DeployedContracts.DeployAsync(web3, Repo.Path("contracts"), Params);
        var deployment = Path.Combine(_dir, "deployment.json");
        contracts.Save(deployment);
        var modelFile = Repo.Path("models", "mnist", "mnist.opml");
        using var m = ModelReader.Open(modelFile);
        var registered = RegisteredModel.Of(m, ModelRoots.Load(m, TextWriter.Null), VmBackend.Embedded(), 1_000_000_000);
        var modelId = (ulong)(await new ModelRegistryService(web3, contracts.Registry).RegisterAsync(ModelRegistration.ToFunction(registered))).Event.ModelId;
        var tasks = new OpmlTasksService(web3, contracts.Tasks);
        var game = new DisputeGameService(web3, contracts.Game);

        Start("liar", 6, deployment, modelId, modelFile, "--submitter", "--lie-slot", "random", "--seed", "11");
        var taskId = (await tasks.RequestAsync(modelId, TaskInput.Random(m, 2).Bytes, 1, 5000)).Event.TaskId;
        await WaitAsync(async () => (await tasks.GetTaskAsync(taskId)).Status == TaskStatus.Submitted, "the liar submits", TimeSpan.FromSeconds(90));
        Start("watchdog", 7, deployment, modelId, modelFile, "--submitter", "--verifier");
        await WaitAsync(async () => (await tasks.GetTaskAsync(taskId)).Status == TaskStatus.Finalized, "the task finalizes", TimeSpan.FromSeconds(180));

        var final = await tasks.GetSubmissionAsync((await tasks.GetTaskAsync(taskId)).SubmissionId);
        Assert.Equal(Address(7), final.Submitter, StringComparer.OrdinalIgnoreCase);
        var first = await tasks.GetSubmissionAsync(1);
        Assert.Equal((SubmissionStatus.Rejected, Address(6).ToLowerInvariant()), (first.Status, first.Submitter.ToLowerInvariant()));
        var g = await game.GetGameAsync(1);
        Assert.Equal((Stage.Resolved, Side.Challenger), (g.Stage, g.Winner));
        var version = await web3.Client.SendRequestAsync<string>(new Nethereum.JsonRpc.Client.RpcRequest(1, "web3_clientVersion"));
        log.WriteLine($"{version}: the liar lost at slot {g.Slot} after {g.Moves} moves; the watchdog's result is final");
    }

    private void Start(string name, int account, string deployment, ulong modelId, string modelFile, params string[] extra)
    {
        var keyFile = Path.Combine(_dir, $"{name}.key");
        File.WriteAllText(keyFile, Anvil.DevPrivateKeys[account] + "\n");
        _nodes.Add(new NodeProcess(name, ["--rpc", _chain.RpcUrl, "--key-file", keyFile, "--deployment", deployment,
            "--model", $"{modelId}={modelFile}", "--poll-ms", "100", "--data", Path.Combine(_dir, name + "-data"), .. extra], workingDirectory: Path.GetTempPath()));
    }

    private async Task WaitAsync(Func<Task<bool>> done, string what, TimeSpan timeout)
    {
        for (var end = DateTime.UtcNow + timeout; DateTime.UtcNow < end; await Task.Delay(250))
        {
            if (await done()) return;
            foreach (var n in _nodes.Where(n => n.HasExited && n.ExitCode != 0))
                Assert.Fail($"{n.Name} exited with {n.ExitCode}:\n{n.Stderr}\n{string.Join('\n', n.Lines.TakeLast(20))}");
        }
        foreach (var n in _nodes) log.WriteLine($"--- {n.Name}\n{string.Join('\n', n.Lines.TakeLast(15))}\n{n.Stderr}");
        log.WriteLine($"--- hardhat\n{_chain.RecentOutput[^Math.Min(3000, _chain.RecentOutput.Length)..]}");
        Assert.Fail($"timed out waiting until {what}");
    }

    private static string Address(int i) => new Account(Anvil.DevPrivateKeys[i]).Address;
}
