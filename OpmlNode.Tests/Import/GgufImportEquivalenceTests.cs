using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Import;

/// <summary>The imported KJV model is bit for bit the same model on CPU, the scalar reference, ILGPU and the RV32IM VM.</summary>
public sealed class GgufImportEquivalenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gguf-equiv").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_backend_gives_the_same_slot_roots()
    {
        var import = GgufImportAccuracyTests.ImportKjv("q8_0");
        var path = Path.Combine(_dir, "kjv.opml");
        ModelWriter.Write(path, import.Model);
        using var m = ModelReader.Open(path);
        var input = ModelSynth.PromptInput("In the"u8.ToArray().Select(b => (int)b).ToArray());
        const int passes = 8;
        var cpu = new GraphRunner(m, CpuBackend.Instance).Run(input, passes);
        using var gpu = new IlgpuBackend(forceCpu: true);
        foreach (var backend in new IOpBackend[] { ScalarBackend.Instance, gpu })
        {
            var other = new GraphRunner(m, backend).Run(input, passes);
            for (long g = 0; g < cpu.SlotCount; g++)
                Assert.True(cpu.SlotRoot(g) == other.SlotRoot(g), $"slot {g} differs between cpu and {backend.Name}");
            Assert.Equal(cpu.FinalRoot, other.FinalRoot);
        }
        // The VM: every node of the last pass from its committed start state (what a dispute's phase 2 runs).
        var runner = new GraphRunner(m, CpuBackend.Instance);
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        for (long g = cpu.SlotCount - m.Nodes.Count; g < cpu.SlotCount; g++)
        {
            var r = SlotVmCheck.Run(runner, input, passes, g, roots, vm, program, cpu.SlotRoot(g));
            Assert.True(r.StartMatches && r.OutputMatches, $"slot {g} ({r.Op}): VM {r.Exited} {r.ExitCode}, output {r.VmOutputRoot} vs native {r.NativeOutputRoot}");
        }
    }
}
