using Microsoft.Extensions.Logging;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Dispute;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// The watchdog: re-executes every pending submission of a served model and challenges, with the bond and well inside
/// the window, each one whose final graph root S_N differs from its own.
/// </summary>
public sealed class VerifierService(NodeContext node, TransactionSender tx, ILogger<VerifierService> log) : PollingService(node, log)
{
    private readonly HashSet<ulong> _missed = []; // submissions already reported as missed (one warning each, not one per tick)
    private readonly HashSet<ulong> _compared = []; // submissions already counted as verified
    private readonly HashSet<ulong> _unwinnable = []; // differing submissions not challenged because our trace fails in the VM (one error each)

    protected override async Task TickAsync(CancellationToken ct)
    {
        ulong? now = null;
        foreach (var t in Node.Store.Tasks().Where(t => !t.Finalized))
            foreach (var s in t.Submissions.Where(s => !s.Rejected && !Node.IsMe(s.Submitter)))
            {
                var action = $"challenge:{s.SubmissionId}";
                if (tx.Sent(action)) continue;
                var me = Node.Party(t, lying: Node.Options.Faults.ChallengeCorrect);
                var disputes = Solver.Disputes(me, Hash256.FromHex(s.FinalRoot));
                if (_compared.Add(s.SubmissionId)) Node.Metrics.Verified.Inc();
                if (!disputes) continue;
                now ??= await Node.ChainTimeAsync(ct);
                using var scope = Log.BeginScope(new Dictionary<string, object> { ["TaskId"] = t.TaskId, ["SubmissionId"] = s.SubmissionId });
                if (now >= s.ChallengeDeadline)
                {
                    if (_missed.Add(s.SubmissionId))
                        Log.LogWarning("Task {TaskId}: submission {SubmissionId} is wrong (ours {OurRoot}, theirs {TheirRoot}) but its window has closed", t.TaskId, s.SubmissionId, me.Graph.FinalRoot, s.FinalRoot);
                    continue;
                }
                // A challenge is a game to play to the last step: not opened when our own trace cannot be shown on chain.
                if (!Node.Options.Faults.ChallengeCorrect && Node.CheckVm(t) is { Problem: { } why })
                {
                    if (_unwinnable.Add(s.SubmissionId))
                        Log.LogError("Task {TaskId}: submission {SubmissionId} differs from ours but is not challenged: our trace could not be shown on chain: {Reason}", t.TaskId, s.SubmissionId, why);
                    continue;
                }
                if (!await Node.CanAffordAsync(action, Node.ChallengerBond, tx, ct)) continue;
                Log.LogWarning("Task {TaskId}: submission {SubmissionId} disputed: S_N ours {OurRoot}, theirs {TheirRoot}; challenging", t.TaskId, s.SubmissionId, me.Graph.FinalRoot, s.FinalRoot);
                await tx.SendAsync(action, ContractNames.OpmlTasks, Node.Deployment.Tasks, new ChallengeFunction { TaskId = t.TaskId }, Node.ChallengerBond, ct, deadline: s.ChallengeDeadline);
            }
    }
}
