using OpmlNode.Crypto;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>What the model registry holds for a model (PROTOCOL §5): everything the contract needs to referee its slots.</summary>
public sealed record RegisteredModel(
    Hash256 ProgramRoot, uint EntryPc, Hash256 DescriptorsRoot, int NodeCount, Hash256 WeightsRoot, int WeightCount,
    int OutputNode, int InputSizeLimit, int OutputSizeLimit, ulong MaxNodeSteps)
{
    /// <summary>The largest task input or result output in bytes (PROTOCOL §5.1, the contracts' MAX_PAYLOAD_BYTES):
    /// <c>request</c> and <c>submit</c> hash and log the payload whole, and at this size each still fits one transaction
    /// under EIP-7825's 2^24 gas cap.</summary>
    public const int MaxPayloadBytes = 400 * 1024;

    /// <summary>The registration of <paramref name="model"/> run by <paramref name="vm"/>'s guest; refuses a model whose
    /// input limit or output could not be carried by one capped transaction.</summary>
    public static RegisteredModel Of(IModel model, ModelRoots roots, VmBackend vm, ulong maxNodeSteps)
    {
        int output = model.Nodes[model.OutputNode].Output.ByteLength;
        if (output > MaxPayloadBytes)
            throw new InvalidDataException($"the model's output (node {model.OutputNode}) is {output:N0} bytes; a result submitted on chain is at most {MaxPayloadBytes:N0} bytes (one transaction under the 2^24 gas cap): make the output node smaller, e.g. an argmax or a top-k");
        if (model.InputSizeLimit > MaxPayloadBytes)
            throw new InvalidDataException($"the model's input size limit is {model.InputSizeLimit:N0} bytes; a task input on chain is at most {MaxPayloadBytes:N0} bytes");
        return new(vm.ProgramRoot(), ElfLoader.Load(vm.Elf).Entry, roots.DescriptorsRoot, model.Nodes.Count, roots.WeightsRoot,
            model.Weights.Count, model.OutputNode, model.InputSizeLimit, output, maxNodeSteps);
    }
}
