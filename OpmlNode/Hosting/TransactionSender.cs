using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using OpmlNode.Chain.Contracts;
using OpmlNode.Chain.Fees;
using OpmlNode.Crypto;
using OpmlNode.Faults;
using OpmlNode.Hosting.Metrics;
using Polly;

namespace OpmlNode.Hosting;

/// <summary>
/// Sends the node's transactions, one signer and one nonce sequence per key, one nonce per action: the signed bytes are
/// stored (<see cref="PendingTransaction"/>) before they are broadcast, and an action that already has a stored
/// transaction is never given a second nonce — after a restart its candidates are re-broadcast and their receipts
/// awaited. EIP-1559 fees where the chain has a base fee (<see cref="FeePolicy"/>); a transaction not mined within
/// <see cref="FeePolicy.ReplaceAfter"/> is replaced by one of the same nonce and higher fees (stored before it is
/// broadcast, like the first), more aggressively the nearer its deadline, never above the operator's cap. Every
/// candidate is watched for its receipt: whichever is mined is the action's, and the nonce lets only one be.
/// </summary>
public sealed class TransactionSender(IWeb3 web3, string from, NodeStore store, ResiliencePipeline rpc, ILogger<TransactionSender> log,
    FeePolicy? fees = null, NodeMetrics? metrics = null, Func<CancellationToken, Task>? checkChain = null)
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly SemaphoreSlim _recheck = new(1, 1);
    private volatile string? _awaiting; // the action whose receipt SendAsync is waiting for, under _one
    private readonly HashSet<string> _blockedLogged = [];
    private ulong? _newestMined; // the highest block a transaction of ours was mined in (null: not read from the store yet)

    public string From { get; } = from;
    public FeePolicy Fees { get; } = fees ?? FeePolicy.Default;

    /// <summary>Whether an action has been sent already (mined or pending).</summary>
    public bool Sent(string action) => store.Transaction(action) is not null;

    /// <summary>Whether an action's transaction was mined and reverted: it changed nothing on chain.</summary>
    public bool Reverted(string action) => store.Transaction(action) is { Status: 0 };

    /// <summary>Whether any action starting with <paramref name="prefix"/> has been sent and is pending or was mined
    /// without a revert (a reverted one changed nothing on chain).</summary>
    public bool SentAny(string prefix) => store.Transactions().Any(t => t.Action.StartsWith(prefix, StringComparison.Ordinal) && t.Status != 0);

    /// <summary>Sends <paramref name="fn"/> for <paramref name="action"/> (once) and waits until one of its candidates is
    /// mined. <paramref name="deadline"/>: the chain time by which it must be (a game move's clock), which steers the
    /// replacement bumps.
    /// <paramref name="againIfReverted"/>: an action whose transaction reverted is signed anew (a new nonce) — for a game
    /// move, whose transaction a reorganisation can put behind the opponent's re-broadcast move it answers.</summary>
    public async Task<TransactionReceipt> SendAsync<TFunction>(string action, string contractName, string contract, TFunction fn, BigInteger value, CancellationToken ct,
        ulong? deadline = null, bool againIfReverted = false)
        where TFunction : FunctionMessage, new()
    {
        await _one.WaitAsync(ct);
        try
        {
            var stored = store.Transaction(action);
            if (againIfReverted && stored is { Status: 0 })
            {
                log.LogWarning("{Action}: its transaction {TxHash} reverted; signing it again", action, stored.Hash);
                store.Delete(stored);
                stored = null;
            }
            var tx = stored ?? await SignAndStoreAsync(action, contractName, contract, fn, value, deadline, ct);
            _awaiting = action;
            var (mined, receipt) = await ReceiptAsync(tx, ct);
            CrashPoint.Hit("mined", CrashPoint.FunctionName(typeof(TFunction))); // mined, not recorded: a restart finds the receipt
            if (mined.Status is null) PutMined(mined, receipt);
            if (receipt.Status.Value != 1) throw new InvalidOperationException($"{action}: transaction {receipt.TransactionHash} reverted on chain");
            return receipt;
        }
        finally { _awaiting = null; _one.Release(); }
    }

    /// <summary>The fees a transaction signed now would carry (for the balance check before a bond is put up).</summary>
    public async Task<TxFees> CurrentFeesAsync(CancellationToken ct) => Fees.First(await FeeMarketReader.ReadAsync(web3, rpc, ct));

    /// <summary>Waits for every stored transaction without a known outcome (re-broadcasting it): the first thing a restarted node does.</summary>
    public async Task ResumeAsync(CancellationToken ct)
    {
        foreach (var tx in store.Transactions().Where(t => t.Status is null).OrderBy(t => t.Nonce))
        {
            log.LogInformation("Resuming {Action}: re-broadcasting {TxHash} ({Candidates} candidate(s))", tx.Action, tx.Hash, tx.Replaced.Count + 1);
            // At once: a transaction journaled by a node killed before its broadcast is in no pool yet.
            if (await MinedCandidateAsync(tx, ct) is null) await BroadcastAsync(tx, ct);
            CrashPoint.Hit("broadcast", tx.Function);
            var (mined, receipt) = await ReceiptAsync(tx, ct);
            CrashPoint.Hit("mined", tx.Function);
            PutMined(mined, receipt);
        }
    }

    /// <summary>
    /// After a reorganisation that replaced the blocks after <paramref name="fork"/>: each of this node's transactions
    /// mined after it (or whose block is not known) is looked up again, every candidate of its nonce. Still on chain
    /// (re-included, perhaps another candidate): its record gets its new block. Gone: the candidate that was mined is
    /// broadcast again (same nonce, so it cannot be mined twice; not an older, cheaper one) and awaited. Refused (its
    /// nonce went to another transaction of ours meanwhile): the record is dropped, and the service that sent it decides
    /// again from the chain as it now is — the only case where an action is signed a second time, and then the first one
    /// is off the chain. Not under the lock of <see cref="SendAsync"/>: the transaction a send awaits may have a later
    /// nonce than those removed, and is mined only once they are broadcast again (its own loop re-broadcasts it).
    /// </summary>
    public async Task RecheckAfterReorganisationAsync(long fork, CancellationToken ct)
    {
        await _recheck.WaitAsync(ct);
        try
        {
            // In nonce order: a later nonce is not mined before the earlier one is broadcast again.
            foreach (var tx in store.Transactions().Where(t => (t.Block is null || (long)t.Block > fork) && t.Action != _awaiting).OrderBy(t => t.Nonce))
            {
                if (await MinedCandidateAsync(tx, ct) is { } found)
                {
                    PutMined(found.Tx, found.Receipt);
                    continue;
                }
                log.LogWarning("Reorganisation removed {Action} ({TxHash}); broadcasting the same transaction again", tx.Action, tx.Hash);
                try
                {
                    await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(tx.Raw), ct);
                }
                catch (Exception e) when (e is Nethereum.JsonRpc.Client.RpcResponseException && !AlreadyInPool(e.Message))
                {
                    if (await MinedCandidateAsync(tx, ct) is { } late)
                    {
                        PutMined(late.Tx, late.Receipt);
                        continue;
                    }
                    // A provider behind the block the record names (a lagging fallback answered) proves nothing: keep it.
                    var head = (ulong)(await rpc.ExecuteAsync(async _ => await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), ct)).Value;
                    if (tx.Block is { } b && head < b)
                    {
                        log.LogWarning("The provider refuses {Action} ({TxHash}) but its head {Head} is below the block {Block} it was mined in; kept", tx.Action, tx.Hash, head, b);
                        continue;
                    }
                    log.LogWarning("The chain refuses {Action} ({TxHash}) now: {Reason}; the action will be decided again", tx.Action, tx.Hash, e.Message);
                    store.Delete(tx);
                    continue;
                }
                var (mined, receipt) = await ReceiptAsync(tx, ct);
                PutMined(mined, receipt);
            }
        }
        finally { _recheck.Release(); }
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
            // No such block: the provider is behind (the watcher waits for it), not evidence of a reorganisation.
            if (block is not null && !string.Equals(block.BlockHash, tx.BlockHash, StringComparison.OrdinalIgnoreCase))
                fork = Math.Min(fork ?? long.MaxValue, (long)tx.Block!.Value - 1);
        }
        return fork;
    }

    /// <summary>The highest block one of this node's transactions is recorded as mined in (0: none).</summary>
    public ulong NewestMinedBlock => _newestMined ??= store.Transactions().Max(t => t.Block) ?? 0;

    private long _rebroadcastAt;

    /// <summary>
    /// The provider's head is below blocks this node's transactions were mined in: either it lags the chain (a fallback
    /// behind a load balancer, a node still syncing) or the chain went back (a revert to a shorter chain). Each such
    /// transaction is looked up again — found mined (perhaps again, in another block), its record gets the block it is
    /// in now — or its mined candidate's bytes are broadcast again (same nonce: never mined twice), at most every 2 s.
    /// Nothing is deleted or signed anew here: what the provider does not show yet is not evidence that it is gone.
    /// </summary>
    public async Task RebroadcastAboveAsync(ulong head, CancellationToken ct)
    {
        var now = Environment.TickCount64;
        if (_rebroadcastAt != 0 && now - _rebroadcastAt < 2_000) return;
        _rebroadcastAt = now;
        await _recheck.WaitAsync(ct);
        try
        {
            foreach (var tx in store.Transactions().Where(t => t.Block > head && t.Action != _awaiting).OrderBy(t => t.Nonce))
            {
                if (await MinedCandidateAsync(tx, ct) is { } found && (ulong)found.Receipt.BlockNumber.Value <= head)
                {
                    store.Put(found.Tx with { Status = (int)found.Receipt.Status.Value, Block = (ulong)found.Receipt.BlockNumber.Value, BlockHash = found.Receipt.BlockHash });
                    continue;
                }
                log.LogWarning("{Action} ({TxHash}) was mined in block {Block}, above the provider's head {Head}; broadcasting it again", tx.Action, tx.Hash, tx.Block, head);
                await BroadcastAsync(tx, ct);
            }
            _newestMined = store.Transactions().Max(t => t.Block) ?? 0;
        }
        finally { _recheck.Release(); }
    }

    private void PutMined(PendingTransaction tx, TransactionReceipt receipt)
    {
        var mined = tx with { Status = (int)receipt.Status.Value, Block = (ulong)receipt.BlockNumber.Value, BlockHash = receipt.BlockHash };
        store.Put(mined);
        _newestMined = Math.Max(_newestMined ?? 0, mined.Block!.Value);
        if (tx.Status is null && receipt.GasUsed is { } used && receipt.EffectiveGasPrice is { } price)
            metrics?.TxFeesPaidWei.Inc((double)(used.Value * price.Value));
    }

    private async Task<PendingTransaction> SignAndStoreAsync<TFunction>(string action, string contractName, string contract, TFunction fn, BigInteger value,
        ulong? deadline, CancellationToken ct)
        where TFunction : FunctionMessage, new()
    {
        if (checkChain is not null) await checkChain(ct); // never a nonce of ours on a chain that is not the one we follow
        var input = await ContractService.PrepareAsync(web3, contractName, contract, fn, From, value, rpc, ct);
        var nonce = await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(From, BlockParameter.CreatePending()), ct);
        var market = await FeeMarketReader.ReadAsync(web3, rpc, ct);
        var price = Fees.First(market);
        WarnIfBlocked(action, market, await SecondsLeftAsync(deadline, ct));
        var (hash, raw) = await SignAsync(input.To, input.Data, value, input.Gas.Value, nonce.Value, price);
        var name = CrashPoint.FunctionName(typeof(TFunction));
        CrashPoint.Hit("signed", name); // signed, not journaled: nothing left the node, a restart decides and signs again
        var tx = new PendingTransaction(action, hash, raw, (ulong)nonce.Value)
        {
            To = input.To,
            Data = input.Data,
            Value = value.ToString(CultureInfo.InvariantCulture),
            Gas = input.Gas.Value.ToString(CultureInfo.InvariantCulture),
            MaxFeePerGas = price.MaxFeePerGas.ToString(CultureInfo.InvariantCulture),
            PriorityFeePerGas = price.PriorityFeePerGas.ToString(CultureInfo.InvariantCulture),
            Legacy = price.Legacy,
            Deadline = deadline,
            Function = name,
        };
        store.Put(tx); // before the broadcast: a crash from here on re-broadcasts these bytes, never takes a new nonce
        CrashPoint.Hit("journaled", name);
        log.LogInformation("Sending {Action} as {TxHash} (nonce {Nonce}; {Fees})", action, hash, tx.Nonce, price);
        await BroadcastAsync(tx, ct);
        CrashPoint.Hit("broadcast", name);
        return tx;
    }

    /// <summary>Signs the call with <paramref name="price"/>: a type-2 transaction, or legacy (EIP-155) on a chain without a base fee.</summary>
    private async Task<(string Hash, string Raw)> SignAsync(string to, string data, BigInteger value, BigInteger gas, BigInteger nonce, TxFees price)
    {
        var input = new TransactionInput(data, to, From, new HexBigInteger(gas), new HexBigInteger(value))
        {
            Nonce = new HexBigInteger(nonce),
        };
        if (price.Legacy) input.GasPrice = new HexBigInteger(price.MaxFeePerGas);
        else
        {
            input.Type = new HexBigInteger(2);
            input.MaxFeePerGas = new HexBigInteger(price.MaxFeePerGas);
            input.MaxPriorityFeePerGas = new HexBigInteger(price.PriorityFeePerGas);
        }
        var raw = await web3.TransactionManager.SignTransactionAsync(input);
        if (!raw.StartsWith("0x", StringComparison.Ordinal)) raw = "0x" + raw;
        return (Keccak256.Hash(Convert.FromHexString(raw[2..])).ToString(), raw);
    }

    /// <summary>A same-nonce replacement of <paramref name="tx"/> at higher fees, stored before it is broadcast; the
    /// record unchanged when the cap leaves no room for one (logged) or the record predates replacement.</summary>
    private async Task<PendingTransaction> ReplaceAsync(PendingTransaction tx, CancellationToken ct)
    {
        if (tx.To is null || tx.Data is null || tx.Gas is null || tx.MaxFeePerGas is null || tx.PriorityFeePerGas is null) return tx;
        var market = await FeeMarketReader.ReadAsync(web3, rpc, ct);
        var left = await SecondsLeftAsync(tx.Deadline, ct);
        WarnIfBlocked(tx.Action, market, left);
        var old = new TxFees(BigInteger.Parse(tx.MaxFeePerGas, CultureInfo.InvariantCulture), BigInteger.Parse(tx.PriorityFeePerGas, CultureInfo.InvariantCulture), tx.Legacy);
        if (Fees.Replacement(old, market, left) is not { } price)
        {
            if (_blockedLogged.Add(tx.Action + ":cap"))
                log.LogError("{Action} ({TxHash}) is not mined and the fee cap ({Cap} gwei) leaves no room for a replacement: {Fees}; next base fee {BaseFee} gwei{Left}",
                    tx.Action, tx.Hash, Gwei(Fees.Cap), old, Gwei(market.NextBaseFee), left is { } l ? $", deadline in {l:0} s" : "");
            return tx;
        }
        var (hash, raw) = await SignAsync(tx.To, tx.Data, BigInteger.Parse(tx.Value ?? "0", CultureInfo.InvariantCulture),
            BigInteger.Parse(tx.Gas, CultureInfo.InvariantCulture), tx.Nonce, price);
        var next = tx with
        {
            Hash = hash,
            Raw = raw,
            Replaced = [.. tx.Replaced, new TxCandidate(tx.Hash, tx.Raw)],
            MaxFeePerGas = price.MaxFeePerGas.ToString(CultureInfo.InvariantCulture),
            PriorityFeePerGas = price.PriorityFeePerGas.ToString(CultureInfo.InvariantCulture),
        };
        store.Put(next); // before the broadcast, like the first: after a crash every candidate is still watched
        metrics?.TxReplacements.Inc();
        log.LogWarning("{Action}: not mined after {After} s; replacing {OldHash} by {TxHash} (nonce {Nonce}; {Fees}, +{Bump}‰{Left})",
            tx.Action, Fees.ReplaceAfter.TotalSeconds, tx.Hash, hash, tx.Nonce, price, Fees.BumpPerMille(left), left is { } s ? $", deadline in {s:0} s" : "");
        await BroadcastAsync(next, ct);
        return next;
    }

    /// <summary>Logs (once per action, as an error) and counts a market the fee cap cannot pay.</summary>
    private void WarnIfBlocked(string action, FeeMarket market, double? left)
    {
        if (!Fees.Blocked(market) || !_blockedLogged.Add(action)) return;
        metrics?.TxFeeCapBlocked.Inc();
        log.LogError("{Action} cannot be mined at the fee cap: the next block asks {BaseFee} gwei base fee + {Tip} gwei tip, the cap is {Cap} gwei{Left}; it waits at the cap for the fees to fall",
            action, Gwei(market.NextBaseFee ?? market.GasPrice), Gwei(market.PriorityFee), Gwei(Fees.Cap), left is { } l ? $", deadline in {l:0} s" : "");
    }

    private static string Gwei(BigInteger? wei) => wei is { } w ? FeePolicy.Gwei(w).ToString("0.#########", CultureInfo.InvariantCulture) : "-";

    /// <summary>Seconds from now (<see cref="Chain.ChainClock.NowAsync"/>) to <paramref name="deadline"/>; null without one.</summary>
    private async Task<double?> SecondsLeftAsync(ulong? deadline, CancellationToken ct) =>
        deadline is { } d ? (double)(long)d - (long)await Chain.ChainClock.NowAsync(web3, rpc, ct) : null;

    private async Task BroadcastAsync(PendingTransaction tx, CancellationToken ct)
    {
        try
        {
            await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(tx.Raw), ct);
        }
        catch (Exception e) when (AlreadyInPool(e.Message) || e.Message.Contains("nonce too low", StringComparison.OrdinalIgnoreCase))
        {
            // Already in the pool or a candidate mined: the receipts decide.
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException e) when (FeeRefusal(e.Message))
        {
            // Too cheap for the pool (a replacement under its minimum bump, or a max fee under the base fee): the candidate
            // the pool holds may still be mined, and the next replacement bids higher, up to the cap.
            log.LogWarning("{Action}: the pool refused {TxHash} for its fees: {Reason}", tx.Action, tx.Hash, e.Message);
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException e)
        {
            // Any other refusal: the bytes are journaled and the receipt loop broadcasts them again every few seconds, so
            // a cause the operator can fix (funds, a pool full) is logged each time and the action goes out once it is.
            log.LogWarning("{Action}: broadcasting {TxHash} failed: {Reason}; it is broadcast again until a candidate is mined", tx.Action, tx.Hash, e.Message);
        }
    }

    /// <summary>A pool's answer that it holds the transaction already (geth "already known", anvil "already imported",
    /// Nethermind/Besu "known transaction"): not an error.</summary>
    private static bool AlreadyInPool(string message) =>
        message.Contains("already known", StringComparison.OrdinalIgnoreCase) || message.Contains("already imported", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("known transaction", StringComparison.OrdinalIgnoreCase) || message.Contains("alreadyknown", StringComparison.OrdinalIgnoreCase);

    private static bool FeeRefusal(string message) =>
        message.Contains("underpriced", StringComparison.OrdinalIgnoreCase) || message.Contains("base fee", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("fee cap", StringComparison.OrdinalIgnoreCase) || message.Contains("feecap", StringComparison.OrdinalIgnoreCase);

    /// <summary>The candidate of <paramref name="tx"/> that is mined, if any, with the record made to name it.</summary>
    private async Task<(PendingTransaction Tx, TransactionReceipt Receipt)?> MinedCandidateAsync(PendingTransaction tx, CancellationToken ct)
    {
        foreach (var c in tx.Candidates().Reverse())
        {
            var r = await rpc.ExecuteAsync(async _ => await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(c.Hash), ct);
            if (r is null) continue;
            if (c.Hash == tx.Hash) return (tx, r);
            log.LogInformation("{Action}: mined as the earlier candidate {TxHash}", tx.Action, c.Hash);
            var others = tx.Candidates().Where(o => o.Hash != c.Hash).ToList();
            return (tx with { Hash = c.Hash, Raw = c.Raw, Replaced = others }, r);
        }
        return null;
    }

    private async Task<(PendingTransaction Tx, TransactionReceipt Receipt)> ReceiptAsync(PendingTransaction tx, CancellationToken ct)
    {
        var rebroadcastAfter = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var replaceAfter = DateTime.UtcNow + Fees.ReplaceAfter;
        string? lastError = null;
        while (true)
        {
            // Until a candidate is mined or the node stops: a failure here (the endpoint down beyond the retries) must not
            // leave a journaled transaction that no one awaits — its action counts as sent and would never be looked at again.
            try
            {
                if (await MinedCandidateAsync(tx, ct) is { } found) return found;
                if (!Fees.LegacyBaseline && DateTime.UtcNow > replaceAfter)
                {
                    tx = await ReplaceAsync(tx, ct);
                    replaceAfter = DateTime.UtcNow + Fees.ReplaceAfter;
                    rebroadcastAfter = DateTime.UtcNow + TimeSpan.FromSeconds(5);
                }
                else if (DateTime.UtcNow > rebroadcastAfter)
                {
                    await BroadcastAsync(tx, ct);
                    rebroadcastAfter = DateTime.UtcNow + TimeSpan.FromSeconds(5);
                }
                lastError = null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (e.Message != lastError) log.LogWarning("{Action}: waiting for {TxHash}: {Error}; still waiting", tx.Action, tx.Hash, e.Message);
                lastError = e.Message;
                tx = store.Transaction(tx.Action) ?? tx; // a replacement journaled before the failure is a candidate too
                await Task.Delay(1000, ct);
            }
            await Task.Delay(tx.Replaced.Count == 0 ? 100 : 250, ct);
        }
    }
}
