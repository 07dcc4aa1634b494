using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

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
