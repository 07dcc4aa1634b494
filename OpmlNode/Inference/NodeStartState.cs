using OpmlNode.Crypto;
using OpmlNode.Inference.Backends;
using OpmlNode.Merkle;
using OpmlNode.Vm;

namespace OpmlNode.Inference;

/// <summary>
/// The memory root a node's VM run starts from (PROTOCOL §3), computed from roots only — what the contract does on
/// chain: the depth-4 tree over the 16 region roots [program root, descriptor root, input roots 0..7 (absent inputs
/// are empty regions), output (empty), regions 11..15 (empty)]. An empty region's root is Z[23].
/// </summary>
public static class NodeStartState
{
    public const int RegionCount = 16;
    public const int RegionDepth = MerkleMath.TensorDepth; // 23
    public const int MemoryDepth = PagedMemory.TreeDepth;  // 27

    /// <summary>Region-0 root of the loaded guest image (the program root).</summary>
    public static Hash256 ProgramRoot(ReadOnlySpan<byte> elf) => ElfLoader.Load(elf).Memory.RegionRoot(0);

    /// <summary>Start memory root from the program root, the descriptor's tensor root and the input tensor roots.</summary>
    public static Hash256 MemoryRoot(in Hash256 programRoot, in Hash256 descriptorRoot, ReadOnlySpan<Hash256> inputRoots)
    {
        if (inputRoots.Length > NodeDescriptor.MaxInputs) throw new ArgumentException($"at most {NodeDescriptor.MaxInputs} inputs", nameof(inputRoots));
        var regions = new Hash256[RegionCount];
        regions.AsSpan().Fill(ZeroHashes.At(RegionDepth));
        regions[0] = programRoot;
        regions[VmBackend.DescriptorRegion] = descriptorRoot;
        for (int i = 0; i < inputRoots.Length; i++) regions[VmBackend.FirstInputRegion + i] = inputRoots[i];
        return MerkleMath.RootOfNodes(regions, RegionDepth, MemoryDepth);
    }

    /// <summary>Start memory root of node <paramref name="d"/> (descriptor root = tensor root of its 352 bytes).</summary>
    public static Hash256 MemoryRoot(in Hash256 programRoot, NodeDescriptor d, ReadOnlySpan<Hash256> inputRoots) =>
        MemoryRoot(programRoot, MerkleMath.TensorRoot(d.Encode()), inputRoots);
}
