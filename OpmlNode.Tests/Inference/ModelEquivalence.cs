using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Inference;

/// <summary>
/// "The same model everywhere" for a whole (imported) model: every slot root equal on CPU, the scalar reference and
/// ILGPU (its CPU accelerator), and chosen slots run in the RV32IM VM from their committed start states giving the
/// native output root — what a dispute's phase 2 relies on.
/// </summary>
internal static class ModelEquivalence
{
    /// <summary>Asserts every backend gives the CPU backend's slot roots and S_N; returns the CPU run.</summary>
    public static GraphRun AssertBackendsAgree(IModel model, byte[] input, int passes, string label = "")
    {
        var cpu = new GraphRunner(model, CpuBackend.Instance).Run(input, passes);
        using var gpu = new IlgpuBackend(forceCpu: true);
        foreach (var backend in new IOpBackend[] { ScalarBackend.Instance, gpu })
        {
            var other = new GraphRunner(model, backend).Run(input, passes);
            for (long g = 0; g < cpu.SlotCount; g++)
                Assert.True(cpu.SlotRoot(g) == other.SlotRoot(g), $"{label}slot {g} differs between cpu and {backend.Name}");
            Assert.Equal(cpu.FinalRoot, other.FinalRoot);
        }
        return cpu;
    }

    /// <summary>Asserts each of <paramref name="slots"/> gives, in the VM from its committed start, the native output root of <paramref name="cpu"/>.</summary>
    public static void AssertVmAgrees(ModelReader model, byte[] input, int passes, GraphRun cpu, IEnumerable<long> slots, string label = "")
    {
        var runner = new GraphRunner(model, CpuBackend.Instance);
        var roots = ModelRoots.Load(model, TextWriter.Null);
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        foreach (var g in slots)
        {
            var r = SlotVmCheck.Run(runner, input, passes, g, roots, vm, program, cpu.SlotRoot(g));
            Assert.True(r.StartMatches && r.OutputMatches, $"{label}slot {g} ({r.Op}): VM {r.Exited} {r.ExitCode}, output {r.VmOutputRoot} vs native {r.NativeOutputRoot}");
        }
    }
}
