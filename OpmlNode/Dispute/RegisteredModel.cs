using OpmlNode.Crypto;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>What the model registry holds for a model (PROTOCOL §5): everything the contract needs to referee its slots.</summary>
public sealed record RegisteredModel(
    Hash256 ProgramRoot, uint EntryPc, Hash256 DescriptorsRoot, int NodeCount, Hash256 WeightsRoot, int WeightCount,
    int OutputNode, int InputSizeLimit, ulong MaxNodeSteps)
{
    /// <summary>The registration of <paramref name="model"/> run by <paramref name="vm"/>'s guest.</summary>
    public static RegisteredModel Of(IModel model, ModelRoots roots, VmBackend vm, ulong maxNodeSteps) =>
        new(vm.ProgramRoot(), ElfLoader.Load(vm.Elf).Entry, roots.DescriptorsRoot, model.Nodes.Count, roots.WeightsRoot,
            model.Weights.Count, model.OutputNode, model.InputSizeLimit, maxNodeSteps);
}
