using System.Text.Json;
using System.Text.RegularExpressions;
using OpmlNode.Chain;
using OpmlNode.Tests.Chain;
using OpmlNode.Tests.Inference;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Cli;

/// <summary>
/// The operator verbs as a user runs them: real <c>opml-node</c> processes against an anvil this class starts —
/// deploy, model register (twice: reused), request, status --json, request --wait timing out — and the bad inputs that
/// must exit 2 with one plain error line. The private key must never appear in any output.
/// </summary>
public sealed partial class ChainVerbProcessTests(AnvilFixture chain) : IClassFixture<AnvilFixture>, IDisposable
{
    private static readonly string Key = Anvil.DevPrivateKeys[1];
    private const string ChainOptionsDefaultKeyEnv = "OPML_KEY";
    private readonly ModelTempDir _dir = new();
    private readonly List<string> _outputs = [];

    public void Dispose() => _dir.Dispose();

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var r = OpmlNodeCli.Run(args);
        lock (_outputs) _outputs.Add(r.Out + r.Err);
        AssertKeyNeverPrinted(); // after every run, before any other assertion can stop the test
        return r;
    }

    private string KeyFile()
    {
        var f = _dir.File("key");
        File.WriteAllText(f, Key[2..] + "\n"); // without 0x: SigningKey adds it
        return f;
    }

    private void AssertKeyNeverPrinted()
    {
        string[] all;
        lock (_outputs) all = [.. _outputs];
        foreach (var o in all)
        {
            Assert.DoesNotContain(Key[2..], o, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Key[2..18], o, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void DeployRegisterRequestStatusAndWaitTimeout()
    {
        var rpc = chain.Anvil.RpcUrl;
        var key = KeyFile();
        var dep = _dir.File("deployment.json");
        var address = SigningKey.AddressOf(Key);

        var r = Run("deploy", "--rpc", rpc, "--key-file", key, "--contracts", chain.ContractsDir, "--window", "40", "--k", "8", "--out", dep);
        Assert.True(r.Code == 0, r.Out + r.Err);
        var d = DeployedContracts.Load(dep);
        Assert.Equal((40ul, 8), (d.Parameters.ChallengeWindow, d.Parameters.K));
        Assert.Equal(DeployParameters.Devnet.SubmitterBond, d.Parameters.SubmitterBond);
        foreach (var a in new[] { d.RiscvStep, d.Registry, d.Tasks, d.Game }) Assert.Contains(a, r.Out);
        Assert.Contains(address, r.Out);

        string[] conn = ["--rpc", rpc, "--key-file", key, "--deployment", dep];
        var model = Repo.Path("models", "mnist", "mnist.opml");
        r = Run(["model", "register", model, .. conn]);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Matches(@"model id:\s+1 \(registered by", r.Out);
        foreach (var label in new[] { "program root:", "descriptors root:", "weights root:" }) Assert.Matches(label + @"\s+0x[0-9a-f]{64}", r.Out);
        var roots = RootLines().Matches(r.Out).Select(x => x.Value).ToArray();
        Assert.Equal(3, roots.Length);
        r = Run(["model", "register", model, .. conn]);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Matches(@"model id:\s+1 \(already registered identically; reused", r.Out);
        Assert.Equal(roots, RootLines().Matches(r.Out).Select(x => x.Value).ToArray());

        var png = _dir.File("one.png");
        File.WriteAllBytes(png, DigitPngs.One());
        var env = "OPML_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(env, Key);
        try
        {
            r = Run("request", "--model", "1", "--input-png", png, "--rpc", rpc, "--key-env", env, "--deployment", dep);
        }
        finally { Environment.SetEnvironmentVariable(env, null); }
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Matches(@"task id:\s+1\b", r.Out);
        Assert.Matches(@"input root:\s+0x[0-9a-f]{64} \(784 bytes", r.Out);

        r = Run("status", "--json", "--rpc", rpc, "--deployment", dep); // read-only: no key needed
        Assert.True(r.Code == 0, r.Out + r.Err);
        using (var doc = JsonDocument.Parse(r.Out))
        {
            var task = Assert.Single(doc.RootElement.GetProperty("tasks").EnumerateArray());
            Assert.Equal(1, task.GetProperty("id").GetInt32());
            Assert.Equal(1, task.GetProperty("modelId").GetInt32());
            Assert.Equal("Open", task.GetProperty("status").GetString());
            Assert.Equal(address, task.GetProperty("requester").GetString(), StringComparer.OrdinalIgnoreCase);
            Assert.Equal(0, task.GetProperty("submissionId").GetInt32());
            Assert.Empty(doc.RootElement.GetProperty("games").EnumerateArray());
        }
        r = Run("status", "--rpc", rpc, "--deployment", dep);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Matches(@"(?m)^id\s+model\s+status\s+.*challenge deadline", r.Out);
        Assert.Matches(@"(?m)^1\s+1\s+Open\s+1\s+-", r.Out);

        // No submitter daemon runs here, so --wait cannot finalize: it must give up at its timeout with exit 1.
        r = Run(["request", "--model", "1", "--input-png", png, "--model-file", model, "--wait", "--timeout", "2", .. conn]);
        Assert.True(r.Code == 1, r.Out + r.Err);
        Assert.Matches(@"task id:\s+2\b", r.Out);
        Assert.Contains("timed out after 2 s: task 2 is Open with no submission yet", r.Err);

        // Bad inputs against the live chain.
        var notPng = _dir.File("not.png");
        File.WriteAllText(notPng, "hello");
        var noCode = _dir.File("nocode.json");
        (d with { Tasks = "0x000000000000000000000000000000000000dEaD" }).Save(noCode);
        var other = _dir.File("other.opml");
        File.Copy(_dir.Synth(OpmlNode.Inference.Models.ArchitectureKind.Mlp, seed: 3), other);
        foreach (var (args, message) in new (string[], string)[]
        {
            (["request", "--model", "1", "--input-png", notPng, .. conn], "is not a picture this node reads"),
            (["request", "--model", "1", "--input-png", png, "--rpc", rpc, "--key-env", "UNSET_VAR_" + Guid.NewGuid().ToString("N"), "--deployment", dep], "is not set"),
            (["request", "--model", "7", "--input-png", png, .. conn], "no model 7 in the registry"),
            (["request", "--model", "1", "--input-png", png, "--fee", "1", .. conn], "below the contract's minimum fee"),
            (["request", "--model", "1", "--input-png", png, "--model-file", other, .. conn], "is not model 1"),
            (["request", "--model", "1", .. conn], "give exactly one of --input-png"),
            (["status", "--rpc", rpc, "--deployment", noCode], "no OpmlTasks contract at 0x000000000000000000000000000000000000dEaD"),
            (["deploy", "--rpc", rpc, "--key-file", key, "--k", "65", "--out", _dir.File("x.json")], "--k must be 2..64"),
            (["deploy", "--rpc", rpc, "--key-file", key, "--challenger-bond", "1000", "--out", _dir.File("x.json")], "below the defender's worst-case gas"),
            (["deploy", "--rpc", rpc, "--key-file", key, "--loss-bps", "0", "--out", _dir.File("x.json")], "--loss-bps must be 1..10000"),
            (["model", "register", notPng, .. conn], notPng + ": "),
        })
        {
            r = Run(args);
            Assert.True(r.Code == 2, $"{string.Join(' ', args)} exited {r.Code}:\n{r.Out}\n{r.Err}");
            Assert.StartsWith("error: ", r.Err);
            Assert.Contains(message, r.Err);
            Assert.Single(r.Err.TrimEnd().Split('\n'));
        }
        AssertKeyNeverPrinted();
    }

    [Fact]
    public async Task RequestWaitFollowsATaskTheTestServesAndPrintsTheClass()
    {
        var rpc = chain.Anvil.RpcUrl;
        var key = KeyFile();
        var dep = _dir.File("deployment.json");
        Assert.Equal(0, Run("deploy", "--rpc", rpc, "--key-file", key, "--contracts", chain.ContractsDir, "--out", dep).Code);
        string[] conn = ["--rpc", rpc, "--key-file", key, "--deployment", dep];
        var model = Repo.Path("models", "mnist", "mnist.opml");
        Assert.Equal(0, Run(["model", "register", model, .. conn]).Code);
        var png = _dir.File("one.png");
        File.WriteAllBytes(png, DigitPngs.One());

        var waiting = Task.Run(() => Run(["request", "--model", "1", "--input-png", png, "--model-file", model, "--wait", "--timeout", "90", .. conn]));
        // Play the submitter (there is no daemon here): wait for the task, submit the honest result, let the window pass, finalize.
        var d = DeployedContracts.Load(dep);
        var submitter = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(Anvil.DevPrivateKeys[2], chain.Anvil.ChainId), rpc);
        var tasks = new OpmlNode.Chain.Contracts.OpmlTasksService(submitter, d.Tasks);
        for (int i = 0; await tasks.TaskCountAsync() == 0; i++)
        {
            if (waiting.IsCompleted) Assert.Fail("request exited before its task appeared: " + (await waiting).Err);
            Assert.True(i < 600, "the task never appeared");
            await Task.Delay(100);
        }
        var t = await tasks.GetTaskAsync(1);
        using var m = OpmlNode.Inference.Models.ModelReader.Open(model);
        var input = OpmlNode.Inference.Models.TaskInput.FromImage(m, DigitPngs.One()).Bytes;
        var g = new OpmlNode.Dispute.DisputeTask(m, OpmlNode.Inference.Models.ModelRoots.Load(m, TextWriter.Null),
            OpmlNode.Inference.Backends.VmBackend.Embedded(), input, (int)t.Passes, 1_000_000_000).Party().Graph;
        Assert.Equal(g.InputRoot.ToArray(), t.InputRoot);
        await tasks.SubmitAsync(1, g.Output, g.FinalRoot.ToArray(), [.. g.OutputSlotProof().Siblings.Select(s => s.ToArray())], d.Parameters.SubmitterBond);
        await submitter.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_increaseTime", (long)d.Parameters.ChallengeWindow + 1));
        await submitter.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_mine"));
        await tasks.FinalizeAsync(1);

        var r = await waiting;
        Assert.True(r.Code == 0, r.Out + r.Err);
        var expected = OpmlNode.Chain.TaskClient.DecodeI32(g.Output)[0];
        Assert.Matches(@"(?m)^  submitted by 0x[0-9a-fA-F]{40}: submission 1, output root 0x[0-9a-f]{64}", r.Out);
        Assert.Matches(@"(?m)^  finalized: submission 1 by", r.Out);
        Assert.Contains($"output:     I32 [{expected}] (4 bytes)", r.Out);
        Assert.Contains($"class:      {expected}", r.Out);
    }

    [Fact]
    public async Task ReclaimGivesAnUnansweredFeeBackToItsRequesterOnlyAndOnlyAfterTheExpiry()
    {
        var rpc = chain.Anvil.RpcUrl;
        var key = KeyFile();
        var dep = _dir.File("deployment.json");
        var r = Run("deploy", "--rpc", rpc, "--key-file", key, "--contracts", chain.ContractsDir, "--expiry", "600", "--out", dep);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Equal(600ul, DeployedContracts.Load(dep).Parameters.TaskExpiry);
        string[] conn = ["--rpc", rpc, "--key-file", key, "--deployment", dep];
        Assert.Equal(0, Run(["model", "register", Repo.Path("models", "mnist", "mnist.opml"), .. conn]).Code);
        var png = _dir.File("one.png");
        File.WriteAllBytes(png, DigitPngs.One());
        Assert.Equal(0, Run(["request", "--model", "1", "--input-png", png, .. conn]).Code);

        r = Run(["reclaim", "--task", "1", .. conn]);
        Assert.True(r.Code == 1, r.Out + r.Err);
        Assert.Contains("task 1 expires at", r.Err);
        var otherKey = _dir.File("other-key");
        File.WriteAllText(otherKey, Anvil.DevPrivateKeys[3]);
        r = Run("reclaim", "--task", "1", "--rpc", rpc, "--key-file", otherKey, "--deployment", dep);
        Assert.True(r.Code == 1, r.Out + r.Err);
        Assert.Contains("only its requester can reclaim", r.Err);
        r = Run(["reclaim", "--task", "9", .. conn]);
        Assert.True(r.Code == 2, r.Out + r.Err);
        Assert.Contains("no such task", r.Err);

        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(1, "evm_increaseTime", 601));
        await chain.Web3.Client.SendRequestAsync<object>(new Nethereum.JsonRpc.Client.RpcRequest(2, "evm_mine"));
        var d = DeployedContracts.Load(dep);
        var tasks = new OpmlNode.Chain.Contracts.OpmlTasksService(chain.Web3, d.Tasks);
        var fee = (await tasks.GetTaskAsync(1)).Fee;
        r = Run("reclaim", "--task", "1", "--rpc", rpc, "--key-file", otherKey, "--deployment", dep);
        Assert.True(r.Code == 1, r.Out + r.Err); // still not the requester's, after the expiry too
        r = Run(["reclaim", "--task", "1", "--withdraw", .. conn]);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains($"fee {fee} wei credited back", r.Out);
        Assert.Contains($"withdrew {fee} wei", r.Out);
        Assert.Equal(OpmlNode.Chain.Contracts.TaskStatus.Expired, (await tasks.GetTaskAsync(1)).Status);
        Assert.Equal(System.Numerics.BigInteger.Zero, await tasks.LiabilitiesAsync());
        r = Run(["reclaim", "--task", "1", .. conn]);
        Assert.True(r.Code == 1, r.Out + r.Err);
        Assert.Contains("task 1 is Expired", r.Err);
    }

    [Fact]
    public void BadConnectionOptionsExit2WithOnePlainLine()
    {
        var key = KeyFile();
        var dep = _dir.File("deployment.json");
        new DeployedContracts(chain.Anvil.ChainId, chain.RiscvStep.ContractAddress, chain.RiscvStep.ContractAddress, chain.RiscvStep.ContractAddress,
            chain.RiscvStep.ContractAddress, DeployParameters.Devnet).Save(dep);
        var png = _dir.File("one.png");
        File.WriteAllBytes(png, DigitPngs.One());
        var missing = _dir.File("missing.json");
        var junk = _dir.File("junk.json");
        File.WriteAllText(junk, "{ not json");
        foreach (var (args, message) in new (string[], string)[]
        {
            (["status", "--rpc", "not-a-url", "--deployment", dep], "--rpc 'not-a-url' is not an http(s) URL"),
            (["deploy", "--rpc", "not-a-url", "--key-file", key], "is not an http(s) URL"),
            (["deploy", "--rpc", chain.Anvil.RpcUrl, "--key-file", key, "--contracts", chain.ContractsDir, "--out", _dir.File("no/such/dir.json")], "no such directory"),
            (["status", "--deployment", dep], "no RPC endpoint"),
            (["status", "--rpc", "http://127.0.0.1:9", "--deployment", dep], "cannot reach the RPC endpoint http://127.0.0.1:9/"),
            (["status", "--rpc", chain.Anvil.RpcUrl, "--deployment", missing], "no deployment file"),
            (["status", "--rpc", chain.Anvil.RpcUrl, "--deployment", junk], "is not a deployment file"),
            (["request", "--model", "1", "--input-png", png, "--rpc", chain.Anvil.RpcUrl, "--key-file", key, "--deployment", missing], "no deployment file"),
            (["request", "--model", "1", "--input-png", png, "--rpc", chain.Anvil.RpcUrl, "--key-env", "UNSET_VAR_" + Guid.NewGuid().ToString("N"), "--deployment", dep], "is not set"),
            (["request", "--model", "1", "--input-png", png, "--rpc", chain.Anvil.RpcUrl, "--key-file", _dir.File("nokey"), "--deployment", dep], "does not exist"),
            (["model", "register", Repo.Path("models", "mnist", "mnist.opml"), "--rpc", chain.Anvil.RpcUrl, "--key-file", png, "--deployment", dep], "does not hold a 32-byte hex private key"),
            // Every address holds code here (RiscvStep's), but the chain id is another one.
            (["status", "--rpc", chain.Anvil.RpcUrl, "--deployment", Rewrite(dep, x => x with { ChainId = 1 })], "the deployment is on chain 1"),
            (["model", "register", "--rpc", chain.Anvil.RpcUrl], "Required argument missing"),
        }.Concat(Environment.GetEnvironmentVariable(ChainOptionsDefaultKeyEnv) is not null ? [] : new (string[], string)[]
        {
            // Only when the default key variable is unset in this environment (the child inherits it).
            (["request", "--model", "1", "--input-png", png, "--rpc", chain.Anvil.RpcUrl, "--deployment", dep], "no signing key: pass --key-file FILE or --key-env NAME"),
        }))
        {
            var r = Run(args);
            Assert.True(r.Code == 2, $"{string.Join(' ', args)} exited {r.Code}:\n{r.Out}\n{r.Err}");
            Assert.StartsWith("error: ", r.Err);
            Assert.Contains(message, r.Err);
            Assert.DoesNotMatch(@"^\s+at \S+\(|Exception\b", r.Err);
        }
        AssertKeyNeverPrinted();
    }

    [Fact]
    public void EveryChainVerbHasHelp()
    {
        foreach (var (verb, options) in new (string[], string[])[]
        {
            (["deploy"], ["--contracts", "--window", "--k", "--clock", "--extension", "--submitter-bond", "--challenger-bond", "--min-fee", "--out", "--rpc", "--key-file", "--key-env"]),
            (["model", "register"], ["--max-node-steps", "--rpc", "--key-file", "--key-env", "--deployment"]),
            (["request"], ["--model", "--input-png", "--input", "--passes", "--fee", "--wait", "--timeout", "--deployment"]),
            (["status"], ["--json", "--rpc", "--deployment"]),
        })
        {
            var r = Run([.. verb, "--help"]);
            Assert.Equal(0, r.Code);
            foreach (var o in options) Assert.Contains(o + " ", r.Out);
        }
    }

    private string Rewrite(string path, Func<DeployedContracts, DeployedContracts> change)
    {
        var f = _dir.File(Guid.NewGuid().ToString("N") + ".json");
        change(DeployedContracts.Load(path)).Save(f);
        return f;
    }

    [GeneratedRegex(@"(program|descriptors|weights) root:\s+0x[0-9a-f]{64}")]
    private static partial Regex RootLines();
}
