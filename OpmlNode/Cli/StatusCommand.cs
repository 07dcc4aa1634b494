using System.CommandLine;
using OpmlNode.Chain;
using OpmlNode.Configuration;

namespace OpmlNode.Cli;

/// <summary>`opml-node status`: every task and every game of a deployment, from the contracts' views.</summary>
internal static class StatusCommand
{
    public static Command Build(NodeOptions options)
    {
        var chain = new ChainOptions(options, ChainOptions.KeyUse.None);
        var json = new Option<bool>("--json") { Description = "Print one JSON document {chainId, block, blockTime, tasksContract, gameContract, tasks: [...], games: [...]} instead of tables." };
        var cmd = new Command("status",
            "Show every task (id, model, status, submission, submitter, output root, challenge deadline, open games) and every game " +
            "(id, task, stage, side to move, interval lo/hi, both clocks' time left, deadline, winner), read at the latest block from " +
            "taskCount/task/submission and gameCount/game/deadline. Needs no key.\n" +
            $"Exit code: 0; {ExitCodes.BadInput} for a bad endpoint or deployment.")
        {
            json,
        };
        chain.AddTo(cmd);
        cmd.SetAction(async (p, ct) =>
        {
            var conn = await chain.ConnectAsync(p, ct);
            var snapshot = await ChainStatusSnapshot.ReadAsync(conn, ct);
            Console.WriteLine(p.GetValue(json) ? snapshot.ToJson() : snapshot.ToTable());
            return 0;
        });
        return cmd;
    }
}
