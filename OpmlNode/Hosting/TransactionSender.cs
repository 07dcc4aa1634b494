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
    private ulong? _newestMined; // the highest block a transaction of ours was mined in (null: not read from the store yet)

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
            if (tx.Status is null) PutMined(tx, receipt);
            if (receipt.Status.Value != 1) throw new InvalidOperationException($"{action}: transaction {tx.Hash} reverted on chain");
            return receipt;
        }
        finally { _one.Release(); }
    }

    /// <summary>Waits for every stored transaction without a known outcome (re-broadcasting it): the first thing a restarted node does.</summary>
    public async Task ResumeAsync(CancellationToken ct)
    {
        foreach (var tx in store.Transactions().Where(t => t.Status is null).OrderBy(t => t.Nonce))
        {
            log.LogInformation("Resuming {Action}: re-broadcasting {TxHash}", tx.Action, tx.Hash);
            var receipt = await ReceiptAsync(tx, ct);
            PutMined(tx, receipt);
        }
    }

    /// <summary>
    /// After a reorganisation that replaced the blocks after <paramref name="fork"/>: each of this node's transactions
    /// mined after it (or whose block is not known) is looked up again. Still on chain (re-included): its record gets its
    /// new block. Gone: its same signed bytes are broadcast again (same nonce, so it cannot be mined twice) and awaited.
    /// Refused (its nonce went to another transaction of ours meanwhile): the record is dropped, and the service that sent
    /// it decides again from the chain as it now is — the only case where an action is signed a second time, and then
    /// the first one is off the chain.
    /// </summary>
    public async Task RecheckAfterReorganisationAsync(long fork, CancellationToken ct)
    {
        await _one.WaitAsync(ct);
        try
        {
            // In nonce order: a later nonce is not mined before the earlier one is broadcast again.
            foreach (var tx in store.Transactions().Where(t => t.Block is null || (long)t.Block > fork).OrderBy(t => t.Nonce))
            {
                var receipt = await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.Hash), ct);
                if (receipt is not null)
                {
                    PutMined(tx, receipt);
                    continue;
                }
                log.LogWarning("Reorganisation removed {Action} ({TxHash}); broadcasting the same transaction again", tx.Action, tx.Hash);
                try
                {
                    await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(tx.Raw), ct);
                }
                catch (Exception e) when (e is Nethereum.JsonRpc.Client.RpcResponseException && !e.Message.Contains("already known", StringComparison.OrdinalIgnoreCase))
                {
                    if (await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.Hash), ct) is { } late)
                    {
                        PutMined(tx, late);
                        continue;
                    }
                    log.LogWarning("The chain refuses {Action} ({TxHash}) now: {Reason}; the action will be decided again", tx.Action, tx.Hash, e.Message);
                    store.Delete(tx);
                    continue;
                }
                PutMined(tx, await ReceiptAsync(tx, ct));
            }
        }
        finally { _one.Release(); }
    }

    /// <summary>
    /// The reorganisations the chain watcher cannot see yet: this node's transactions mined after the watcher's cursor
    /// whose block is no longer the one they were mined in. Returns the block before the first such, or null.
    /// </summary>
    public async Task<long?> RemovedBeyondAsync(ulong? cursor, CancellationToken ct)
    {
        // Every watcher tick asks: answer from memory while no transaction of ours is mined beyond the cursor.
        _newestMined ??= store.Transactions().Max(t => t.Block) ?? 0;
        if (cursor is { } c && _newestMined <= c) return null;
        long? fork = null;
        foreach (var tx in store.Transactions().Where(t => t.Block is { } b && (cursor is null || b > cursor) && t.BlockHash is not null))
        {
            var block = await rpc.ExecuteAsync(async _ => await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(tx.Block!.Value)), ct);
            if (block is null || !string.Equals(block.BlockHash, tx.BlockHash, StringComparison.OrdinalIgnoreCase))
                fork = Math.Min(fork ?? long.MaxValue, (long)tx.Block!.Value - 1);
        }
        return fork;
    }

    private void PutMined(PendingTransaction tx, TransactionReceipt receipt)
    {
        var mined = tx with { Status = (int)receipt.Status.Value, Block = (ulong)receipt.BlockNumber.Value, BlockHash = receipt.BlockHash };
        store.Put(mined);
        _newestMined = Math.Max(_newestMined ?? 0, mined.Block!.Value);
    }

    private async Task<PendingTransaction> SignAndStoreAsync<TFunction>(string action, string contractName, string contract, TFunction fn, BigInteger value, CancellationToken ct)
        where TFunction : FunctionMessage, new()
    {
        var input = await ContractService.PrepareAsync(web3, contractName, contract, fn, From, value, rpc, ct);
        var nonce = await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(From, BlockParameter.CreatePending()), ct);
        var gasPrice = await rpc.ExecuteAsync(async _ => await web3.Eth.GasPrice.SendRequestAsync(), ct);
        // The node's own suggestion, not a multiple of it: a devnet derives its suggestion from recent tips, so paying 2x
        // would double the price with every transaction (it drained test accounts in a few dozen moves).
        input.GasPrice = gasPrice;
        input.Nonce = nonce;
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
