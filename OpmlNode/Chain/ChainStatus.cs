using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;

namespace OpmlNode.Chain;

/// <summary>One task as the views <c>task(i)</c> and <c>submission(task.submissionId)</c> show it.</summary>
public sealed record TaskRow(ulong Id, ulong ModelId, string Status, uint Passes, ulong Slots, string Requester, string Fee,
    ulong SubmissionId, string? SubmissionStatus, string? Submitter, string? OutputRoot, ulong? SubmittedAt, ulong? ChallengeDeadline, uint OpenGames);

/// <summary>One game as <c>game(i)</c> and <c>deadline(i)</c> show it; the clocks are what each side has left at the
/// chain's latest block (the side to move's clock runs from <c>turnStart</c>).</summary>
public sealed record GameRow(ulong Id, ulong TaskId, ulong SubmissionId, string Stage, string ToMove, uint Moves, ulong Lo, ulong Hi,
    ulong Slot, ulong Steps, ulong SubmitterClockLeft, ulong ChallengerClockLeft, ulong? Deadline, string Winner, string Submitter, string Challenger);

/// <summary>Every task and every game of a deployment at one block (read from the contracts' views only).</summary>
public sealed record ChainStatusSnapshot(long ChainId, ulong Block, ulong BlockTime, string Tasks, string Game,
    IReadOnlyList<TaskRow> TaskRows, IReadOnlyList<GameRow> GameRows)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads the snapshot at the latest block: <c>taskCount</c>, <c>task(i)</c>, <c>submission(i)</c>,
    /// <c>gameCount</c>, <c>game(i)</c>, <c>deadline(i)</c>, all at that one block.</summary>
    public static async Task<ChainStatusSnapshot> ReadAsync(ChainConnection chain, CancellationToken ct = default)
    {
        var head = await chain.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber
            .SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest()).ConfigureAwait(false);
        var at = new Nethereum.RPC.Eth.DTOs.BlockParameter(head.Number);
        ulong now = (ulong)head.Timestamp.Value;
        var tasks = chain.Tasks;
        var game = chain.Game;
        var window = (ulong)await tasks.ChallengeWindowAsync(at).ConfigureAwait(false);

        var taskRows = new List<TaskRow>();
        var taskCount = (ulong)await tasks.TaskCountAsync(at).ConfigureAwait(false);
        for (ulong i = 1; i <= taskCount; i++)
        {
            ct.ThrowIfCancellationRequested();
            var t = await tasks.GetTaskAsync(i, at).ConfigureAwait(false);
            SubmissionInfo? s = t.SubmissionId == 0 ? null : await tasks.GetSubmissionAsync(t.SubmissionId, at).ConfigureAwait(false);
            taskRows.Add(new TaskRow(i, t.ModelId, t.Status.ToString(), t.Passes, t.Slots, t.Requester, t.Fee.ToString(CultureInfo.InvariantCulture),
                t.SubmissionId, s?.Status.ToString(), s?.Submitter, s is null ? null : new Hash256(s.OutputRoot).ToString(),
                s?.SubmittedAt, s is null ? null : s.SubmittedAt + window, s?.OpenGames ?? 0));
        }

        var gameRows = new List<GameRow>();
        var gameCount = (ulong)await game.GameCountAsync(at).ConfigureAwait(false);
        for (ulong i = 1; i <= gameCount; i++)
        {
            ct.ThrowIfCancellationRequested();
            var g = await game.GetGameAsync(i, at).ConfigureAwait(false);
            bool live = g.Stage is not (Stage.None or Stage.Resolved or Stage.Cancelled);
            ulong? deadline = live ? await game.DeadlineAsync(i, at).ConfigureAwait(false) : null;
            ulong Left(Side side, ulong clock) => live && g.ToMove == side ? (now >= g.TurnStart + clock ? 0 : g.TurnStart + clock - now) : clock;
            gameRows.Add(new GameRow(i, g.TaskId, g.SubmissionId, g.Stage.ToString(), live ? g.ToMove.ToString() : "-", g.Moves, g.Lo, g.Hi,
                g.Slot, g.Steps, Left(Side.Submitter, g.SubmitterClock), Left(Side.Challenger, g.ChallengerClock), deadline,
                g.Winner.ToString(), g.Submitter, g.Challenger));
        }
        return new ChainStatusSnapshot(chain.ChainId, (ulong)head.Number.Value, now, tasks.ContractAddress, game.ContractAddress, taskRows, gameRows);
    }

    /// <summary>The snapshot as one JSON document: <c>{chainId, block, blockTime, tasks: [...], games: [...]}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        chainId = ChainId,
        block = Block,
        blockTime = BlockTime,
        tasksContract = Tasks,
        gameContract = Game,
        tasks = TaskRows,
        games = GameRows,
    }, Json);

    /// <summary>Two aligned tables (tasks, then games) for a terminal; roots are abbreviated, times relative to the latest block.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"chain {ChainId}, block {Block} at {TaskClient.Time(BlockTime)}; OpmlTasks {Tasks}, DisputeGame {Game}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"tasks: {TaskRows.Count}\n");
        if (TaskRows.Count > 0)
            Table(sb, ["id", "model", "status", "passes", "submission", "sub. status", "submitter", "output root", "challenge deadline", "games"],
                TaskRows.Select(t => new[]
                {
                    N(t.Id), N(t.ModelId), t.Status, N(t.Passes), t.SubmissionId == 0 ? "-" : N(t.SubmissionId), t.SubmissionStatus ?? "-",
                    t.Submitter ?? "-", Short(t.OutputRoot), t.ChallengeDeadline is { } d ? Relative(d) : "-", N(t.OpenGames),
                }));
        sb.Append(CultureInfo.InvariantCulture, $"\ngames: {GameRows.Count}\n");
        if (GameRows.Count > 0)
            Table(sb, ["id", "task", "submission", "stage", "to move", "lo", "hi", "submitter clock", "challenger clock", "deadline", "winner"],
                GameRows.Select(g => new[]
                {
                    N(g.Id), N(g.TaskId), N(g.SubmissionId), g.Stage, g.ToMove, N(g.Lo), N(g.Hi),
                    N(g.SubmitterClockLeft) + " s", N(g.ChallengerClockLeft) + " s", g.Deadline is { } d ? Relative(d) : "-", g.Winner,
                }));
        return sb.ToString().TrimEnd('\n');
    }

    private string Relative(ulong t) => t >= BlockTime ? $"{TaskClient.Time(t)} (in {N(t - BlockTime)} s)" : $"{TaskClient.Time(t)} ({N(BlockTime - t)} s ago)";

    private static string N(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Short(string? root) => root is null ? "-" : root.Length > 14 ? root[..10] + "…" + root[^4..] : root;

    private static void Table(StringBuilder sb, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        foreach (var r in all)
            sb.Append(string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd()).Append('\n');
    }
}
