using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Tests.Inference;

/// <summary>The graph builder's tiling keeps every MatMul node under its VM step budget (OPS §4), measured in the VM.</summary>
public class TilingBudgetTests
{
    [Theory]
    [InlineData(ArchitectureKind.Llama, 60_000L)]
    [InlineData(ArchitectureKind.Mlp, 40_000L)]
    [InlineData(ArchitectureKind.Bert, 100_000L)]
    public void EveryMatMulNodeRunsWithinTheStepBudget(ArchitectureKind arch, long budget)
    {
        var preset = ModelSynth.Preset(arch, arch == ArchitectureKind.Llama ? "small" : "tiny") with { MaxStepsPerNode = budget };
        var def = ModelSynth.Build(arch, preset, seed: 5);
        var vm = VmBackend.Embedded();
        var r = new Random(1);
        var matmuls = def.Nodes.Where(d => d.Op == OpCode.MatMul).ToArray();
        var tiled = false;
        foreach (var d in matmuls)
        {
            var inputs = d.Inputs.Select(i => T.Rand(r, i.Spec)).ToArray();
            var run = vm.RunNode(d, inputs);
            Assert.True(run.Steps <= (ulong)budget, $"{d.Output} MatMul took {run.Steps} steps > budget {budget}");
            Assert.True(run.Steps <= (ulong)GuestCost.MatMulSteps(d.Output.Rows, d.Output.Cols, d.In(1).Dims[1]), $"the cost model must not underestimate: {d.Output.Rows}x{d.Output.Cols}x{d.In(1).Dims[1]} took {run.Steps}, estimate {GuestCost.MatMulSteps(d.Output.Rows, d.Output.Cols, d.In(1).Dims[1])}");
            tiled |= d.ParamsAs<MatMulParams>().N0 != 0;
        }
        Assert.True(tiled, "the budget was meant to force tiling somewhere");
    }
}
