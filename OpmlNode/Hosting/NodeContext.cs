using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Chain.Rpc;
using OpmlNode.Dispute;
using OpmlNode.Dispute.Storage;
using OpmlNode.Hosting.Metrics;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using Polly;

namespace OpmlNode.Hosting;

/// <summary>A served model, opened once: the file, its roots, its registration as this node computes it.</summary>
public sealed class ServedModelRuntime(ulong modelId, IModel model, ModelRoots roots, RegisteredModel registered)
{
    public ulong ModelId { get; } = modelId;
    public IModel Model { get; } = model;
    public ModelRoots Roots { get; } = roots;

    /// <summary>The registration (its step budget is the registered one, set at start-up from the chain).</summary>
    public RegisteredModel Registered => registered with { MaxNodeSteps = MaxNodeSteps };

    public ulong MaxNodeSteps { get; set; } = registered.MaxNodeSteps;
}

/// <summary>
/// What every service of one node shares: its signer, the contracts, the store, the served models, and each task's
/// dispute parties (computed once per task: the honest one, and the lying one when fault injection is on).
/// </summary>
public sealed class NodeContext : IDisposable
{
    private readonly Dictionary<TaskKey, DisputeTask> _tasks = [];
    private readonly Dictionary<(TaskKey Task, bool Lying), DisputeParty> _parties = [];

    // A reorganisation can put another request under the same task id: what the traces are of is part of the key.
    private readonly record struct TaskKey(ulong TaskId, ulong ModelId, uint Passes, string InputRoot);
    private readonly ILogger _log;
    private readonly Microsoft.Extensions.Hosting.IHostApplicationLifetime? _lifetime;

    public NodeContext(NodeRunOptions options, NodeStore store, IReadOnlyDictionary<ulong, ServedModelRuntime> models, NodeMetrics metrics, ILogger<NodeContext> log,
        Microsoft.Extensions.Hosting.IHostApplicationLifetime? lifetime = null)
    {
        _lifetime = lifetime;
        Metrics = metrics;
        Options = options;
        Store = store;
        Models = models;
        _log = log;
        Deployment = DeployedContracts.Load(options.Deployment);
        var key = SigningKey.Load(options.KeyFile, options.KeyEnv);
        Client = new FailoverRpcClient(options.RpcUrls, TimeSpan.FromSeconds(10), log);
        Client.Switched += (_, to, _) => { metrics.RpcSwitches.Inc(); metrics.RpcEndpoint.Set(options.RpcUrls.ToList().IndexOf(to)); };
        Web3 = new Web3(new Account(key, Deployment.ChainId), Client);
        Address = Web3.TransactionManager.Account.Address;
        Rpc = RpcResilience.Create(TimeSpan.FromSeconds(12), metrics: metrics, log: log);
        metrics.Attach(store, Address);
        Tasks = new OpmlTasksService(Web3, Deployment.Tasks);
        Game = new DisputeGameService(Web3, Deployment.Game);
        Vm = VmBackend.Embedded();
        Backend = OpBackends.Create(OpBackends.TryParse(options.Backend, out var b) ? b : BackendKind.Cpu);
    }

    public NodeRunOptions Options { get; }
    public NodeMetrics Metrics { get; }
    public NodeStore Store { get; }
    public IReadOnlyDictionary<ulong, ServedModelRuntime> Models { get; }
    public DeployedContracts Deployment { get; }
    public Web3 Web3 { get; }

    /// <summary>The JSON-RPC transport under <see cref="Web3"/>: the primary endpoint and its fallbacks.</summary>
    public FailoverRpcClient Client { get; }
    public string Address { get; }
    public ResiliencePipeline Rpc { get; }
    public OpmlTasksService Tasks { get; }
    public DisputeGameService Game { get; }
    public VmBackend Vm { get; }
    public IOpBackend Backend { get; }

    /// <summary>Why the node stopped itself (<see cref="Halt"/>), or null.</summary>
    public string? HaltReason { get; private set; }

    /// <summary>Stops the node for good: <paramref name="reason"/> is logged as critical and the process exits with code 3.</summary>
    public void Halt(string reason)
    {
        HaltReason ??= reason;
        _log.LogCritical("The node stops: {Reason}", reason);
        _lifetime?.StopApplication();
    }

    /// <summary>The hash of the chain's block 0.</summary>
    public async Task<string> GenesisAsync(CancellationToken ct) =>
        (await Read(() => Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new Nethereum.RPC.Eth.DTOs.BlockParameter(0)), ct))?.BlockHash
        ?? throw new InvalidOperationException("the chain has no block 0");

    /// <summary>Reads the chain's genesis and checks it (<see cref="CheckGenesis"/>): before every tick of the watcher and
    /// before every transaction is signed, so nothing is sent to a chain replaced behind the URL.</summary>
    public async Task CheckGenesisAsync(CancellationToken ct) => CheckGenesis(await GenesisAsync(ct));

    /// <summary>Throws <see cref="NodeHaltException"/> when <paramref name="genesis"/> is not the genesis the database follows.</summary>
    public void CheckGenesis(string genesis)
    {
        if (Store.Genesis is { } mine && !string.Equals(mine, genesis, StringComparison.OrdinalIgnoreCase))
            throw new NodeHaltException($"the chain at {Client.Current} has genesis {genesis}, but the data directory {Options.DataDir} follows the chain with genesis {mine}: " +
                "a different chain (restarted without its state, or another network) is behind this URL; point --rpc at the original chain, or start with a fresh --data directory and a deployment on this chain");
    }

    public bool IsMe(string address) => string.Equals(address, Address, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// This node's party for a task; lying per the fault options when <paramref name="lying"/>. The task's honest traces
    /// are computed once and kept in the database (<see cref="TaskTraceStore"/>), so after a restart they are read back.
    /// </summary>
    public DisputeParty Party(TaskRecord task, bool lying)
    {
        lock (_parties)
        {
            var key = new TaskKey(task.TaskId, task.ModelId, task.Passes, task.InputRoot);
            if (_parties.TryGetValue((key, lying), out var p)) return p;
            var dt = DisputeTaskOf(key, task);
            bool stored = Metrics.Time("graph", () => dt.HonestGraph.FromStore);
            // Once per task: the honest trace is shared by the honest and the lying party.
            if (!_parties.Keys.Any(k => k.Task == key))
                _log.LogInformation("Task {TaskId}: graph trace of {Slots} slots {TraceSource} (inference {InferenceSeconds:0.###} s, storage {StoreSeconds:0.###} s)",
                    task.TaskId, dt.HonestGraph.Length, stored ? "read from the database" : "computed and stored", dt.HonestGraph.InferenceSeconds, dt.HonestGraph.StoreSeconds);
            p = dt.Party(lying ? Lie(task, dt) : null);
            _parties[(key, lying)] = p;
            return p;
        }
    }

    /// <summary>Whether the task's honest trace can be defended in the VM to the last step (<see cref="DisputeTask.CheckVm"/>).</summary>
    public VmCheck CheckVm(TaskRecord task)
    {
        lock (_parties) return DisputeTaskOf(new TaskKey(task.TaskId, task.ModelId, task.Passes, task.InputRoot), task).CheckVm();
    }

    private DisputeTask DisputeTaskOf(TaskKey key, TaskRecord task)
    {
        if (_tasks.TryGetValue(key, out var dt)) return dt;
        var m = Models[task.ModelId];
        var input = Convert.FromHexString(task.InputHex);
        dt = new DisputeTask(m.Model, m.Roots, Vm, input, (int)task.Passes, m.Registered.MaxNodeSteps, Backend, new TaskTraceStore(Store.Db, task.TaskId), Options.CheckpointEveryPasses,
            (run, took) =>
            {
                Metrics.ComputeSeconds.WithLabels("vm").Inc(took.Total.TotalSeconds);
                _log.LogInformation("Task {TaskId}: VM run of slot {Slot}: {Steps} steps, {Checkpoints} checkpoints in {VmSeconds:0.###} s (link {LinkSeconds:0.###} s, run {RunSeconds:0.###} s, storage {VmStoreSeconds:0.###} s)",
                    task.TaskId, run.Slot, run.Steps, run.Checkpoints.Count, took.Total.TotalSeconds, took.Link.TotalSeconds, took.Run.TotalSeconds, took.Store.TotalSeconds);
            });
        _tasks[key] = dt;
        return dt;
    }

    /// <summary>
    /// Deletes a task's traces from the database and from memory (its parties too); returns the keys deleted. A task
    /// needed again afterwards (a reorganisation deeper than the undo window) has its traces computed again.
    /// </summary>
    public int DeleteTrace(ulong taskId)
    {
        lock (_parties)
        {
            foreach (var k in _parties.Keys.Where(k => k.Item1.TaskId == taskId).ToList()) _parties.Remove(k);
            foreach (var k in _tasks.Keys.Where(k => k.TaskId == taskId).ToList()) _tasks.Remove(k);
            return new TaskTraceStore(Store.Db, taskId).Clear();
        }
    }

    private FaultInjection? Lie(TaskRecord task, DisputeTask dt)
    {
        var f = Options.Faults;
        var honest = dt.Party();
        if (f.LieSlot is { } s)
        {
            long slot = s == "random" ? new Random(HashCode.Combine(f.Seed, (long)task.TaskId)).NextInt64(honest.Graph.Length) : long.Parse(s);
            _log.LogWarning("Fault injection: lying at slot {LieSlot} of task {TaskId} (seed {Seed})", slot, task.TaskId, f.Seed);
            return FixtureScenarios.LieSlot(slot.ToString(System.Globalization.CultureInfo.InvariantCulture), honest)[0].Lie;
        }
        if (f.LieStep is { } st)
        {
            var lie = FixtureScenarios.LieStep(st, honest)[0].Lie;
            _log.LogWarning("Fault injection: lying at slot {LieSlot} from VM step {LieStep} of task {TaskId}", lie.LieSlot, lie.LieStep, task.TaskId);
            return lie;
        }
        if (f.ChallengeCorrect)
            return FixtureScenarios.ChallengeCorrect(null, honest)[0].Lie;
        return null;
    }

    /// <summary>The earliest time a transaction sent now is mined at (<see cref="ChainClock.NowAsync"/>). Too early a move
    /// only reverts at gas estimation and is tried again on the next tick.</summary>
    public Task<ulong> NowAsync(CancellationToken ct) => ChainClock.NowAsync(Web3, Rpc, ct);

    /// <summary>The latest block's timestamp (<see cref="ChainClock.ChainTimeAsync"/>).</summary>
    public Task<ulong> ChainTimeAsync(CancellationToken ct) => ChainClock.ChainTimeAsync(Web3, Rpc, ct);

    public Task<T> Read<T>(Func<Task<T>> call, CancellationToken ct) => Rpc.ExecuteAsync(async _ => await call(), ct).AsTask();

    private BigInteger? _worstGameGas;
    private readonly HashSet<string> _poorLogged = [];

    /// <summary>
    /// Whether the balance covers <paramref name="bond"/> plus the gas of a whole game at its worst
    /// (<see cref="Chain.DefenderGas.WorstCaseGame"/>, from the measured gas tables) at the max fee a transaction signed
    /// now would carry. No: logged once per action (with the figures) and the action is not sent; it is decided again on
    /// the next tick, so a top-up resumes it.
    /// </summary>
    public async Task<bool> CanAffordAsync(string action, BigInteger bond, TransactionSender tx, CancellationToken ct)
    {
        _worstGameGas ??= Chain.DefenderGas.WorstCaseGame((int)await Read(() => Game.KAsync(), ct));
        var fees = await tx.CurrentFeesAsync(ct);
        var need = bond + _worstGameGas.Value * fees.MaxFeePerGas;
        var balance = (await Read(() => Web3.Eth.GetBalance.SendRequestAsync(Address), ct)).Value;
        if (balance >= need) return true;
        if (_poorLogged.Add(action))
            _log.LogError("{Action}: not sent: the balance {Balance} ETH does not cover the bond {Bond} ETH plus a whole game's gas ({Gas} gas at {Fees}) = {Need} ETH",
                action, Nethereum.Util.UnitConversion.Convert.FromWei(balance), Nethereum.Util.UnitConversion.Convert.FromWei(bond), _worstGameGas, fees,
                Nethereum.Util.UnitConversion.Convert.FromWei(need));
        return false;
    }

    public BigInteger SubmitterBond => Deployment.Parameters.SubmitterBond;
    public BigInteger ChallengerBond => Deployment.Parameters.ChallengerBond;

    public void Dispose()
    {
        (Backend as IDisposable)?.Dispose();
        Client.Dispose();
        foreach (var m in Models.Values) (m.Model as IDisposable)?.Dispose();
    }
}
