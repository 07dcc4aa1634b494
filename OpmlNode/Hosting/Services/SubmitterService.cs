using Microsoft.Extensions.Logging;
using OpmlNode.Chain.Contracts;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Hosting.Services;

/// <summary>
/// Answers open tasks of the served models: native inference, then <c>submit</c> with the bond — once per task: a task
/// whose submission by this node was rejected is left to others (re-submitting a result that lost would lose again).
/// </summary>
public sealed class SubmitterService(NodeContext node, TransactionSender tx, ILogger<SubmitterService> log) : PollingService(node, log)
{
    /// <summary>A task this close to its expiry is not answered: the submit might be mined after it.</summary>
    public const ulong ExpiryMarginSeconds = 30;

    private ulong? _expiry;
    private readonly HashSet<ulong> _expiredLogged = [];
    private readonly HashSet<ulong> _undefendable = []; // tasks already reported as impossible to defend (one error each)

    protected override async Task TickAsync(CancellationToken ct)
    {
        foreach (var t in Node.Store.Tasks().Where(t => !t.Finalized))
        {
            // One submission per task and node: a result that lost once would lose again, and the store may not yet know
            // that the chain has rejected it. A submit that reverted (another submission came first) staked nothing:
            // once that submission is rejected, the task is answered again.
            if (t.Submissions.Any(s => Node.IsMe(s.Submitter)) || tx.SentAny($"submit:{t.TaskId}:")) continue;
            var action = $"submit:{t.TaskId}:{t.Submissions.Count}";
            var onChain = await Node.Read(() => Node.Tasks.GetTaskAsync(t.TaskId), ct);
            if (onChain.Status != TaskStatus.Open) continue;
            using var scope = Log.BeginScope(new Dictionary<string, object> { ["TaskId"] = t.TaskId });
            // A submit mined at or after the expiry reverts TaskExpired; one that would land in its last seconds is not sent.
            _expiry ??= (ulong)await Node.Read(() => Node.Tasks.TaskExpiryAsync(), ct);
            if (await Node.NowAsync(ct) + ExpiryMarginSeconds >= onChain.RequestedAt + _expiry.Value)
            {
                if (_expiredLogged.Add(t.TaskId)) Log.LogWarning("Task {TaskId}: past (or within {Margin} s of) its expiry; not submitting", t.TaskId, ExpiryMarginSeconds);
                continue;
            }
            var lying = Node.Options.Faults.LieSlot is not null || Node.Options.Faults.LieStep is not null;
            // Never a result that could not be defended to the last step (a liar injected for tests does not care).
            if (!lying && Node.CheckVm(t) is { Problem: { } why })
            {
                if (_undefendable.Add(t.TaskId)) Log.LogError("Task {TaskId}: not submitting, the result could not be defended on chain: {Reason}", t.TaskId, why);
                continue;
            }
            if (!await Node.CanAffordAsync(action, Node.SubmitterBond, tx, ct)) continue;
            var party = Node.Party(t, lying);
            var g = party.Graph;
            Log.LogInformation("Task {TaskId}: computed S_N {FinalRoot} over {Slots} slots; submitting", t.TaskId, g.FinalRoot, g.Length);
            await tx.SendAsync(action, ContractNames.OpmlTasks, Node.Deployment.Tasks, new SubmitFunction
            {
                TaskId = t.TaskId,
                Output = g.Output,
                FinalRoot = g.FinalRoot.ToArray(),
                OutputSlotProof = [.. g.OutputSlotProof().Siblings.Select(s => s.ToArray())],
            }, Node.SubmitterBond, ct, deadline: onChain.RequestedAt + _expiry.Value);
        }
    }
}
