using Microsoft.Extensions.Logging;
using OpmlNode.Chain.Contracts;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// Collects what this node is owed: <c>finalize</c> for its submissions once the window has passed with no open game,
/// <c>cancel</c> for its games on a submission another game rejected (the bond comes back), then <c>withdraw</c>.
/// </summary>
public sealed class FinalizerService(NodeContext node, TransactionSender tx, ILogger<FinalizerService> log) : PollingService(node, log)
{
    protected override async Task TickAsync(CancellationToken ct)
    {
        ulong? now = null;
        foreach (var t in Node.Store.Tasks().Where(t => !t.Finalized))
            foreach (var s in t.Submissions.Where(s => !s.Rejected && Node.IsMe(s.Submitter)))
            {
                var action = $"finalize:{t.TaskId}:{s.SubmissionId}";
                if (tx.Sent(action)) continue;
                now ??= await Node.NowAsync(ct);
                if (now < s.ChallengeDeadline) continue;
                var sub = await Node.Read(() => Node.Tasks.GetSubmissionAsync(s.SubmissionId), ct);
                if (sub.Status != SubmissionStatus.Pending || sub.OpenGames > 0) continue;
                Log.LogInformation("Task {TaskId}: window over, no open game; finalizing submission {SubmissionId}", t.TaskId, s.SubmissionId);
                await tx.SendAsync(action, ContractNames.OpmlTasks, Node.Deployment.Tasks, new FinalizeFunction { TaskId = t.TaskId }, 0, ct);
            }
        foreach (var g in Node.Store.Games().Where(g => !g.Over && Node.IsMe(g.Challenger)))
        {
            if (!await Node.Read(() => Node.Game.SubmissionRejectedAsync(g.SubmissionId), ct)) continue;
            var action = $"cancel:{g.GameId}";
            if (tx.Sent(action)) continue;
            Log.LogInformation("Game {GameId}: another game rejected submission {SubmissionId}; cancelling ours for the bond", g.GameId, g.SubmissionId);
            await tx.SendAsync(action, ContractNames.DisputeGame, Node.Deployment.Game, new CancelFunction { GameId = g.GameId }, 0, ct);
            Node.Store.Put(g with { Over = true });
        }
        var credit = await Node.Read(() => Node.Tasks.CreditsAsync(Node.Address), ct);
        if (credit > 0)
        {
            var n = Node.Store.Transactions().Count(p => p.Action.StartsWith("withdraw:", StringComparison.Ordinal));
            Log.LogInformation("Withdrawing {Credit} wei", credit);
            await tx.SendAsync($"withdraw:{n + 1}", ContractNames.OpmlTasks, Node.Deployment.Tasks, new WithdrawFunction(), 0, ct);
        }
    }
}
