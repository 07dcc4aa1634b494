using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Inference.Import.Onnx;

/// <summary>MiniLM imported from ONNX is bit for bit the same model on CPU, the scalar reference, ILGPU and the RV32IM VM.</summary>
public sealed class MiniLmEquivalenceTests(MiniLmImportTests.Imported m) : IClassFixture<MiniLmImportTests.Imported>
{
    [Fact]
    public void EveryBackendGivesTheSameSlotRootsAndTheVmReproducesOneSlotOfEveryOp()
    {
        var input = m.Embedder.TaskInput(m.Embedder.Tokenize("The quick brown fox jumps over the lazy dog."));
        var cpu = new GraphRunner(m.Model, CpuBackend.Instance).Run(input, 1);
        using var gpu = new IlgpuBackend(forceCpu: true);
        foreach (var backend in new IOpBackend[] { ScalarBackend.Instance, gpu })
        {
            var other = new GraphRunner(m.Model, backend).Run(input, 1);
            for (long g = 0; g < cpu.SlotCount; g++)
                Assert.True(cpu.SlotRoot(g) == other.SlotRoot(g), $"slot {g} differs between cpu and {backend.Name}");
        }
        // The VM (a dispute's phase 2): the first slot of each op kind, from its committed start state.
        var runner = new GraphRunner(m.Model, CpuBackend.Instance);
        var roots = ModelRoots.Load(m.Model, TextWriter.Null);
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        var firstOfEachOp = Enumerable.Range(0, m.Model.Nodes.Count).GroupBy(j => m.Model.Nodes[j].Op).Select(g => (long)g.First()).ToList();
        Assert.True(firstOfEachOp.Count >= 6, $"only {firstOfEachOp.Count} op kinds");
        foreach (var g in firstOfEachOp)
        {
            var r = SlotVmCheck.Run(runner, input, 1, g, roots, vm, program, cpu.SlotRoot(g));
            Assert.True(r.StartMatches && r.OutputMatches, $"slot {g} ({r.Op}): VM {r.Exited} {r.ExitCode}, output {r.VmOutputRoot} vs native {r.NativeOutputRoot}");
        }
    }
}
