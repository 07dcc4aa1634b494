using System.CommandLine;
using System.Numerics;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Configuration;
using static OpmlNode.Cli.CliErrors;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Cli;

/// <summary>`opml-node reclaim`: the requester of a task nobody answered takes its fee back after the expiry (PROTOCOL §5.2).</summary>
internal static class ReclaimCommand
{
    public static Command Build(NodeOptions options)
    {
        var chain = new ChainOptions(options);
        var task = new Option<ulong>("--task") { HelpName = "ID", Description = "The task to reclaim (yours, Open, past its expiry).", Required = true };
        var withdraw = new Option<bool>("--withdraw") { Description = "Also withdraw your whole credit (the fee and anything else owed to you) to your address." };
        var cmd = new Command("reclaim",
            "Take back the fee of a task you requested that has no pending submission and is past the deployment's task expiry: " +
            "sends `reclaim(taskId)`; the fee is credited to you (pull it with --withdraw). Checked before sending, with the reason " +
            "named: not your task, not Open (submitted, finalized or already expired), or not yet expired (and when it will be).\n" +
            $"Exit code: 0 once reclaimed; {ExitCodes.CheckFailed} if the task cannot be reclaimed (yet); {ExitCodes.BadInput} for bad options, endpoint or deployment.")
        {
            task, withdraw,
        };
        chain.AddTo(cmd);
        cmd.SetAction(async (p, ct) =>
        {
            var conn = await chain.ConnectAsync(p, ct);
            var tasks = conn.Tasks;
            var id = new BigInteger(p.GetValue(task));
            if (id < 1 || id > await tasks.TaskCountAsync()) return Fail(Invariant($"--task {id}: no such task"));
            var t = await tasks.GetTaskAsync(id);
            if (!string.Equals(t.Requester, conn.Address, StringComparison.OrdinalIgnoreCase))
                return Refuse(Invariant($"task {id} was requested by {t.Requester}, not by {conn.Address}: only its requester can reclaim the fee"));
            if (t.Status != TaskStatus.Open)
                return Refuse(Invariant($"task {id} is {t.Status}: only an Open task (no pending submission) can be reclaimed"));
            var head = await conn.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
            var expiry = t.RequestedAt + (ulong)await tasks.TaskExpiryAsync();
            // The next block's timestamp is at least head + 1; the contract requires now >= expiry.
            if ((ulong)head.Timestamp.Value + 1 < expiry)
                return Refuse(Invariant($"task {id} expires at {DateTimeOffset.FromUnixTimeSeconds((long)expiry):u} (chain time), in {expiry - (ulong)head.Timestamp.Value} s"));
            var done = await tasks.ReclaimAsync(id, ct);
            Console.WriteLine(Invariant($"task {id}: fee {done.Event.Fee} wei credited back to {conn.Address} (tx {done.Receipt.TransactionHash})"));
            if (p.GetValue(withdraw))
            {
                var w = await tasks.WithdrawAsync(ct);
                Console.WriteLine(Invariant($"withdrew {w.Event.Amount} wei (tx {w.Receipt.TransactionHash})"));
            }
            return 0;
        });
        return cmd;
    }

    private static int Refuse(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return ExitCodes.CheckFailed;
    }
}
