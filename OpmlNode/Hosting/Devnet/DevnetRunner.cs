using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Hosting.Devnet;

/// <summary>Which lying node the devnet adds.</summary>
public enum DevnetLiar { None, Slot, Step, Challenger }

/// <param name="Prompt">Null: MNIST tasks on held-out digits. Else text tasks for a LLaMA imported with its vocabulary (model import-gguf).</param>
public sealed record DevnetOptions(string ContractsDir, string ModelFile, string WorkDir, DevnetLiar Liar, int Tasks, int Seed, int BlockTime,
    string? Prompt = null, int MaxTokens = 16);

/// <summary>One requested task as the summary tells it: what was asked, and (for digits) what the right answer is.</summary>
internal sealed record DevnetRequest(BigInteger Id, string Asked, string Expected, Stopwatch Clock);

/// <summary>
/// The whole system on one machine: anvil, the contracts, the MNIST model registered, an honest submitter and a
/// watchdog verifier as separate `opml-node run` processes (own keys, own databases), optionally a lying node, and
/// tasks on held-out digits; narrated from the chain's events, ending with a summary.
/// </summary>
public static class DevnetRunner
{
    public static readonly DeployParameters Parameters = new(ChallengeWindow: 4, SubmitterBond: BigInteger.Pow(10, 17),
        ChallengerBond: BigInteger.Pow(10, 17), K: 4, ClockBudget: 60, Extension: 15, MinFee: BigInteger.Pow(10, 15));

    public static async Task<int> RunAsync(DevnetOptions o, TextWriter output, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(o.WorkDir);
        // The model and a text task are checked before anything starts: a wrong --model fails at once, not after a deploy.
        using var model = ModelReader.Open(o.ModelFile);
        bool fashion = model.Architecture == FashionMnist.Architecture;
        var digits = o.Prompt is not null ? []
            : fashion ? FashionMnist.Load(FashionMnist.DefaultDir).Test
            : MnistDigits.Split(MnistDigits.Load(MnistDigits.DefaultPath())).Test;
        var text = o.Prompt is null ? null : DevnetText.For(model, o.Prompt, o.MaxTokens);
        output.WriteLine($"devnet in {o.WorkDir}: starting anvil{(o.BlockTime > 0 ? $" with {o.BlockTime}-second blocks" : " (automining)")}");
        using var anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = o.ContractsDir, ExtraArgs = o.BlockTime > 0 ? ["--block-time", o.BlockTime.ToString(CultureInfo.InvariantCulture)] : [] }, ct);
        var web3 = new Web3(new Account(Anvil.DevPrivateKeys[0], anvil.ChainId), anvil.RpcUrl);
        var contracts = await DeployedContracts.DeployAsync(web3, o.ContractsDir, Parameters, ct);
        var deployment = Path.Combine(o.WorkDir, "deployment.json");
        contracts.Save(deployment);
        output.WriteLine($"contracts: tasks {contracts.Tasks}, game {contracts.Game} (k = {Parameters.K}, window {Parameters.ChallengeWindow} s, clocks {Parameters.ClockBudget} s + {Parameters.Extension} s)");
        var registered = RegisteredModel.Of(model, ModelRoots.Load(model, TextWriter.Null), VmBackend.Embedded(), 1_000_000_000);
        var reg = await ModelRegistration.RegisterAsync(new ModelRegistryService(web3, contracts.Registry), registered, ct);
        output.WriteLine($"model {reg.ModelId} registered: {model.Architecture} ({Path.GetFileName(o.ModelFile)}), {model.Nodes.Count} nodes, program root {registered.ProgramRoot.ToString()[..12]}…");

        var names = new Dictionary<string, string>();
        var nodes = new List<NodeProcess>();
        NodeProcess Start(string name, int key, params string[] extra)
        {
            var keyFile = Path.Combine(o.WorkDir, name + ".key");
            File.WriteAllText(keyFile, Anvil.DevPrivateKeys[key] + "\n");
            var address = new Account(Anvil.DevPrivateKeys[key]).Address;
            names[address.ToLowerInvariant()] = name;
            var n = new NodeProcess(name, ["--rpc", anvil.RpcUrl, "--key-file", keyFile, "--deployment", deployment, "--model", $"{reg.ModelId}={o.ModelFile}",
                "--data", Path.Combine(o.WorkDir, name + "-data"), "--poll-ms", "100", .. extra], Path.Combine(o.WorkDir, name + ".log"));
            nodes.Add(n);
            output.WriteLine($"started {name} ({address}): {string.Join(' ', extra)}; log {n.LogFile}");
            return n;
        }
        names[web3.TransactionManager.Account.Address.ToLowerInvariant()] = "requester";
        var tasks = new OpmlTasksService(web3, contracts.Tasks);
        var narrator = new DevnetNarrator(web3, contracts, names, output, text is null ? null : text.Describe);
        try
        {
            // The watchdog (and, without a lying submitter, the honest submitter) is up before the first request: the
            // challenge window is a few seconds, not a node's start-up time. An honest submitter beside a lying one starts
            // only once the liar has submitted, so the liar's result is the one on chain.
            bool liarSubmits = o.Liar is DevnetLiar.Slot or DevnetLiar.Step;
            var first = new List<NodeProcess>();
            if (liarSubmits) first.Add(Start("liar", 3, o.Liar == DevnetLiar.Slot ? ["--submitter", "--lie-slot", "random", "--seed", o.Seed.ToString(CultureInfo.InvariantCulture)] : ["--submitter", "--lie-step", "2:middle"]));
            else first.Add(Start("honest", 1, "--submitter"));
            first.Add(Start("watchdog", 2, "--verifier"));
            if (o.Liar == DevnetLiar.Challenger) first.Add(Start("troll", 3, "--verifier", "--challenge-correct"));
            foreach (var n in first)
                if (!await n.WaitReadyAsync(TimeSpan.FromSeconds(60), ct))
                    throw new InvalidOperationException($"{n.Name} did not start (exit {(n.HasExited ? n.ExitCode.ToString(CultureInfo.InvariantCulture) : "none")}); see {n.LogFile}");
            var rng = new Random(o.Seed);
            var requested = new List<DevnetRequest>();
            for (int i = 0; i < o.Tasks; i++)
            {
                if (text is not null)
                {
                    var id = (await tasks.RequestAsync(reg.ModelId, text.Input.Bytes, (uint)text.Passes, Parameters.MinFee, ct)).Event.TaskId;
                    requested.Add(new DevnetRequest(id, $"\"{o.Prompt}\"", text.Expected, Stopwatch.StartNew()));
                    output.WriteLine($"requested task {id}: \"{o.Prompt}\" + {o.MaxTokens} tokens ({text.Passes} passes × {model.Nodes.Count} nodes = {(long)text.Passes * model.Nodes.Count} slots)");
                    continue;
                }
                var d = digits[rng.Next(digits.Count)];
                var did = (await tasks.RequestAsync(reg.ModelId, MnistImage.ToInput(d.Pixels), 1, Parameters.MinFee, ct)).Event.TaskId;
                string what = fashion ? "image" : "digit";
                requested.Add(new DevnetRequest(did, $"{what} #{d.Index}", $"class {d.Label}", Stopwatch.StartNew()));
                output.WriteLine($"requested task {did}: held-out {what} #{d.Index}, label {d.Label}{(fashion ? $" ({FashionMnist.ClassNames[d.Label]})" : "")}");
            }
            if (liarSubmits)
            {
                await Until(async () => (await tasks.GetTaskAsync(requested[0].Id)).Status == TaskStatus.Submitted, narrator, nodes, TimeSpan.FromSeconds(60), ct);
                Start("honest", 1, "--submitter");
            }
            var rejectedAt = new Dictionary<BigInteger, TimeSpan>();
            await Until(async () =>
            {
                foreach (var r in requested)
                    if (!rejectedAt.ContainsKey(r.Id) && narrator.Rejections.Any(x => x.Task == r.Id)) rejectedAt[r.Id] = r.Clock.Elapsed;
                foreach (var r in requested) if ((await tasks.GetTaskAsync(r.Id)).Status != TaskStatus.Finalized) return false;
                return true;
            }, narrator, nodes, TimeSpan.FromSeconds(300), ct);
            var finalAt = requested.ToDictionary(r => r.Id, r => r.Clock.Elapsed);
            await Task.Delay(1500, ct);
            await narrator.PollAsync();
            return await SummaryAsync(o, text, output, tasks, requested, rejectedAt, finalAt, narrator, names, total.Elapsed);
        }
        finally
        {
            foreach (var n in nodes.Where(n => !n.HasExited))
                try { n.Terminate(TimeSpan.FromSeconds(30)); } catch (TimeoutException) { } // killed: the demo is over either way
            foreach (var n in nodes) n.Dispose();
        }
    }

    private static async Task Until(Func<Task<bool>> done, DevnetNarrator narrator, List<NodeProcess> nodes, TimeSpan timeout, CancellationToken ct)
    {
        var end = DateTime.UtcNow + timeout;
        while (!await done())
        {
            await narrator.PollAsync();
            if (nodes.FirstOrDefault(n => n.HasExited) is { } dead)
                throw new InvalidOperationException($"node {dead.Name} exited with code {dead.ExitCode}; see {dead.LogFile}");
            if (DateTime.UtcNow > end) throw new TimeoutException($"the devnet did not reach its end within {timeout.TotalSeconds:F0} s");
            await Task.Delay(200, ct);
        }
        await narrator.PollAsync();
    }

    private static async Task<int> SummaryAsync(DevnetOptions o, DevnetText? text, TextWriter output, OpmlTasksService tasks, List<DevnetRequest> requested,
        Dictionary<BigInteger, TimeSpan> rejectedAt, Dictionary<BigInteger, TimeSpan> finalAt, DevnetNarrator narrator, Dictionary<string, string> names, TimeSpan total)
    {
        output.WriteLine();
        output.WriteLine("summary");
        output.WriteLine($"  {"task",-5} {"asked",-14} {"expected",-10} {"final by",-10} {"rejected",-9} {"liar caught after",-18} {"final after",-12} final output");
        bool ok = true;
        foreach (var req in requested)
        {
            var id = req.Id;
            var t = await tasks.GetTaskAsync(id);
            var s = await tasks.GetSubmissionAsync(t.SubmissionId);
            var by = names.GetValueOrDefault(s.Submitter.ToLowerInvariant(), s.Submitter);
            int rejected = narrator.Rejections.Count(r => r.Task == id);
            var cls = narrator.OutputOf(t.SubmissionId);
            ok &= by != "liar";
            var asked = req.Asked.Length > 14 ? req.Asked[..13] + "…" : req.Asked;
            output.WriteLine($"  {id,-5} {asked,-14} {(text is null ? req.Expected : "-"),-10} {by,-10} {rejected,-9} {(rejectedAt.TryGetValue(id, out var r) ? $"{r.TotalSeconds:F1} s" : "-"),-18} {$"{finalAt[id].TotalSeconds:F1} s",-12} {cls}");
            // A text task's output must be the text this machine's honest engine generates.
            if (text is not null) ok &= cls == text.Expected;
        }
        foreach (var (game, winner, how, moves) in narrator.Resolved)
            output.WriteLine($"  game {game}: {winner} won by {how} after {moves} moves");
        foreach (var (who, amount) in narrator.Credits.OrderBy(c => c.Key))
            output.WriteLine($"  credited {who,-10} {amount,26} wei");
        bool liarLost = o.Liar == DevnetLiar.None || narrator.Resolved.Any(g => g.Winner == (o.Liar == DevnetLiar.Challenger ? Side.Submitter : Side.Challenger));
        output.WriteLine(ok && liarLost
            ? $"result: every task final with the honest result{(o.Liar == DevnetLiar.None ? "" : ", the liar lost its bond")} ({total.TotalSeconds:F1} s in all)"
            : "result: UNEXPECTED OUTCOME (see the node logs)");
        return ok && liarLost ? 0 : 1;
    }
}
