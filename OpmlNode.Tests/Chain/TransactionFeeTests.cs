using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Chain.Fees;
using OpmlNode.Hosting;
using OpmlNode.Hosting.Metrics;
using OpmlNode.Storage;
using Polly;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// The node's <see cref="TransactionSender"/> against a real anvil whose blocks the test mines (automining off) and
/// whose base fee it moves: EIP-1559 transactions, same-nonce replacements when the base fee jumps, a restart between
/// a replacement and its receipt, the fee cap, and a reorganisation that drops a replaced transaction. Each test has its
/// own anvil, its own RocksDB and a fresh sender key, so nonces start at 0 and every check counts the whole account.
/// </summary>
public sealed class TransactionFeeTests : IAsyncLifetime
{
    private const string Action = "register:1";
    private Anvil _anvil = null!;
    private Web3 _chain = null!;
    private ModelRegistryService _registry = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("opml-fees-").FullName;
    private readonly List<RocksColumnsDb> _dbs = [];
    private int _rpcId = 100;

    public async Task InitializeAsync()
    {
        var contracts = Path.Combine(Support.Repo.Root, "contracts");
        _anvil = await Anvil.StartAsync(new AnvilOptions { ContractsDir = contracts });
        _chain = new Web3(new Account(Anvil.DevPrivateKeys[0], _anvil.ChainId), _anvil.RpcUrl);
        _registry = await ModelRegistryService.DeployAsync(_chain, ContractArtifacts.LoadBytecode(contracts, ContractNames.ModelRegistry));
    }

    public Task DisposeAsync()
    {
        foreach (var db in _dbs) db.Dispose();
        _anvil.Dispose();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ABaseFeeTenTimesHigherAfterSigningIsMetByAReplacementOfTheSameNonce()
    {
        await Rpc<object>("evm_setAutomine", false);
        var (sender, store, metrics, _) = Sender(replaceAfter: 2);
        var send = sender.SendAsync(Action, ContractNames.ModelRegistry, _registry.ContractAddress, Model(), 0, CancellationToken.None);
        var first = await WaitForAsync(() => store.Transaction(Action), "the first transaction stored");
        Assert.StartsWith("0x02", first.Raw, StringComparison.Ordinal); // EIP-1559
        var firstFee = BigInteger.Parse(first.MaxFeePerGas!);

        // The next block's base fee ten times what the transaction was priced at: it cannot be included.
        var baseFee = (await Latest()).BaseFeePerGas.Value;
        await Rpc<object>("anvil_setNextBlockBaseFeePerGas", "0x" + (baseFee * 10).ToString("x"));
        await Rpc<object>("evm_mine");
        Assert.True(firstFee < baseFee * 10);
        Assert.Null(await _chain.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(first.Hash));

        var receipt = await MineUntilAsync(send);
        var mined = store.Transaction(Action)!;
        Assert.NotEqual(first.Hash, receipt.TransactionHash);
        Assert.Equal(mined.Hash, receipt.TransactionHash);
        Assert.Contains(mined.Replaced, c => c.Hash == first.Hash);
        Assert.Null(await _chain.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(first.Hash));
        Assert.True(metrics.TxReplacements.Value >= 1);
        Assert.True(metrics.TxFeesPaidWei.Value > 0);
        // One action, one nonce: the account sent exactly one transaction, and the model is registered once.
        Assert.Equal(1, (int)(await _chain.Eth.Transactions.GetTransactionCount.SendRequestAsync(sender.From)).Value);
        Assert.Equal(BigInteger.One, await _registry.ModelCountAsync());
    }

    [Fact]
    public async Task ANodeStoppedAfterSigningAReplacementRecognisesTheMinedCandidateAndSignsNothingMore()
    {
        await Rpc<object>("evm_setAutomine", false);
        var (sender, store, _, _) = Sender(replaceAfter: 1);
        using var stop = new CancellationTokenSource();
        var send = sender.SendAsync(Action, ContractNames.ModelRegistry, _registry.ContractAddress, Model(), 0, stop.Token);
        // No block is mined: the sender replaces its transaction; stop it once a replacement is stored (the crash point
        // between signing a replacement and recording a receipt).
        var replaced = await WaitForAsync(() => store.Transaction(Action) is { Replaced.Count: >= 1 } t ? t : null, "a replacement stored");
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        await Rpc<object>("evm_mine");

        // Restarted on the same database: resume finds the candidate that was mined.
        var (restarted, _, _, _) = Sender(replaceAfter: 1, store: store);
        await restarted.ResumeAsync(CancellationToken.None);
        var record = store.Transaction(Action)!;
        Assert.Equal(1, record.Status);
        var receipt = await _chain.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(record.Hash);
        Assert.NotNull(receipt);
        Assert.Contains(record.Candidates(), c => c.Hash == replaced.Hash || replaced.Replaced.Any(r => r.Hash == c.Hash));
        // Asked again for the same action, it signs nothing: the mined receipt is returned.
        var again = await restarted.SendAsync(Action, ContractNames.ModelRegistry, _registry.ContractAddress, Model(), 0, CancellationToken.None);
        Assert.Equal(record.Hash, again.TransactionHash);
        Assert.Equal(record.Candidates().Count(), store.Transaction(Action)!.Candidates().Count());
        Assert.Equal(1, (int)(await _chain.Eth.Transactions.GetTransactionCount.SendRequestAsync(restarted.From)).Value);
        Assert.Equal(BigInteger.One, await _registry.ModelCountAsync());
    }

    [Fact]
    public async Task AFeeCapBelowTheBaseFeeIsLoggedBeforeTheDeadlineCountedAndNeverExceeded()
    {
        await Rpc<object>("evm_setAutomine", false);
        var baseFee = (await Latest()).BaseFeePerGas.Value;
        await Rpc<object>("anvil_setNextBlockBaseFeePerGas", "0x" + (baseFee * 4).ToString("x"));
        await Rpc<object>("evm_mine");
        // The next block asks 3.5 × the old base fee; the cap is the old base fee.
        var cap = baseFee;
        var (sender, store, metrics, log) = Sender(replaceAfter: 1, capWei: cap);
        var deadline = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 120;
        using var stop = new CancellationTokenSource();
        var send = sender.SendAsync(Action, ContractNames.ModelRegistry, _registry.ContractAddress, Model(), 0, stop.Token, deadline);
        await WaitForAsync(() => log.Errors().FirstOrDefault(e => e.Contains("cannot be mined at the fee cap", StringComparison.Ordinal)), "the fee-cap error");
        // A few replacement intervals with blocks mined at the high base fee: nothing is mined, nothing passes the cap.
        for (int i = 0; i < 4; i++)
        {
            await Task.Delay(1000);
            await Rpc<object>("evm_mine");
        }
        Assert.False(send.IsCompleted);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        var error = log.Errors().First(e => e.Contains("cannot be mined at the fee cap", StringComparison.Ordinal));
        Assert.Contains("deadline in", error, StringComparison.Ordinal);
        Assert.Equal(1, metrics.TxFeeCapBlocked.Value);
        var record = store.Transaction(Action)!;
        foreach (var c in record.Candidates())
        {
            var signed = (Nethereum.Model.Transaction1559)Nethereum.Model.TransactionFactory.CreateTransaction(c.Raw);
            Assert.True(signed.MaxFeePerGas <= cap, $"{c.Hash} has max fee {signed.MaxFeePerGas} above the cap {cap}");
            Assert.True(signed.MaxPriorityFeePerGas <= signed.MaxFeePerGas);
        }
        Assert.Equal(0, (int)(await _chain.Eth.Transactions.GetTransactionCount.SendRequestAsync(sender.From)).Value);
    }

    [Fact]
    public async Task AReorganisationThatDropsAReplacedTransactionBroadcastsTheMinedCandidateAgain()
    {
        await Rpc<object>("evm_setAutomine", false);
        var (sender, store, _, _) = Sender(replaceAfter: 1);
        var send = sender.SendAsync(Action, ContractNames.ModelRegistry, _registry.ContractAddress, Model(), 0, CancellationToken.None);
        await WaitForAsync(() => store.Transaction(Action) is { Replaced.Count: >= 1 } t ? t : null, "a replacement stored");
        var before = (long)(await Latest()).Number.Value;
        var snapshot = await Rpc<string>("evm_snapshot");
        var receipt = await MineUntilAsync(send);
        var mined = store.Transaction(Action)!;
        Assert.Equal(receipt.TransactionHash, mined.Hash);
        Assert.NotEmpty(mined.Replaced);

        // The block with the transaction is taken off the chain (and the pool forgets it).
        Assert.True(await Rpc<bool>("evm_revert", snapshot));
        Assert.Null(await _chain.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(mined.Hash));
        await Rpc<object>("evm_setAutomine", true);
        await sender.RecheckAfterReorganisationAsync(before, CancellationToken.None);
        var again = store.Transaction(Action)!;
        Assert.Equal(mined.Hash, again.Hash); // the candidate that was mined, not an earlier cheaper one
        Assert.Equal(1, again.Status);
        Assert.NotNull(await _chain.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(mined.Hash));
        foreach (var earlier in mined.Replaced)
            Assert.Null(await _chain.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(earlier.Hash));
        Assert.Equal(1, (int)(await _chain.Eth.Transactions.GetTransactionCount.SendRequestAsync(sender.From)).Value);
        Assert.Equal(BigInteger.One, await _registry.ModelCountAsync());
    }

    // ------------------------------------------------------------------ helpers

    private static RegisterFunction Model() => new()
    {
        ProgramRoot = new byte[32].Select((_, i) => (byte)(i + 1)).ToArray(),
        EntryPc = 0x1000,
        DescriptorsRoot = new byte[32].Select((_, i) => (byte)(i + 2)).ToArray(),
        NodeCount = 3,
        WeightsRoot = new byte[32].Select((_, i) => (byte)(i + 3)).ToArray(),
        WeightCount = 7,
        OutputNode = 2,
        InputSizeLimit = 4096,
        OutputSizeLimit = 4096,
        MaxNodeSteps = 1_000_000,
    };

    private (TransactionSender Sender, NodeStore Store, NodeMetrics Metrics, ListLogger Log) Sender(int replaceAfter, BigInteger? capWei = null,
        string? key = null, NodeStore? store = null)
    {
        key ??= Anvil.DevPrivateKeys[1];
        if (store is null)
        {
            var db = RocksColumnsDb.Open(new StorageOptions { Path = Path.Combine(_dir, "db"), SyncWrites = true });
            _dbs.Add(db);
            store = new NodeStore(db);
        }
        var web3 = new Web3(new Account(key, _anvil.ChainId), _anvil.RpcUrl);
        var metrics = new NodeMetrics();
        var log = new ListLogger();
        return (new TransactionSender(web3, web3.TransactionManager.Account.Address, store, ResiliencePipeline.Empty, log,
            new FeePolicy(capWei, TimeSpan.FromSeconds(replaceAfter)), metrics), store, metrics, log);
    }

    /// <summary>Mines a block a second until <paramref name="send"/> has its receipt (at most a minute).</summary>
    private async Task<TransactionReceipt> MineUntilAsync(Task<TransactionReceipt> send)
    {
        for (int i = 0; i < 60 && !send.IsCompleted; i++)
        {
            await Task.WhenAny(send, Task.Delay(1000));
            if (!send.IsCompleted) await Rpc<object>("evm_mine");
        }
        Assert.True(send.IsCompleted, "the transaction was not mined within a minute of blocks");
        return await send;
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, string what) where T : class
    {
        for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(30); DateTime.UtcNow < until; await Task.Delay(50))
            if (probe() is { } v) return v;
        throw new TimeoutException($"timed out waiting for {what}");
    }

    private Task<BlockWithTransactionHashes> Latest() =>
        _chain.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());

    private Task<T> Rpc<T>(string method, params object[] args) =>
        _chain.Client.SendRequestAsync<T>(new RpcRequest(Interlocked.Increment(ref _rpcId), method, args));

    /// <summary>Collects the formatted log lines (errors apart) of the sender under test.</summary>
    private sealed class ListLogger : ILogger<TransactionSender>
    {
        private readonly List<string> _lines = [], _errors = [];

        public string[] Errors()
        {
            lock (_lines) return [.. _errors];
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            lock (_lines)
            {
                _lines.Add(line);
                if (logLevel >= LogLevel.Error) _errors.Add(line);
            }
        }
    }
}
