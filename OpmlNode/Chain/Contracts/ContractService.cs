using System.Collections.Frozen;
using System.Numerics;
using System.Reflection;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Polly;

namespace OpmlNode.Chain.Contracts;

/// <summary>A contract call or transaction reverted. <see cref="ErrorName"/> is the Solidity custom error (e.g.
/// "BadOutputSlotProof") decoded against every error DTO of this namespace, with <see cref="Error"/> the decoded DTO;
/// for revert data that matches no known error, <see cref="ErrorName"/> is its 4-byte selector ("0x1234abcd"), or
/// "Error(string)" for a plain <c>require</c>/<c>revert("…")</c> reason, and <see cref="Error"/> is null.</summary>
public class ContractRevertException(string errorName, IErrorDTO? error, string? contract, Exception inner)
    : Exception(Describe(errorName, error, contract, inner), inner)
{
    public string ErrorName { get; } = errorName;
    public IErrorDTO? Error { get; } = error;
    /// <summary>The contract the call was sent to (the error may come from a contract it called, e.g. RiscvStep).</summary>
    public string? Contract { get; } = contract;

    private static string Describe(string name, IErrorDTO? error, string? contract, Exception inner)
    {
        var args = error is null
            ? (inner is SmartContractCustomErrorRevertException ? "" : $"\"{inner.Message}\"")
            : string.Join(", ", error.GetType().GetProperties()
                .Select(p => (p, a: p.GetCustomAttribute<ParameterAttribute>()))
                .Where(x => x.a is not null).OrderBy(x => x.a!.Order)
                .Select(x => $"{x.a!.Name}: {Format(x.p.GetValue(error))}"));
        return $"{contract ?? "contract"} reverted with {name}({args})";
    }

    private static string Format(object? v) => v switch
    {
        byte[] b => "0x" + Convert.ToHexStringLower(b),
        null => "null",
        _ => v.ToString() ?? "",
    };
}

/// <summary>A mined transaction's receipt and the one event it was sent for.</summary>
public sealed record Mined<TEvent>(TEvent Event, TransactionReceipt Receipt);

/// <summary>Decodes revert data against every <c>[Error]</c> DTO in <c>OpmlNode.Chain.Contracts</c>
/// (Errors.sol and RiscvStep's errors).</summary>
public static class ContractErrors
{
    /// <summary>Every error DTO type, by its 4-byte selector (lower-case hex without 0x).</summary>
    public static FrozenDictionary<string, Type> BySelector { get; } = typeof(ContractErrors).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(ContractErrors).Namespace && typeof(IErrorDTO).IsAssignableFrom(t)
                    && t.GetCustomAttribute<ErrorAttribute>() is not null)
        .ToFrozenDictionary(t => ABITypedRegistry.GetError(t).Sha3Signature.ToLowerInvariant());

    private static readonly MethodInfo DecodeAsMethod =
        typeof(ContractErrors).GetMethod(nameof(DecodeAs), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>The Solidity name and decoded DTO of a custom-error revert; null if its selector is unknown.</summary>
    public static (string Name, IErrorDTO Error)? Decode(SmartContractCustomErrorRevertException e)
    {
        var data = e.ExceptionEncodedData ?? "";
        if (data.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) data = data[2..];
        if (data.Length < 8 || !BySelector.TryGetValue(data[..8].ToLowerInvariant(), out var type)) return null;
        var error = (IErrorDTO)DecodeAsMethod.MakeGenericMethod(type).Invoke(null, [e])!;
        return (type.GetCustomAttribute<ErrorAttribute>()!.Name, error);
    }

    private static IErrorDTO DecodeAs<T>(SmartContractCustomErrorRevertException e) where T : class, IErrorDTO, new() =>
        e.DecodeError<T>();

    /// <summary>Runs <paramref name="call"/>, turning any revert into a <see cref="ContractRevertException"/>.</summary>
    public static async Task<T> Decoding<T>(string contract, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SmartContractCustomErrorRevertException e)
        {
            var decoded = Decode(e);
            var data = e.ExceptionEncodedData ?? "";
            throw new ContractRevertException(decoded?.Name ?? (data.Length >= 10 ? data[..10] : data), decoded?.Error, contract, e);
        }
        catch (SmartContractRevertException e)
        {
            throw new ContractRevertException("Error(string)", null, contract, e);
        }
    }
}

/// <summary>Common plumbing of the typed contract services: transactions wait for their receipt, reverts (from gas
/// estimation or eth_call) surface as <see cref="ContractRevertException"/>.</summary>
public abstract class ContractService(IWeb3 web3, string contractAddress, string contractName)
{
    public IWeb3 Web3 { get; } = web3;
    public string ContractAddress { get; } = contractAddress;
    public string ContractName { get; } = contractName;

    /// <summary>
    /// Gas added to the node's estimate: the estimate is made on the pending block, and the game's clocks make a move's
    /// storage writes depend on the timestamp it is mined at (an unchanged clock word costs 100 gas to write, a changed
    /// one up to 5,000), so an exact estimate can run out of gas a second later.
    /// </summary>
    public const int GasMarginPercent = 25, GasMarginFixed = 30_000;

    /// <summary>The gas limit sent for a node's <paramref name="estimate"/>: the estimate plus the margins above.</summary>
    public static BigInteger GasLimit(BigInteger estimate) => estimate * (100 + GasMarginPercent) / 100 + GasMarginFixed;

    /// <summary>
    /// The one way every transaction of the node is made, whether sent here or signed and stored by the daemon's
    /// TransactionSender: <paramref name="fn"/> with <paramref name="from"/> and <paramref name="value"/>, its gas
    /// estimated by the node (a revert surfaces as a decoded <see cref="ContractRevertException"/>) plus the margins above,
    /// unless the caller set <c>Gas</c> itself. <paramref name="rpc"/> retries the estimate on transient RPC faults.
    /// </summary>
    public static async Task<TransactionInput> PrepareAsync<TFunction>(IWeb3 web3, string contractName, string contract, TFunction fn,
        string from, BigInteger value, ResiliencePipeline? rpc = null, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
    {
        fn.FromAddress = from;
        fn.AmountToSend = value;
        if (fn.Gas is null)
        {
            var handler = web3.Eth.GetContractTransactionHandler<TFunction>();
            var estimate = await ContractErrors.Decoding(contractName, () => (rpc ?? ResiliencePipeline.Empty)
                .ExecuteAsync(async _ => await handler.EstimateGasAsync(contract, fn).ConfigureAwait(false), ct).AsTask()).ConfigureAwait(false);
            fn.Gas = GasLimit(estimate.Value);
        }
        var input = fn.CreateTransactionInput(contract);
        input.Value = new HexBigInteger(value);
        return input;
    }

    /// <summary>Sends <paramref name="fn"/> from the web3's account (made by <see cref="PrepareAsync"/>) and waits for the
    /// receipt; a mined failure (status 0) throws <see cref="InvalidOperationException"/>.</summary>
    public async Task<TransactionReceipt> SendAsync<TFunction>(TFunction fn, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
    {
        var from = fn.FromAddress ?? Web3.TransactionManager.Account?.Address
            ?? throw new InvalidOperationException($"{ContractName}: the web3 instance has no signing account");
        var input = await PrepareAsync(Web3, ContractName, ContractAddress, fn, from, fn.AmountToSend, ct: ct).ConfigureAwait(false);
        var receipt = await ContractErrors.Decoding(ContractName,
            () => Web3.TransactionManager.SendTransactionAndWaitForReceiptAsync(input, ct)).ConfigureAwait(false);
        if (receipt.Status?.Value != 1)
            throw new InvalidOperationException(
                $"{ContractName}.{typeof(TFunction).GetCustomAttribute<FunctionAttribute>()?.Name} transaction {receipt.TransactionHash} failed (status {receipt.Status?.Value})");
        return receipt;
    }

    /// <summary>Sends <paramref name="fn"/> and returns the single <typeparamref name="TEvent"/> this contract emitted.</summary>
    public async Task<Mined<TEvent>> SendForEventAsync<TFunction, TEvent>(TFunction fn, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
        where TEvent : IEventDTO, new()
    {
        var receipt = await SendAsync(fn, ct).ConfigureAwait(false);
        return new Mined<TEvent>(SingleEvent<TEvent>(receipt), receipt);
    }

    /// <summary>The <typeparamref name="TEvent"/> logs this contract emitted in <paramref name="receipt"/>.</summary>
    public List<TEvent> Events<TEvent>(TransactionReceipt receipt) where TEvent : IEventDTO, new() =>
        receipt.DecodeAllEvents<TEvent>()
            .Where(l => string.Equals(l.Log.Address, ContractAddress, StringComparison.OrdinalIgnoreCase))
            .Select(l => l.Event).ToList();

    private TEvent SingleEvent<TEvent>(TransactionReceipt receipt) where TEvent : IEventDTO, new()
    {
        var events = Events<TEvent>(receipt);
        return events.Count == 1
            ? events[0]
            : throw new InvalidOperationException(
                $"{ContractName}: expected one {typeof(TEvent).GetCustomAttribute<EventAttribute>()?.Name} event in tx {receipt.TransactionHash}, found {events.Count}");
    }

    /// <summary>eth_call of a function with a single return value.</summary>
    public Task<TResult> QueryAsync<TFunction, TResult>(TFunction fn, BlockParameter? block = null)
        where TFunction : FunctionMessage, new() =>
        ContractErrors.Decoding(ContractName, () =>
            Web3.Eth.GetContractQueryHandler<TFunction>().QueryAsync<TResult>(ContractAddress, fn, block));

    /// <summary>eth_call of a function whose outputs are a <c>[FunctionOutput]</c> DTO.</summary>
    public Task<TOutput> QueryOutputAsync<TFunction, TOutput>(TFunction fn, BlockParameter? block = null)
        where TFunction : FunctionMessage, new()
        where TOutput : IFunctionOutputDTO, new() =>
        ContractErrors.Decoding(ContractName, () =>
            Web3.Eth.GetContractQueryHandler<TFunction>().QueryDeserializingToObjectAsync<TOutput>(fn, ContractAddress, block));

    /// <summary>Deploys <paramref name="deployment"/> (bytecode from forge's artifact) and returns the new address.</summary>
    protected static async Task<string> DeployContractAsync<TDeployment>(IWeb3 web3, string contract, TDeployment deployment, CancellationToken ct)
        where TDeployment : ContractDeploymentMessage, new()
    {
        var receipt = await ContractErrors.Decoding(contract, () =>
            web3.Eth.GetContractDeploymentHandler<TDeployment>().SendRequestAndWaitForReceiptAsync(deployment, ct)).ConfigureAwait(false);
        if (receipt.Status?.Value != 1 || string.IsNullOrEmpty(receipt.ContractAddress))
            throw new InvalidOperationException($"{contract} deployment failed (tx {receipt.TransactionHash}, status {receipt.Status?.Value})");
        return receipt.ContractAddress;
    }
}
