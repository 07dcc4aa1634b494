using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Graphs;

/// <summary>What the contract composes for the VM run of slot g = p·n + j (GRAPH §4).</summary>
public sealed record SlotStart(long Slot, int Pass, int Node, byte[] Descriptor, Hash256 DescriptorRoot, MerkleProof DescriptorProof,
    Hash256 StateRoot, Hash256 InputRoot, IReadOnlyList<SlotInput> Inputs)
{
    public Hash256 MemoryRoot(Hash256 programRoot) =>
        NodeStartState.MemoryRoot(programRoot, DescriptorRoot, Inputs.Select(i => i.Root).ToArray());
}
