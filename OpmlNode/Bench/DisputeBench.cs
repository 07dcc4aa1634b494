using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Hosting.Devnet;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Bench;

/// <summary>What the lying submitter of <see cref="DisputeBench"/> gets wrong: a graph slot (the game ends in phase 2 at
/// that slot's first VM step), or a slot's VM trace from its middle step.</summary>
public enum DisputeBenchLie { Slot, Step }

/// <param name="LieSlot">The liar's wrong slot: a number, "random" (drawn from the seed), or "largest" (the last pass's
/// MatMul with the most multiply-accumulates: the costliest node to run in the VM, the worst case of phase 2).</param>
/// <param name="Passes">Null: 1 for a classifier; one prompt token and two generated (3) for a decoder.</param>
/// <param name="Window">The challenge window in seconds: long enough for the watchdog to compute the task.</param>
public sealed record DisputeBenchOptions(string ContractsDir, string ModelFile, string WorkDir, int K, DisputeBenchLie Lie, string LieSlot,
    int? Passes, int Seed, int Window);

/// <summary>One node's share of the bench: peak resident memory, compute by kind (seconds), transactions and gas, disk.</summary>
public sealed record DisputeBenchNode(string Name, long PeakRssBytes, double LoadSeconds, double InferenceSeconds, double StoreSeconds,
    double VmSeconds, double MoveSeconds, int Transactions, BigInteger Gas, long DiskBytes);

public sealed record DisputeBenchResult(
    string Model, long Parameters, int NodesPerPass, int Passes, long Slots, int K, long PinnedSlot, ulong PinnedSteps,
    int Phase1Rounds, int Phase2Rounds, int ExpectedRounds, IReadOnlyList<(string Mark, double Seconds)> Timeline,
    IReadOnlyList<DisputeBenchNode> Nodes, bool LiarLost, bool HonestFinal)
{
    public int Transactions => Nodes.Sum(n => n.Transactions);
    public BigInteger Gas => Nodes.Aggregate(BigInteger.Zero, (s, n) => s + n.Gas);

    /// <summary>Seconds from the request to the game's end (the liar's submission rejected).</summary>
    public double DisputeSeconds => Mark("rejected") - Mark("requested");

    public double Mark(string name) => Timeline.First(m => m.Mark == name).Seconds;

    /// <summary>The figures <c>bench plot</c> draws (written by <c>bench dispute --json</c>).</summary>
    public DisputeBenchSummary Summary() => new(Model, Parameters, K, Slots, (long)PinnedSteps, Phase1Rounds + Phase2Rounds, Transactions, (long)Gas,
        DisputeSeconds, Nodes.Max(n => n.PeakRssBytes) / 1048576.0, Nodes.Max(n => n.DiskBytes) / 1048576.0,
        Nodes.Max(n => n.LoadSeconds), Timeline.ToDictionary(m => m.Mark, m => m.Seconds));

    public override string ToString()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(string.Create(inv, $"dispute on {Model}: {Parameters:N0} parameters, {NodesPerPass} nodes/pass × {Passes} passes = {Slots:N0} slots, k = {K}"));
        s.AppendLine(string.Create(inv, $"  pinned slot {PinnedSlot}: {PinnedSteps:N0} VM steps; rounds: phase 1 {Phase1Rounds}, phase 2 {Phase2Rounds} (the split rule on this path: {ExpectedRounds}{(Phase1Rounds + Phase2Rounds == ExpectedRounds ? "" : ", MISMATCH")}; at most ⌈log_k N⌉ + ⌈log_k T⌉ = {Bisection.Rounds(Slots, K) + Bisection.Rounds((long)PinnedSteps, K)})"));
        s.AppendLine(string.Create(inv, $"  transactions {Transactions}, gas {Gas:N0}"));
        s.AppendLine("  timeline (s from the bench's start):");
        foreach (var (mark, t) in Timeline) s.AppendLine(string.Create(inv, $"    {mark,-22} {t,8:F2}"));
        s.AppendLine(string.Create(inv, $"  dispute (request to rejection): {DisputeSeconds:F2} s; phase 1 {Mark("phase 2 starts") - Mark("challenged"):F2} s, phase 2 {Mark("rejected") - Mark("phase 2 starts"):F2} s"));
        s.AppendLine("  per node: peak RSS, model load+roots, inference, trace storage, VM runs, moves (s), txs, gas, disk:");
        foreach (var n in Nodes)
            s.AppendLine(string.Create(inv, $"    {n.Name,-9} {n.PeakRssBytes / 1048576.0,8:F0} MiB {n.LoadSeconds,7:F2} {n.InferenceSeconds,7:F2} {n.StoreSeconds,7:F2} {n.VmSeconds,7:F2} {n.MoveSeconds,7:F2} {n.Transactions,4} {n.Gas,12:N0} {n.DiskBytes / 1048576.0,8:F1} MiB"));
        s.Append(LiarLost && HonestFinal ? "result: the liar lost, the honest result is final" : "result: UNEXPECTED OUTCOME (see the node logs)");
        return s.ToString();
    }
}

/// <summary>One dispute's figures as JSON (`bench dispute --json`), the input of `bench plot`.</summary>
public sealed record DisputeBenchSummary(string Model, long Parameters, int K, long Slots, long PinnedSteps, int Rounds, int Transactions, long Gas,
    double DisputeSeconds, double PeakRssMiB, double DiskMiB, double ModelLoadSeconds, IReadOnlyDictionary<string, double> Timeline);

/// <summary>
/// `opml-node bench dispute`: one whole dispute on a fresh anvil with real node processes — a request, a lying
/// submission, the watchdog's challenge, both phases, the step on chain, the rejection, the honest resubmission and its
/// finality — measured: rounds, transactions and gas from the chain; compute by kind from the nodes' logs; peak RSS
/// from /proc; disk from the data directories.
/// </summary>
public static class DisputeBench
{
    public static async Task<DisputeBenchResult> RunAsync(DisputeBenchOptions o, TextWriter progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var timeline = new List<(string, double)>();
        void Mark(string name)
        {
            timeline.Add((name, clock.Elapsed.TotalSeconds));
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,8:F2} s  {name}"));
        }
        Directory.CreateDirectory(o.WorkDir);
        using var model = ModelReader.Open(o.ModelFile);
        var roots = ModelRoots.Load(model, progress);
        var input = model.Kind == ArchitectureKind.Llama
            ? TaskInput.FromTokens(model, [new Random(o.Seed).Next(1, ModelSynth.VocabOf(model))])
            : TaskInput.Random(model, o.Seed);
        int passes = o.Passes ?? (model.Kind == ArchitectureKind.Llama ? Math.Min(3, input.DefaultPasses) : input.DefaultPasses);
        long slots = (long)passes * model.Nodes.Count;
        long lieSlot = o.LieSlot switch
        {
            "random" => new Random(o.Seed).NextInt64(slots),
            "largest" => (long)(passes - 1) * model.Nodes.Count + LargestMatMul(model),
            var g when long.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            var g => throw new ArgumentException($"--lie-slot '{g}': expected a slot number, random or largest"),
        };
        if (lieSlot < 0 || lieSlot >= slots) throw new ArgumentException($"--lie-slot {lieSlot} is outside the task's {slots} slots");
        long parameters = model.Weights.Sum(w => (long)w.Spec.ElementCount);
        Mark("model opened");

        var parameters0 = new DeployParameters(ChallengeWindow: (ulong)o.Window, SubmitterBond: BigInteger.Pow(10, 17), ChallengerBond: BigInteger.Pow(10, 17),
            K: o.K, ClockBudget: 3600, Extension: 120, MinFee: BigInteger.Pow(10, 15));
        using var anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = o.ContractsDir }, ct);
        var web3 = new Web3(new Account(Anvil.DevPrivateKeys[0], anvil.ChainId), anvil.RpcUrl);
        var contracts = await DeployedContracts.DeployAsync(web3, o.ContractsDir, parameters0, ct);
        var deployment = Path.Combine(o.WorkDir, "deployment.json");
        contracts.Save(deployment);
        var registered = RegisteredModel.Of(model, roots, VmBackend.Embedded(), 1_000_000_000);
        var reg = await ModelRegistration.RegisterAsync(new ModelRegistryService(web3, contracts.Registry), registered, ct);
        var firstBlock = (ulong)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value + 1;
        Mark("chain up, model registered");

        var nodes = new List<(NodeProcess Process, string Address, string Data)>();
        NodeProcess Start(string name, int key, params string[] extra)
        {
            var keyFile = Path.Combine(o.WorkDir, name + ".key");
            File.WriteAllText(keyFile, Anvil.DevPrivateKeys[key] + "\n");
            var data = Path.Combine(o.WorkDir, name + "-data");
            var n = new NodeProcess(name, ["--rpc", anvil.RpcUrl, "--key-file", keyFile, "--deployment", deployment, "--model", $"{reg.ModelId}={o.ModelFile}",
                "--data", data, "--poll-ms", "100", .. extra], Path.Combine(o.WorkDir, name + ".log"));
            nodes.Add((n, new Account(Anvil.DevPrivateKeys[key]).Address, data));
            progress.WriteLine($"  started {name}: {string.Join(' ', extra)}; log {n.LogFile}");
            return n;
        }
        var tasks = new OpmlTasksService(web3, contracts.Tasks);
        var game = new DisputeGameService(web3, contracts.Game);
        try
        {
            var liar = Start("liar", 3, o.Lie == DisputeBenchLie.Slot
                ? ["--submitter", "--lie-slot", lieSlot.ToString(CultureInfo.InvariantCulture)]
                : ["--submitter", "--lie-step", $"{lieSlot}:middle"]);
            var watchdog = Start("watchdog", 2, "--verifier");
            foreach (var n in new[] { liar, watchdog })
                if (!await n.WaitReadyAsync(TimeSpan.FromSeconds(600), ct))
                    throw new InvalidOperationException($"{n.Name} did not start (exit {(n.HasExited ? n.ExitCode.ToString(CultureInfo.InvariantCulture) : "none")}); see {n.LogFile}");
            Mark("nodes ready");

            var taskId = (await tasks.RequestAsync(reg.ModelId, input.Bytes, (uint)passes, parameters0.MinFee, ct)).Event.TaskId;
            Mark("requested");
            var limit = TimeSpan.FromSeconds(Math.Max(600, o.Window * 4));
            await UntilAsync(async () => (await tasks.GetTaskAsync(taskId)).Status != TaskStatus.Open, nodes.Select(n => n.Process), limit, ct);
            Mark("liar submitted");
            Start("honest", 1, "--submitter");
            await UntilAsync(async () => await game.GameCountAsync() >= 1, nodes.Select(n => n.Process), limit, ct);
            Mark("challenged");
            await UntilAsync(async () => (await game.GetGameAsync(1)).Stage >= Stage.Steps, nodes.Select(n => n.Process), limit, ct);
            Mark("phase 2 starts");
            await UntilAsync(async () => (await game.GetGameAsync(1)).Stage >= Stage.Resolved, nodes.Select(n => n.Process), limit, ct);
            Mark("rejected");
            var g = await game.GetGameAsync(1);
            await UntilAsync(async () => (await tasks.GetTaskAsync(taskId)).Status == TaskStatus.Finalized, nodes.Select(n => n.Process), limit, ct);
            Mark("final");
            var t = await tasks.GetTaskAsync(taskId);
            var final = await tasks.GetSubmissionAsync(t.SubmissionId);
            bool honestFinal = string.Equals(final.Submitter, nodes.First(n => n.Process.Name == "honest").Address, StringComparison.OrdinalIgnoreCase);

            var rss = nodes.ToDictionary(n => n.Process.Name, n => n.Process.PeakRssBytes() ?? 0);
            foreach (var (n, _, _) in nodes)
                try { n.Terminate(TimeSpan.FromSeconds(60)); } catch (TimeoutException) { }
            var (txs, gas) = await TransactionsAsync(web3, firstBlock, nodes.Select(n => n.Address));
            var results = nodes.Select(n => NodeFigures(n.Process, rss[n.Process.Name], txs.GetValueOrDefault(n.Address.ToLowerInvariant()),
                gas.GetValueOrDefault(n.Address.ToLowerInvariant()), DirectorySize(n.Data))).ToList();
            var events = watchdog.Events();
            var runs = events.Where(e => Template(e).Contains("VM run of slot", StringComparison.Ordinal)).ToList();
            var pinned = runs.Count > 0 ? runs[^1] : (JsonElement?)null;
            int Rounds(Stage stage) => events.Count(e => Template(e).Contains("plays {Move}", StringComparison.Ordinal)
                && e.GetProperty("Move").GetString() == "Choose" && e.GetProperty("Stage").GetString() == stage.ToString());
            long steps = pinned is { } p ? p.GetProperty("Steps").GetInt64() : 0;
            // The rounds the rules give on this game's path: to the disputed slot in (0, N), then to the disputed step
            // in (0, T) (the interval the step was played on). ⌈log_k⌉ is the longest path; a shorter sub-interval
            // (they differ by one in length) can end a phase a round earlier.
            var stepMove = events.LastOrDefault(e => Template(e).Contains("plays {Move}", StringComparison.Ordinal) && e.GetProperty("Move").GetString() == "Step");
            long disputedStep = stepMove.ValueKind == JsonValueKind.Object ? stepMove.GetProperty("Lo").GetInt64() : steps - 1;
            long disputedSlot = pinned is { } r ? r.GetProperty("Slot").GetInt64() : lieSlot;
            var expected = RoundsTo(slots, disputedSlot, o.K) + RoundsTo(steps, disputedStep, o.K);
            return new DisputeBenchResult(Path.GetFileName(o.ModelFile), parameters, model.Nodes.Count, passes, slots, o.K,
                pinned is { } q ? q.GetProperty("Slot").GetInt64() : -1, (ulong)steps, Rounds(Stage.Slots), Rounds(Stage.Steps), expected,
                timeline, results, g.Winner == Side.Challenger, honestFinal);
        }
        finally
        {
            foreach (var (n, _, _) in nodes) n.Dispose();
        }
    }

    /// <summary>The index in a pass of the MatMul node with the most multiply-accumulates (0 without one).</summary>
    private static int LargestMatMul(IModel model)
    {
        int best = 0;
        long most = -1;
        for (int i = 0; i < model.Nodes.Count; i++)
        {
            var d = model.Nodes[i];
            if (d.Op != Inference.OpCode.MatMul) continue;
            long macs = (long)d.Output.Rows * d.Output.Cols * d.In(1).Dims[1];
            if (macs > most) (best, most) = (i, macs);
        }
        return best;
    }

    /// <summary>Rounds of the k-ary split rule from (0, <paramref name="length"/>) down to (target, target + 1).</summary>
    public static int RoundsTo(long length, long target, int k)
    {
        long lo = 0, hi = length;
        int rounds = 0;
        while (hi - lo > 1)
        {
            var p = Bisection.Points(lo, hi, k);
            int c = 0;
            while (p[c + 1] <= target) c++;
            (lo, hi) = (p[c], p[c + 1]);
            rounds++;
        }
        return rounds;
    }

    private static string Template(JsonElement e) => e.TryGetProperty("@mt", out var mt) ? mt.GetString() ?? "" : "";

    private static double Sum(IEnumerable<JsonElement> events, string template, string property) =>
        events.Where(e => Template(e).Contains(template, StringComparison.Ordinal) && e.TryGetProperty(property, out _))
            .Sum(e => e.GetProperty(property).GetDouble());

    private static DisputeBenchNode NodeFigures(NodeProcess n, long rss, int txs, BigInteger gas, long disk)
    {
        var ev = n.Events();
        return new DisputeBenchNode(n.Name, rss, Sum(ev, "loaded from {File}", "LoadSeconds"), Sum(ev, "graph trace of", "InferenceSeconds"),
            Sum(ev, "graph trace of", "StoreSeconds"), Sum(ev, "VM run of slot", "VmSeconds"), Sum(ev, "plays {Move}", "MoveSeconds"), txs, gas, disk);
    }

    /// <summary>Each sender's mined transactions and gas from block <paramref name="from"/> to the head.</summary>
    private static async Task<(Dictionary<string, int> Count, Dictionary<string, BigInteger> Gas)> TransactionsAsync(Web3 web3, ulong from, IEnumerable<string> senders)
    {
        var wanted = senders.Select(a => a.ToLowerInvariant()).ToHashSet();
        var count = new Dictionary<string, int>();
        var gas = new Dictionary<string, BigInteger>();
        var head = (ulong)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        for (ulong b = from; b <= head; b++)
        {
            var block = await web3.Eth.Blocks.GetBlockWithTransactionsByNumber.SendRequestAsync(new BlockParameter(b));
            foreach (var tx in block.Transactions)
            {
                var who = tx.From.ToLowerInvariant();
                if (!wanted.Contains(who)) continue;
                var r = await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.TransactionHash);
                count[who] = count.GetValueOrDefault(who) + 1;
                gas[who] = gas.GetValueOrDefault(who) + r.GasUsed.Value;
            }
        }
        return (count, gas);
    }

    private static long DirectorySize(string dir) =>
        Directory.Exists(dir) ? new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private static async Task UntilAsync(Func<Task<bool>> done, IEnumerable<NodeProcess> nodes, TimeSpan timeout, CancellationToken ct)
    {
        var end = DateTime.UtcNow + timeout;
        while (!await done())
        {
            if (nodes.FirstOrDefault(n => n.HasExited) is { } dead)
                throw new InvalidOperationException($"node {dead.Name} exited with code {dead.ExitCode}; see {dead.LogFile}");
            if (DateTime.UtcNow > end) throw new TimeoutException($"the dispute did not get there within {timeout.TotalSeconds:F0} s; see the node logs");
            await Task.Delay(100, ct);
        }
    }
}
