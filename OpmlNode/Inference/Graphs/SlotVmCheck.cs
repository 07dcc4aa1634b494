using OpmlNode.Crypto;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Vm;

namespace OpmlNode.Inference.Graphs;

/// <summary>Runs slot g of a task in the RV32IM VM from its committed inputs (docs/GRAPH.md §4).</summary>
public static class SlotVmCheck
{
    public static SlotVmResult Run(GraphRunner runner, ReadOnlyMemory<byte> taskInput, int passes, long g, ModelRoots roots,
        VmBackend vm, Hash256 programRoot, Hash256 nativeOutputRoot)
    {
        var start = runner.ComposeSlotStart(taskInput, passes, g, roots);
        var memory = new PagedMemory();
        var entry = vm.LoadStartMemory(memory, start.Descriptor, start.Inputs.Select(i => (ReadOnlyMemory<byte>)i.Bytes).ToArray());
        var loadedRoot = memory.Root();
        var machine = new Machine(memory, entry);
        machine.Run(vm.MaxSteps);
        var d = runner.Model.Nodes[start.Node];
        return new SlotVmResult(g, start.Pass, start.Node, d.Op, machine.Step, machine.Exited, machine.ExitCode,
            start.MemoryRoot(programRoot), loadedRoot, memory.RegionRoot(VmBackend.OutputRegion), nativeOutputRoot);
    }
}
