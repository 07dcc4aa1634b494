using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Polly;

namespace OpmlNode.Chain;

/// <summary>The chain's notion of now, as the node's services and its transaction sender read it.</summary>
public static class ChainClock
{
    /// <summary>
    /// The latest block's timestamp: the earliest time the contract can see. A window is closed only when this says so;
    /// the wall clock can be ahead of the chain (a devnet reverted to a snapshot goes back in time), and then the
    /// contract still accepts what the wall clock would call late.
    /// </summary>
    public static async Task<ulong> ChainTimeAsync(IWeb3 web3, ResiliencePipeline rpc, CancellationToken ct)
    {
        var block = await rpc.ExecuteAsync(async _ => await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()), ct);
        return (ulong)block.Timestamp.Value;
    }

    /// <summary>
    /// The time a transaction sent now is mined at, at the earliest: the latest block's timestamp, or the wall clock when it
    /// is later (an automining devnet has no new block until a transaction arrives).
    /// </summary>
    public static async Task<ulong> NowAsync(IWeb3 web3, ResiliencePipeline rpc, CancellationToken ct) =>
        Math.Max(await ChainTimeAsync(web3, rpc, ct), (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
}
