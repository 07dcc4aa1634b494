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
    TaskTraceStore? store = null, int checkpointInterval = GraphTrace.DefaultCheckpointInterval)
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
                run = Dispute.VmRun.Execute(vm, HonestGraph.Link(slot), MaxNodeSteps);
                Faults.CrashPoint.Hit("vm-trace"); // the trace computed, not stored: a restart computes it again
                store?.PutVmRun(run);
            }
            _runs[slot] = run;
            return run;
        }
    }

    /// <summary>A party computing this task natively, honest or lying as <paramref name="lie"/> says.</summary>
    public DisputeParty Party(FaultInjection? lie = null) => new(HonestGraph.WithLie(lie), VmRun, lie);
}
