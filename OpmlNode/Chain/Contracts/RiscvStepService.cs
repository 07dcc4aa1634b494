using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

/// <summary>RiscvStep rejected a witness with one of its custom errors (a <see cref="ContractRevertException"/> whose
/// <see cref="ContractRevertException.Error"/> is one of RiscvStep's four *Error DTOs).</summary>
public sealed class RiscvStepRevertException(string errorName, IErrorDTO error, Exception inner)
    : ContractRevertException(errorName, error, ContractNames.RiscvStep, inner);

/// <summary>Typed access to a deployed RiscvStep contract.</summary>
public sealed class RiscvStepService(IWeb3 web3, string contractAddress)
{
    public IWeb3 Web3 { get; } = web3;
    public string ContractAddress { get; } = contractAddress;

    /// <summary>Deploys RiscvStep from its creation bytecode (see <see cref="ContractArtifacts.LoadBytecode"/>);
    /// the web3 instance must carry a signing account.</summary>
    public static async Task<RiscvStepService> DeployAsync(IWeb3 web3, string bytecode, CancellationToken ct = default)
    {
        var receipt = await web3.Eth.GetContractDeploymentHandler<RiscvStepDeployment>()
            .SendRequestAndWaitForReceiptAsync(new RiscvStepDeployment(bytecode), ct).ConfigureAwait(false);
        if (receipt.Status?.Value != 1 || string.IsNullOrEmpty(receipt.ContractAddress))
            throw new InvalidOperationException($"RiscvStep deployment failed (tx {receipt.TransactionHash}, status {receipt.Status?.Value})");
        return new RiscvStepService(web3, receipt.ContractAddress);
    }

    /// <summary>The post-state hash of one step (eth_call). A rejected witness throws <see cref="RiscvStepRevertException"/>.</summary>
    public async Task<byte[]> StepAsync(byte[] state, byte[] proofs, BlockParameter? block = null)
    {
        var fn = new StepFunction { State = state, Proofs = proofs };
        return await WithDecodedErrors(() =>
            Web3.Eth.GetContractQueryHandler<StepFunction>().QueryAsync<byte[]>(ContractAddress, fn, block)).ConfigureAwait(false);
    }

    /// <summary>The state hash (§4.2) of a packed state (eth_call).</summary>
    public async Task<byte[]> StateHashAsync(byte[] state, BlockParameter? block = null)
    {
        var fn = new StateHashFunction { State = state };
        return await WithDecodedErrors(() =>
            Web3.Eth.GetContractQueryHandler<StateHashFunction>().QueryAsync<byte[]>(ContractAddress, fn, block)).ConfigureAwait(false);
    }

    /// <summary>Sends <c>step</c> as a transaction and waits for the receipt (for gas measurement; the result is only
    /// visible through eth_call). Gas is estimated by the node, which also surfaces a revert as a decoded error.</summary>
    public async Task<TransactionReceipt> StepTransactionAsync(byte[] state, byte[] proofs, CancellationToken ct = default)
    {
        var fn = new StepFunction { State = state, Proofs = proofs };
        return await WithDecodedErrors(() =>
            Web3.Eth.GetContractTransactionHandler<StepFunction>().SendRequestAndWaitForReceiptAsync(ContractAddress, fn, ct)).ConfigureAwait(false);
    }

    private static async Task<T> WithDecodedErrors<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SmartContractCustomErrorRevertException e) when (Decode(e) is { } decoded)
        {
            throw new RiscvStepRevertException(decoded.Name, decoded.Error, e);
        }
    }

    /// <summary>Maps revert data to the matching error DTO by selector; null for an error RiscvStep does not declare.</summary>
    public static (string Name, IErrorDTO Error)? Decode(SmartContractCustomErrorRevertException e)
    {
        if (e.IsCustomErrorFor<BadMemoryProofError>()) return ("BadMemoryProof", e.DecodeError<BadMemoryProofError>());
        if (e.IsCustomErrorFor<BadProofsLengthError>()) return ("BadProofsLength", e.DecodeError<BadProofsLengthError>());
        if (e.IsCustomErrorFor<BadStateLengthError>()) return ("BadStateLength", e.DecodeError<BadStateLengthError>());
        if (e.IsCustomErrorFor<BadExitedFlagError>()) return ("BadExitedFlag", e.DecodeError<BadExitedFlagError>());
        return null;
    }
}
