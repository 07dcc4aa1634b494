using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpmlNode.Hosting;

/// <summary>
/// Checks the world before any service runs: the deployment is on this chain with code at every address, and every
/// served model is registered on chain with exactly the roots its file gives; then finishes transactions a previous run
/// left in flight. A failure stops the start with one clear message.
/// </summary>
public sealed class NodeStartup(NodeContext node, TransactionSender tx, ILogger<NodeStartup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        // Every call through the node's resilience pipeline: a node started beside a chain that is still starting waits for it.
        await CheckGenesisAsync(ct); // first: a replaced chain is named as such, not as a deployment without code
        await node.Read(async () => { await node.Deployment.VerifyAsync(node.Web3); return true; }, ct);
        var registry = new Chain.Contracts.ModelRegistryService(node.Web3, node.Deployment.Registry);
        var count = await node.Read(() => registry.ModelCountAsync(), ct);
        foreach (var m in node.Models.Values)
        {
            if (m.ModelId < 1 || m.ModelId > count) throw new InvalidDataException($"model {m.ModelId} is not registered on chain ({count} models)");
            var on = await node.Read(() => registry.GetModelAsync(m.ModelId), ct);
            // The step budget is the registration's choice, not the file's: everything else must be the file's.
            if (!Chain.ModelRegistration.Matches(on, m.Registered with { MaxNodeSteps = on.MaxNodeSteps }))
                throw new InvalidDataException($"model {m.ModelId} on chain is not the model in {node.Options.Models.First(x => x.ModelId == m.ModelId).File}");
            m.MaxNodeSteps = on.MaxNodeSteps;
        }
        log.LogInformation("Node {Address} on chain {ChainId}: tasks {Tasks}, game {Game}; serving models {Models}; roles {Roles}; data in {DataDir}; cursor {Cursor}",
            node.Address, node.Deployment.ChainId, node.Deployment.Tasks, node.Deployment.Game, string.Join(",", node.Models.Keys),
            string.Join("+", new[] { node.Options.Submitter ? "submitter" : null, node.Options.Verifier ? "verifier" : null }.OfType<string>()),
            node.Options.DataDir, node.Store.Cursor?.ToString() ?? "none");
        if (node.Options.LegacyFeesBaseline)
            log.LogWarning("Legacy fees (--legacy-fees, a measurement baseline): transactions are priced at eth_gasPrice when signed and never replaced; a rise in fees can leave a move unmined past its deadline");
        if (node.Options.Faults.Any) log.LogWarning("Fault injection is on: {Faults}", System.Text.Json.JsonSerializer.Serialize(node.Options.Faults));
        Faults.CrashPoint.Hit("startup"); // checks done, transactions of the previous run not resumed yet
        await tx.ResumeAsync(ct);
    }

    /// <summary>The data directory follows one chain, named by its genesis hash: recorded at the first start, and a
    /// chain with another genesis behind the same URL (and the same chain id) is refused (<see cref="NodeHaltException"/>).</summary>
    private async Task CheckGenesisAsync(CancellationToken ct)
    {
        var genesis = await node.GenesisAsync(ct);
        if (node.Store.Genesis is null) node.Store.Genesis = genesis;
        else node.CheckGenesis(genesis);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
