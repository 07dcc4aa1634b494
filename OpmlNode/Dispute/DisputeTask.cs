using OpmlNode.Dispute.Storage;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;

namespace OpmlNode.Dispute;

/// <summary>
/// A task as both sides of a dispute see it: the model, its registration, the input and the passes. It computes the
/// honest graph trace once and each slot's honest VM run once (or reads them from <paramref name="store"/>), and every
/// party, honest or lying, is built on them.
/// </summary>
public sealed class DisputeTask(IModel model, ModelRoots roots, VmBackend vm, byte[] input, int passes, ulong maxNodeSteps, IOpBackend? backend = null,
    TaskTraceStore? store = null, int checkpointInterval = GraphTrace.DefaultCheckpointInterval, Action<VmRun, VmRunTimes>? vmRan = null)
{
    private readonly Lazy<GraphTrace> _graph = new(() => GraphTrace.Honest(model, roots, input, passes, backend, store, checkpointInterval));
    private readonly Dictionary<long, VmRun> _runs = [];

    public IModel Model { get; } = model;
    public ModelRoots Roots { get; } = roots;
    public byte[] Input { get; } = input;
    public int Passes { get; } = passes;
    public ulong MaxNodeSteps { get; } = maxNodeSteps;
    public RegisteredModel Registered { get; } = RegisteredModel.Of(model, roots, vm, maxNodeSteps);

    /// <summary>The honest graph trace (computed, or read from the store, on first use).</summary>
    public GraphTrace HonestGraph => _graph.Value;

    /// <summary>Slot <paramref name="slot"/>'s honest VM run: stored, or executed from its link and then stored.</summary>
    public VmRun VmRun(long slot)
    {
        lock (_runs)
        {
            if (_runs.TryGetValue(slot, out var run)) return run;
            run = store?.VmRun(slot);
            if (run is null)
            {
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                var link = HonestGraph.Link(slot);
                var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                run = Dispute.VmRun.Execute(vm, link, MaxNodeSteps);
                var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
                Faults.CrashPoint.Hit("vm-trace"); // the trace computed, not stored: a restart computes it again
                store?.PutVmRun(run);
                vmRan?.Invoke(run, new VmRunTimes(System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1), System.Diagnostics.Stopwatch.GetElapsedTime(t1, t2),
                    System.Diagnostics.Stopwatch.GetElapsedTime(t2)));
            }
            _runs[slot] = run;
            return run;
        }
    }

    /// <summary>The most VM steps <see cref="CheckVm"/> spends on a task (slots × budget): beyond, a task is not checked.</summary>
    public const ulong VmCheckStepLimit = 1UL << 31;

    private VmCheck? _vmCheck;

    /// <summary>
    /// Whether the honest trace can be defended to the last step: every slot's guest, run from its link, exits 0 within
    /// the registered step budget (a slot that traps or runs out cannot be shown on chain, so a submission would lose
    /// and a challenge could not be won). Runs every slot once, without checkpoints, and remembers the answer; a task
    /// whose slots × budget exceeds <see cref="VmCheckStepLimit"/> is not run (<see cref="VmCheck.Checked"/> false).
    /// </summary>
    public VmCheck CheckVm()
    {
        if (_vmCheck is { } done) return done;
        var length = HonestGraph.Length;
        if ((ulong)length > VmCheckStepLimit / Math.Max(1, MaxNodeSteps)) return (_vmCheck = new VmCheck(false, null)).Value;
        for (long g = 0; g < length; g++)
        {
            try { Dispute.VmRun.Execute(vm, HonestGraph.Link(g), MaxNodeSteps, checkpointInterval: int.MaxValue); }
            catch (InvalidOperationException e) { return (_vmCheck = new VmCheck(true, e.Message)).Value; }
        }
        return (_vmCheck = new VmCheck(true, null)).Value;
    }

    /// <summary>A party computing this task natively, honest or lying as <paramref name="lie"/> says.</summary>
    public DisputeParty Party(FaultInjection? lie = null) => new(HonestGraph.WithLie(lie), VmRun, lie);
}

/// <summary>The outcome of <see cref="DisputeTask.CheckVm"/>: <paramref name="Problem"/> says which slot cannot be shown
/// on chain and why (null: every slot can, or the task was too big to check).</summary>
public readonly record struct VmCheck(bool Checked, string? Problem);

/// <summary>What one slot's VM run cost: composing its start state from the graph (<paramref name="Link"/>: a replay from
/// the nearest pass checkpoint and the input proofs), running it with checkpoints, and storing it.</summary>
public readonly record struct VmRunTimes(TimeSpan Link, TimeSpan Run, TimeSpan Store)
{
    public TimeSpan Total => Link + Run + Store;
}
