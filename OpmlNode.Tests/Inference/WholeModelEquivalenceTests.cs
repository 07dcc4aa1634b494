using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;

namespace OpmlNode.Tests.Inference;

/// <summary>
/// Whole tiny models of each architecture: the native backends agree on every slot root and on S_N, and every slot
/// re-run in the RV32IM VM (the computation a dispute's phase 2 bisects) gives the native slot root.
/// </summary>
public sealed class WholeModelEquivalenceTests : IDisposable
{
    private readonly ModelTempDir _dir = new();
    private readonly IlgpuBackend _gpu = new(forceCpu: true);

    public static TheoryData<ArchitectureKind, int> Models() => new() { { ArchitectureKind.Mlp, 1 }, { ArchitectureKind.Bert, 1 }, { ArchitectureKind.Llama, 5 } };

    [Theory]
    [MemberData(nameof(Models))]
    public void CpuIlgpuScalarAndVmAgreeOnEverySlot(ArchitectureKind arch, int passes)
    {
        using var m = ModelReader.Open(_dir.Synth(arch, seed: 7));
        var input = ModelSynth.RandomInput(m, 3);
        var cpu = new GraphRunner(m, CpuBackend.Instance).Run(input, passes);
        foreach (var backend in new IOpBackend[] { ScalarBackend.Instance, _gpu, VmBackend.Embedded() })
        {
            var other = new GraphRunner(m, backend).Run(input, passes);
            Assert.Equal(cpu.SlotCount, other.SlotCount);
            for (long g = 0; g < cpu.SlotCount; g++)
                Assert.True(cpu.SlotRoot(g) == other.SlotRoot(g), $"{arch}: slot {g} differs between cpu and {backend.Name}");
            Assert.Equal(cpu.FinalRoot, other.FinalRoot);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SlotsRunInTheVmFromTheirCommittedStart(ArchitectureKind arch, int passes)
    {
        using var m = ModelReader.Open(_dir.Synth(arch, seed: 9));
        var input = ModelSynth.RandomInput(m, 4);
        var runner = new GraphRunner(m, CpuBackend.Instance);
        var run = runner.Run(input, passes);
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        // Every slot of the first and last pass, and a stride through the rest.
        var slots = Enumerable.Range(0, (int)run.SlotCount).Where(g => g < m.Nodes.Count || g >= run.SlotCount - m.Nodes.Count || g % 5 == 0);
        foreach (var g in slots)
        {
            var r = SlotVmCheck.Run(runner, input, passes, g, roots, vm, program, run.SlotRoot(g));
            Assert.True(r.StartMatches, $"{arch} slot {g}: composed start root differs from the loaded memory");
            Assert.True(r.OutputMatches, $"{arch} slot {g} ({r.Op}): VM {r.Exited} {r.ExitCode}, output {r.VmOutputRoot} vs native {r.NativeOutputRoot}");
        }
    }

    public void Dispose()
    {
        _gpu.Dispose();
        _dir.Dispose();
    }
}
