namespace OpmlNode.Dispute;

/// <summary>
/// One side's knowledge of a task: its graph trace and, per slot, its VM trace (built on first use from the slot's
/// honest run). This is the "split" trace of op-challenger: the outer graph trace, and under the slot phase 1 pins,
/// that slot's VM trace.
/// </summary>
public sealed class DisputeParty(GraphTrace graph, Func<long, VmRun> runOf, FaultInjection? lie = null)
{
    private readonly Dictionary<long, VmTrace> _vm = [];

    public GraphTrace Graph { get; } = graph;
    public FaultInjection? Lie { get; } = lie;

    /// <summary>This party's VM trace of slot <paramref name="slot"/>, claiming its own output root for it.</summary>
    public VmTrace Vm(long slot)
    {
        lock (_vm)
        {
            if (!_vm.TryGetValue(slot, out var t))
            {
                var vmLie = Lie is { } l && l.LieSlot == slot ? l : null;
                _vm[slot] = t = new VmTrace(runOf(slot), Graph.SlotRoot(slot), vmLie);
            }
            return t;
        }
    }

    /// <summary>The trace of the phase a game is in: graph roots in phase 1, the pinned slot's state hashes in phase 2.</summary>
    public ITraceProvider TraceFor(IGameView game) => game.Phase == GamePhase.Graph ? Graph : Vm(game.Slot);
}
