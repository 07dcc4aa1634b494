using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// A node service that looks at its work every poll interval. Every tick is idempotent: it reads the store and the
/// chain and acts only on what is still to do, so a tick interrupted by a crash or a shutdown is simply done again.
/// A failing tick is logged and retried on the next one; a shutdown lets the current tick finish its transaction.
/// </summary>
public abstract class PollingService(NodeContext node, ILogger log) : BackgroundService
{
    protected NodeContext Node { get; } = node;
    protected ILogger Log { get; } = log;

    protected abstract Task TickAsync(CancellationToken ct);

    /// <summary>After every tick, whether it succeeded or not (the loop is alive).</summary>
    protected virtual void AfterTick(bool ok) { }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            bool ok = false;
            try { await TickAsync(stoppingToken); ok = true; }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (NodeHaltException e) { Node.Halt(e.Message); break; }
            catch (ContractRevertException e) { Log.LogWarning("{Service}: the contract refused: {Error}", GetType().Name, e.Message); }
            catch (Exception e) { Log.LogWarning("{Service}: {Error}; retrying", GetType().Name, e.Message); }
            AfterTick(ok);
            try { await Task.Delay(Node.Options.PollMilliseconds, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}
