using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Dispute;

namespace OpmlNode.Hosting.Devnet;

/// <summary>
/// Tells a person what happens on a devnet, from the contracts' events alone: requests, submissions, challenges, the
/// rounds of both phases against their bound ⌈log_k N⌉ and ⌈log_k T⌉, the link, the step, the bonds, the final result.
/// </summary>
public sealed class DevnetNarrator(IWeb3 web3, DeployedContracts contracts, IReadOnlyDictionary<string, string> names, TextWriter output, Func<byte[], string>? describe = null)
{
    private ulong _next;
    private readonly Dictionary<BigInteger, (long N, long T, int Phase1, int Phase2)> _games = [];
    private readonly Dictionary<BigInteger, ulong> _slots = [];

    public List<string> Finalized { get; } = [];
    public List<(BigInteger Game, Side Winner, Resolution How, int Moves)> Resolved { get; } = [];
    public List<(BigInteger Task, BigInteger Submission, BigInteger Game)> Rejections { get; } = [];
    public Dictionary<string, BigInteger> Credits { get; } = [];
    private readonly Dictionary<BigInteger, byte[]> _outputs = [];

    /// <summary>The output of a submission as a person reads it ("class 7", or the generated text).</summary>
    public string OutputOf(BigInteger submissionId) => _outputs.TryGetValue(submissionId, out var o) ? Describe(o) : "?";

    private string Who(string address) => names.TryGetValue(address.ToLowerInvariant(), out var n) ? n : address[..10] + "…";

    /// <summary>Prints every event of the blocks since the last call, in chain order.</summary>
    public async Task PollAsync()
    {
        var head = (ulong)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        if (head < _next) return;
        var lines = new List<(ulong Block, ulong Index, string Text)>();
        async Task Each<T>(string address, Func<T, string?> say) where T : IEventDTO, new()
        {
            var ev = web3.Eth.GetEvent<T>(address);
            foreach (var e in await new LogCheck<T>(address).BelievedAsync(web3, ev.CreateFilterInput(new BlockParameter(_next), new BlockParameter(head))))
                if (say(e.Event) is { } text) lines.Add(((ulong)e.Log.BlockNumber.Value, (ulong)e.Log.LogIndex.Value, text));
        }
        await Each<TaskRequestedEvent>(contracts.Tasks, e => $"task {e.TaskId} requested by {Who(e.Requester)}: model {e.ModelId}, {e.Input.Length} input bytes, fee {e.Fee} wei");
        await Each<ResultSubmittedEvent>(contracts.Tasks, e =>
        {
            _slots[e.TaskId] = e.OutputSlot + 1;
            _outputs[e.SubmissionId] = e.Output;
            return $"task {e.TaskId}: {Who(e.Submitter)} submits result {e.SubmissionId} (S_N {Short(e.FinalRoot)}, output {Describe(e.Output)}) with a {e.Bond} wei bond";
        });
        await Each<ChallengedEvent>(contracts.Tasks, e => $"task {e.TaskId}: {Who(e.Challenger)} challenges result {e.SubmissionId} with a {e.Bond} wei bond -> game {e.GameId}");
        await Each<GameStartedEvent>(contracts.Game, e =>
        {
            _games[e.GameId] = ((long)e.Slots, 0, 0, 0);
            return $"game {e.GameId}: phase 1 over {e.Slots} graph slots ({Who(e.Submitter)} vs {Who(e.Challenger)}), at most {Bisection.Rounds((long)e.Slots, contracts.Parameters.K)} rounds";
        });
        await Each<ChosenEvent>(contracts.Game, e =>
        {
            var g = _games.GetValueOrDefault(e.GameId);
            bool p1 = e.Phase == 1;
            g = p1 ? g with { Phase1 = g.Phase1 + 1 } : g with { Phase2 = g.Phase2 + 1 };
            _games[e.GameId] = g;
            int round = p1 ? g.Phase1 : g.Phase2, bound = Bisection.Rounds(p1 ? g.N : g.T, contracts.Parameters.K);
            return $"game {e.GameId}: phase {e.Phase} round {round}/{bound}: disputed interval now [{e.Lo}, {e.Hi}]";
        });
        await Each<TransitionProvedEvent>(contracts.Game, e => $"game {e.GameId}: phase 1 pinned slot {e.Slot}; claimed output root {Short(e.OutRoot)}");
        await Each<LinkedEvent>(contracts.Game, e => $"game {e.GameId}: link: slot {e.Slot} = node {e.Node} of pass {e.Pass}, {e.InputRoots.Count} input roots proved, start state {Short(e.StartStateHash)} composed on chain");
        await Each<FinalClaimedEvent>(contracts.Game, e =>
        {
            var g = _games.GetValueOrDefault(e.GameId);
            _games[e.GameId] = g with { T = (long)e.Steps };
            return $"game {e.GameId}: final VM state claimed after {e.Steps} steps; phase 2, at most {Bisection.Rounds((long)e.Steps, contracts.Parameters.K)} rounds";
        });
        await Each<SteppedEvent>(contracts.Game, e => $"game {e.GameId}: one RISC-V step executed on chain at step {e.StepIndex}: post-state {Short(e.PostStateHash)} vs claimed {Short(e.ClaimedPostStateHash)} -> {(e.PostStateHash.SequenceEqual(e.ClaimedPostStateHash) ? "the submitter's claim holds" : "the submitter's claim is false")}");
        await Each<GameResolvedEvent>(contracts.Game, e =>
        {
            Resolved.Add((e.GameId, e.Winner, e.How, (int)e.Turn + 1));
            return $"game {e.GameId}: resolved by {e.How}: {e.Winner} ({Who(e.WinnerAccount)}) wins";
        });
        await Each<SubmissionRejectedEvent>(contracts.Tasks, e =>
        {
            Rejections.Add((e.TaskId, e.SubmissionId, e.GameId));
            return $"task {e.TaskId}: result {e.SubmissionId} rejected; its submitter's bond is gone; the task is open again";
        });
        await Each<CreditedEvent>(contracts.Tasks, e =>
        {
            var who = Who(e.Account);
            Credits[who] = Credits.GetValueOrDefault(who) + e.Amount;
            return $"credit: {who} +{e.Amount} wei ({e.Reason})";
        });
        await Each<TaskFinalizedEvent>(contracts.Tasks, e =>
        {
            var line = $"task {e.TaskId}: FINAL: result {e.SubmissionId} by {Who(e.Submitter)}, output root {Short(e.OutputRoot)}; {Who(e.Submitter)} is paid {e.Payout} wei";
            Finalized.Add(line);
            return line;
        });
        foreach (var l in lines.OrderBy(l => l.Block).ThenBy(l => l.Index)) output.WriteLine($"  [block {l.Block,4}] {l.Text}");
        _next = head + 1;
    }

    private static string Short(byte[] h) => new Hash256(h).ToString()[..12] + "…";

    private string Describe(byte[] output) =>
        describe is not null ? describe(output) : output.Length == 4 ? $"class {BitConverter.ToInt32(output)}" : $"{output.Length} bytes";
}
