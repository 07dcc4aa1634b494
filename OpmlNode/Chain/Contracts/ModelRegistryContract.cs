using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

// Hand-written Nethereum typed DTOs for contracts/src/dispute/ModelRegistry.sol (PROTOCOL §5.1). Errors: DisputeErrors.cs.
// ContractBindingAbiTests checks every DTO against forge's artifact (out/ModelRegistry.sol/ModelRegistry.json).

/// <summary>Deployment of ModelRegistry (no constructor arguments; bytecode from <see cref="ContractArtifacts.LoadBytecode"/>).</summary>
[ContractAbi(ContractNames.ModelRegistry)]
public sealed class ModelRegistryDeployment : ContractDeploymentMessage
{
    public ModelRegistryDeployment() : base("") { }
    public ModelRegistryDeployment(string bytecode) : base(bytecode) { }
}

/// <summary><c>register(bytes32 programRoot, uint32 entryPc, bytes32 descriptorsRoot, uint32 nodeCount, bytes32 weightsRoot,
/// uint32 weightCount, uint32 outputNode, uint32 inputSizeLimit, uint32 outputSizeLimit, uint64 maxNodeSteps) returns
/// (uint256 modelId)</c>.</summary>
[ContractAbi(ContractNames.ModelRegistry)]
[Function("register", "uint256")]
public sealed class RegisterFunction : FunctionMessage
{
    [Parameter("bytes32", "programRoot", 1)] public byte[] ProgramRoot { get; set; } = [];
    [Parameter("uint32", "entryPc", 2)] public uint EntryPc { get; set; }
    [Parameter("bytes32", "descriptorsRoot", 3)] public byte[] DescriptorsRoot { get; set; } = [];
    [Parameter("uint32", "nodeCount", 4)] public uint NodeCount { get; set; }
    [Parameter("bytes32", "weightsRoot", 5)] public byte[] WeightsRoot { get; set; } = [];
    [Parameter("uint32", "weightCount", 6)] public uint WeightCount { get; set; }
    [Parameter("uint32", "outputNode", 7)] public uint OutputNode { get; set; }
    [Parameter("uint32", "inputSizeLimit", 8)] public uint InputSizeLimit { get; set; }
    [Parameter("uint32", "outputSizeLimit", 9)] public uint OutputSizeLimit { get; set; }
    [Parameter("uint64", "maxNodeSteps", 10)] public ulong MaxNodeSteps { get; set; }
}

/// <summary><c>model(uint256 modelId) view returns (Model m)</c>; reverts <c>UnknownModel</c>.</summary>
[ContractAbi(ContractNames.ModelRegistry)]
[Function("model", typeof(ModelOutput))]
public sealed class ModelFunction : FunctionMessage
{
    [Parameter("uint256", "modelId", 1)] public BigInteger ModelId { get; set; }
}

[FunctionOutput]
public sealed class ModelOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "m", 1)] public ModelInfo M { get; set; } = new();
}

/// <summary><c>modelCount() view returns (uint256)</c>.</summary>
[ContractAbi(ContractNames.ModelRegistry)]
[Function("modelCount", "uint256")]
public sealed class ModelCountFunction : FunctionMessage;

[ContractAbi(ContractNames.ModelRegistry)]
[Event("ModelRegistered")]
public sealed class ModelRegisteredEvent : IEventDTO
{
    [Parameter("uint256", "modelId", 1, true)] public BigInteger ModelId { get; set; }
    [Parameter("address", "registrant", 2, true)] public string Registrant { get; set; } = "";
    [Parameter("bytes32", "programRoot", 3, false)] public byte[] ProgramRoot { get; set; } = [];
    [Parameter("uint32", "entryPc", 4, false)] public uint EntryPc { get; set; }
    [Parameter("bytes32", "descriptorsRoot", 5, false)] public byte[] DescriptorsRoot { get; set; } = [];
    [Parameter("uint32", "nodeCount", 6, false)] public uint NodeCount { get; set; }
    [Parameter("bytes32", "weightsRoot", 7, false)] public byte[] WeightsRoot { get; set; } = [];
    [Parameter("uint32", "weightCount", 8, false)] public uint WeightCount { get; set; }
    [Parameter("uint32", "outputNode", 9, false)] public uint OutputNode { get; set; }
    [Parameter("uint32", "inputSizeLimit", 10, false)] public uint InputSizeLimit { get; set; }
    [Parameter("uint32", "outputSizeLimit", 11, false)] public uint OutputSizeLimit { get; set; }
    [Parameter("uint64", "maxNodeSteps", 12, false)] public ulong MaxNodeSteps { get; set; }
}

/// <summary>Typed access to a deployed ModelRegistry. Reverts throw <see cref="ContractRevertException"/>.</summary>
public sealed class ModelRegistryService(IWeb3 web3, string contractAddress)
    : ContractService(web3, contractAddress, ContractNames.ModelRegistry)
{
    public static async Task<ModelRegistryService> DeployAsync(IWeb3 web3, string bytecode, CancellationToken ct = default) =>
        new(web3, await DeployContractAsync(web3, ContractNames.ModelRegistry, new ModelRegistryDeployment(bytecode), ct).ConfigureAwait(false));

    /// <summary>Registers a model; the event carries the new <c>modelId</c>.</summary>
    public Task<Mined<ModelRegisteredEvent>> RegisterAsync(RegisterFunction model, CancellationToken ct = default) =>
        SendForEventAsync<RegisterFunction, ModelRegisteredEvent>(model, ct);

    /// <summary><c>model(modelId)</c>; an unknown id throws <see cref="ContractRevertException"/> "UnknownModel".</summary>
    public async Task<ModelInfo> GetModelAsync(BigInteger modelId, BlockParameter? block = null) =>
        (await QueryOutputAsync<ModelFunction, ModelOutput>(new ModelFunction { ModelId = modelId }, block).ConfigureAwait(false)).M;

    public Task<BigInteger> ModelCountAsync(BlockParameter? block = null) =>
        QueryAsync<ModelCountFunction, BigInteger>(new ModelCountFunction(), block);
}
