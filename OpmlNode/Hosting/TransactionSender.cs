using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using Polly;

namespace OpmlNode.Hosting;

/// <summary>
/// Sends the node's transactions, one signer and one nonce sequence per key, at most one transaction per action:
/// the signed bytes are stored (<see cref="PendingTransaction"/>) before they are broadcast, and an action that already
/// has a stored transaction is never signed again — after a restart its bytes are re-broadcast and its receipt awaited.
/// </summary>
public sealed class TransactionSender(IWeb3 web3, string from, NodeStore store, ResiliencePipeline rpc, ILogger<TransactionSender> log)
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public string From { get; } = from;

    /// <summary>Whether an action has been sent already (mined or pending).</summary>
    public bool Sent(string action) => store.Transaction(action) is not null;

    /// <summary>Whether any action starting with <paramref name="prefix"/> has been sent.</summary>
    public bool SentAny(string prefix) => store.Transactions().Any(t => t.Action.StartsWith(prefix, StringComparison.Ordinal));

    public async Task<TransactionReceipt> SendAsync<TFunction>(string action, string contractName, string contract, TFunction fn, BigInteger value, CancellationToken ct)
        where TFunction : FunctionMessage, new()
    {
        await _one.WaitAsync(ct);
        try
        {
            var tx = store.Transaction(action) ?? await SignAndStoreAsync(action, contractName, contract, fn, value, ct);
            var receipt = await ReceiptAsync(tx, ct);
            if (tx.Status is null) store.Put(tx with { Status = (int)receipt.Status.Value });
            if (receipt.Status.Value != 1) throw new InvalidOperationException($"{action}: transaction {tx.Hash} reverted on chain");
            return receipt;
        }
        finally { _one.Release(); }
    }

    /// <summary>Waits for every stored transaction without a known outcome (re-broadcasting it): the first thing a restarted node does.</summary>
    public async Task ResumeAsync(CancellationToken ct)
    {
        foreach (var tx in store.Transactions().Where(t => t.Status is null))
        {
            log.LogInformation("Resuming {Action}: re-broadcasting {TxHash}", tx.Action, tx.Hash);
            var receipt = await ReceiptAsync(tx, ct);
            store.Put(tx with { Status = (int)receipt.Status.Value });
        }
    }

    private async Task<PendingTransaction> SignAndStoreAsync<TFunction>(string action, string contractName, string contract, TFunction fn, BigInteger value, CancellationToken ct)
        where TFunction : FunctionMessage, new()
    {
        fn.FromAddress = From;
        fn.AmountToSend = value;
        var handler = web3.Eth.GetContractTransactionHandler<TFunction>();
        var estimate = await ContractErrors.Decoding(contractName, () => rpc.ExecuteAsync(async _ => await handler.EstimateGasAsync(contract, fn), ct).AsTask());
        var nonce = await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(From, BlockParameter.CreatePending()), ct);
        var gasPrice = await rpc.ExecuteAsync(async _ => await web3.Eth.GasPrice.SendRequestAsync(), ct);
        var input = fn.CreateTransactionInput(contract);
        input.Gas = new HexBigInteger(estimate.Value * (100 + ContractService.GasMarginPercent) / 100 + ContractService.GasMarginFixed);
        // The node's own suggestion, not a multiple of it: a devnet derives its suggestion from recent tips, so paying 2x
        // would double the price with every transaction (it drained test accounts in a few dozen moves).
        input.GasPrice = gasPrice;
        input.Nonce = nonce;
        input.Value = new HexBigInteger(value);
        var raw = await web3.TransactionManager.SignTransactionAsync(input);
        var hash = Keccak256.Hash(Convert.FromHexString(raw.StartsWith("0x", StringComparison.Ordinal) ? raw[2..] : raw)).ToString();
        var tx = new PendingTransaction(action, hash, raw, (ulong)nonce.Value);
        store.Put(tx); // before the broadcast: a crash from here on re-broadcasts these bytes, never signs anew
        log.LogInformation("Sending {Action} as {TxHash} (nonce {Nonce})", action, hash, tx.Nonce);
        await BroadcastAsync(tx, ct);
        return tx;
    }

    private async Task BroadcastAsync(PendingTransaction tx, CancellationToken ct)
    {
        try
        {
            await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(tx.Raw), ct);
        }
        catch (Exception e) when (e.Message.Contains("already known", StringComparison.OrdinalIgnoreCase) ||
                                  e.Message.Contains("nonce too low", StringComparison.OrdinalIgnoreCase))
        {
            // Already in the pool or mined: the receipt decides.
        }
    }

    private async Task<TransactionReceipt> ReceiptAsync(PendingTransaction tx, CancellationToken ct)
    {
        var rebroadcastAfter = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            var r = await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.Hash), ct);
            if (r is not null) return r;
            if (DateTime.UtcNow > rebroadcastAfter)
            {
                await BroadcastAsync(tx, ct);
                rebroadcastAfter = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            }
            await Task.Delay(100, ct);
        }
    }
}
