using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Polly;

namespace OpmlNode.Chain.Fees;

/// <summary>Reads the <see cref="FeeMarket"/>: eth_feeHistory over the last blocks gives the next block's base fee
/// (its last entry) and the median tip paid; eth_maxPriorityFeePerGas, where the node has it, the suggested tip.</summary>
public static class FeeMarketReader
{
    public const int HistoryBlocks = 10;

    /// <summary>The tip used when the chain suggests none and recent blocks paid none (an idle devnet): 1 gwei.</summary>
    public static readonly BigInteger FallbackTip = 1_000_000_000;

    public static async Task<FeeMarket> ReadAsync(IWeb3 web3, ResiliencePipeline rpc, CancellationToken ct)
    {
        var gasPrice = (await rpc.ExecuteAsync(async _ => await web3.Eth.GasPrice.SendRequestAsync(), ct)).Value;
        FeeHistoryResult history;
        try
        {
            history = await rpc.ExecuteAsync(async _ => await web3.Eth.FeeHistory.SendRequestAsync(
                new HexBigInteger(HistoryBlocks), BlockParameter.CreateLatest(), [50m]), ct);
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException)
        {
            return new FeeMarket(null, gasPrice, gasPrice); // no eth_feeHistory: a pre-London chain
        }
        var baseFees = history.BaseFeePerGas ?? [];
        if (baseFees.Length == 0 || baseFees[^1] is null) return new FeeMarket(null, gasPrice, gasPrice);
        var nextBase = baseFees[^1].Value;
        var paid = (history.Reward ?? []).Where(r => r is { Length: > 0 } && r[0] is not null).Select(r => r[0].Value).Where(v => v > 0).OrderBy(v => v).ToList();
        BigInteger tip = paid.Count > 0 ? paid[paid.Count / 2] : 0;
        try
        {
            var suggested = (await rpc.ExecuteAsync(async _ => await web3.Client.SendRequestAsync<HexBigInteger>(new Nethereum.JsonRpc.Client.RpcRequest(1, "eth_maxPriorityFeePerGas")), ct)).Value;
            tip = BigInteger.Max(tip, suggested);
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException)
        {
            // Not every node has eth_maxPriorityFeePerGas: the history's median stands.
        }
        if (tip <= 0) tip = FallbackTip;
        return new FeeMarket(nextBase, tip, gasPrice);
    }
}
