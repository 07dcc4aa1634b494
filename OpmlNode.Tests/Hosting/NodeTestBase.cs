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
/// What the tests of real node processes share: a deployment with the MNIST model registered on the shared anvil,
/// nodes started with their own key and data directory, waits that fail fast when a node dies, and the chain-side
/// checks (no call sent twice).
/// </summary>
public abstract class NodeTestBase(AnvilFixture fixture, ITestOutputHelper output) : IDisposable
{
    protected AnvilFixture chain { get; } = fixture;
    protected ITestOutputHelper log { get; } = output;

    protected static readonly DeployParameters Params = new(ChallengeWindow: 6, SubmitterBond: 1_000_000, ChallengerBond: 700_000, K: 4,
        ClockBudget: 60, Extension: 15, MinFee: 1000);
    protected static readonly string MnistModel = Repo.Path("models", "mnist", "mnist.opml");
    protected readonly string _dir = Directory.CreateTempSubdirectory("opml-nodes-").FullName;
    protected readonly List<NodeProcess> _nodes = [];

    /// <summary>Nodes whose exit with an error the test expects (and checks itself).</summary>
    protected readonly HashSet<string> MayExit = [];

    /// <summary>What a node killed by its own crash point (<c>--crash-at</c>) writes on stderr: such an exit is expected.</summary>
    protected const string CrashedAt = "crash-point: killed at ";

    protected sealed record Devnet(DeployedContracts Contracts, string DeploymentFile, ulong ModelId, OpmlTasksService Tasks, DisputeGameService Game, string ModelFile);

    protected async Task<Devnet> SetUpAsync(DeployParameters? parameters = null, string? modelFile = null)
    {
        modelFile ??= MnistModel;
        var contracts = await DeployedContracts.DeployAsync(chain.Web3, chain.ContractsDir, parameters ?? Params);
        var file = Path.Combine(_dir, $"deployment-{contracts.Tasks[2..10]}.json");
        contracts.Save(file);
        using var m = ModelReader.Open(modelFile);
        var r = RegisteredModel.Of(m, ModelRoots.Load(m, TextWriter.Null), VmBackend.Embedded(), 1_000_000_000);
        var registry = new ModelRegistryService(chain.Web3, contracts.Registry);
        var modelId = (ulong)(await registry.RegisterAsync(ModelRegistration.ToFunction(r))).Event.ModelId;
        return new Devnet(contracts, file, modelId, new OpmlTasksService(chain.Web3, contracts.Tasks), new DisputeGameService(chain.Web3, contracts.Game), modelFile);
    }

    protected async Task<(BigInteger Id, IModel Model)> RegisterOtherModelAsync(Devnet net)
    {
        var path = Path.Combine(_dir, "other.opml");
        ModelWriter.Write(path, ModelSynth.Build(ArchitectureKind.Mlp, "tiny", 3));
        var m = ModelReader.Open(path);
        var r = RegisteredModel.Of(m, ModelRoots.Load(m, TextWriter.Null), VmBackend.Embedded(), 1_000_000_000);
        var id = (await ModelRegistration.RegisterAsync(new ModelRegistryService(chain.Web3, net.Contracts.Registry), r)).ModelId;
        return (id, m);
    }

    protected NodeProcess Start(string name, int account, Devnet net, params string[] extra) => Start(name, account, net, extra, null, null);

    protected NodeProcess Start(string name, int account, Devnet net, string[] extra, IDictionary<string, string>? env, IReadOnlyList<string>? wrapper)
    {
        var keyFile = Path.Combine(_dir, $"{name}.key");
        File.WriteAllText(keyFile, Anvil.DevPrivateKeys[account] + "\n");
        var data = extra.Contains("--data") ? [] : new[] { "--data", Path.Combine(_dir, name + "-data") };
        var p = new NodeProcess(name, [.. (extra.Contains("--rpc") ? [] : new[] { "--rpc", chain.Anvil.RpcUrl }), "--key-file", keyFile, "--deployment", net.DeploymentFile,
            "--model", $"{net.ModelId}={net.ModelFile}", .. (extra.Contains("--poll-ms") ? [] : new[] { "--poll-ms", "100" }), .. data, .. extra], env: env, wrapper: wrapper, workingDirectory: Path.GetTempPath());
        _nodes.Add(p);
        return p;
    }

    protected async Task<BigInteger> RequestAsync(Devnet net, int seed)
    {
        using var m = ModelReader.Open(MnistModel);
        return (await net.Tasks.RequestAsync(net.ModelId, TaskInput.Random(m, seed).Bytes, 1, 5000)).Event.TaskId;
    }

    protected async Task<SubmissionInfo> WaitFinalAsync(Devnet net, BigInteger taskId)
    {
        await WaitAsync(async () => (await net.Tasks.GetTaskAsync(taskId)).Status == TaskStatus.Finalized, $"task {taskId} finalizes", TimeSpan.FromSeconds(150));
        return await net.Tasks.GetSubmissionAsync((await net.Tasks.GetTaskAsync(taskId)).SubmissionId);
    }

    protected async Task WaitAsync(Func<Task<bool>> done, string what, TimeSpan? timeout = null)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < end)
        {
            if (await done()) return;
            foreach (var n in _nodes.Where(n => n.HasExited && !n.Killed && n.ExitCode != 0 && n.Name != "bad" && !MayExit.Contains(n.Name) && !n.Stderr.Contains(CrashedAt, StringComparison.Ordinal)))
                Assert.Fail($"{n.Name} exited with {n.ExitCode}:\n{n.Stderr}\n{string.Join('\n', n.Lines.TakeLast(20))}");
            await Task.Delay(200);
        }
        foreach (var n in _nodes)
        {
            var dump = Path.Combine(Path.GetTempPath(), $"opml-e2e-{n.Name}.log");
            File.WriteAllLines(dump, [.. n.Lines, n.Stderr]);
            log.WriteLine($"--- {n.Name} (all lines in {dump})\n{string.Join('\n', n.Lines.TakeLast(15))}\n{n.Stderr}");
        }
        for (int i = 5; i < 10; i++) log.WriteLine($"balance {i}: {Nethereum.Web3.Web3.Convert.FromWei((await chain.Web3.Eth.GetBalance.SendRequestAsync(Address(i))).Value)}");
        Assert.Fail($"timed out waiting until {what}");
    }

    /// <summary>Every transaction <paramref name="from"/> sent to the contracts: none repeats the calldata of an earlier one
    /// that took effect (the same move twice).</summary>
    protected async Task AssertNoActionSentTwiceAsync(Devnet net, string from)
    {
        var seen = new Dictionary<string, string>(); // calldata → the hash of its first transaction that did not revert
        await foreach (var t in MinedCallsAsync(net, from))
        {
            if (t.Input.StartsWith("0x3ccfd60b", StringComparison.Ordinal)) continue; // withdraw() has no arguments: each one is its own credit
            // Nothing may repeat a call that took effect (reverted or not); a call that reverted changed nothing and may be
            // made again (a submit that lost the race to another submission, sent again once that one was rejected).
            Assert.False(seen.TryGetValue(t.Input, out var first),
                $"{from} sent the same call twice ({first} and {t.TransactionHash}): {t.Input[..Math.Min(74, t.Input.Length)]}…");
            if (await SucceededAsync(t.TransactionHash)) seen[t.Input] = t.TransactionHash;
        }
    }

    private async Task<bool> SucceededAsync(string hash) =>
        (await chain.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash)).Status.Value == 1;

    /// <summary>Every mined transaction from <paramref name="from"/> to the game or the task registry, oldest first.</summary>
    protected async IAsyncEnumerable<Transaction> MinedCallsAsync(Devnet net, string from)
    {
        var head = (ulong)(await chain.Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        for (ulong b = 0; b <= head; b++)
        {
            var block = await chain.Web3.Eth.Blocks.GetBlockWithTransactionsByNumber.SendRequestAsync(new BlockParameter(b));
            foreach (var t in block.Transactions)
                if (string.Equals(t.From, from, StringComparison.OrdinalIgnoreCase)
                    && (string.Equals(t.To, net.Contracts.Game, StringComparison.OrdinalIgnoreCase) || string.Equals(t.To, net.Contracts.Tasks, StringComparison.OrdinalIgnoreCase)))
                    yield return t;
        }
    }

    /// <summary>No transaction of the account left in the pool: its pending nonce is its mined one (no gap, none stuck).</summary>
    protected async Task AssertNoNoncePendingAsync(int account)
    {
        var latest = await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Address(account), BlockParameter.CreateLatest());
        var pending = await chain.Web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(Address(account), BlockParameter.CreatePending());
        Assert.Equal(latest.Value, pending.Value);
    }

    protected static string Address(int i) => new Account(Anvil.DevPrivateKeys[i]).Address;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        foreach (var n in _nodes) n.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
