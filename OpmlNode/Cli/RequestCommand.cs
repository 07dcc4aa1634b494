using System.CommandLine;
using System.Numerics;
using OpmlNode.Chain;
using OpmlNode.Configuration;
using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node request`: request an inference task on chain (PROTOCOL §5.2) and optionally follow it to its result.</summary>
internal static class RequestCommand
{
    public static Command Build(NodeOptions options)
    {
        var chain = new ChainOptions(options);
        var model = new Option<ulong>("--model") { HelpName = "ID", Description = "Registered model id (see `opml-node model register`).", Required = true };
        var png = new Option<FileInfo?>("--input-png") { Description = "A picture of a digit (any size and colour; PNG, JPEG, BMP, GIF, TGA), found and centred as for MNIST and converted to I8 [1, 784] (q = pixel − 128, white on black); see `infer --help`." };
        var input = new Option<FileInfo?>("--input") { Description = "Raw task-input bytes (the little-endian TASK_INPUT tensor; at most the model's input size limit)." };
        var modelFile = new Option<FileInfo?>("--model-file") { Description = "The model's .opml file (optional): checked to be exactly model ID on chain, then its input conventions, default passes and architecture are used." };
        var passes = new Option<uint?>("--passes") { HelpName = "P", Description = "Passes P (default: 1, or the model file's default for its input)." };
        var fee = new Option<string?>("--fee") { HelpName = "WEI", Description = "Fee in wei (default: the contract's minFee)." };
        var wait = new Option<bool>("--wait") { Description = "Follow the task (submitted, challenged, rejected, resubmitted, finalized) and print its result; exit 0 once finalized." };
        var timeout = new Option<double>("--timeout") { HelpName = "S", Description = "With --wait: give up after S seconds (exit 1).", DefaultValueFactory = _ => 600 };
        var cmd = new Command("request",
            "Request an inference task: sends `request(modelId, input, passes)` with the fee and prints the task id and the input root the contract " +
            "computed. With --wait, follows the task's events and prints each transition and finally the output (I32 values; `class: N` for a classifier).\n" +
            $"Exit code: 0 (with --wait: once finalized); 1 if --wait times out; {ExitCodes.BadInput} for bad options, inputs, endpoint or deployment.")
        {
            model, png, input, modelFile, passes, fee, wait, timeout,
        };
        chain.AddTo(cmd);
        cmd.SetAction(async (p, ct) =>
        {
            var (pngFile, inputFile) = (p.GetValue(png), p.GetValue(input));
            if ((pngFile is null) == (inputFile is null)) return Fail("give exactly one of --input-png FILE, --input FILE");
            var wait_ = p.GetValue(wait);
            var seconds = p.GetValue(timeout);
            if (!wait_ && p.GetResult(timeout) is { Implicit: false }) return Fail("--timeout applies only with --wait");
            if (wait_ && !(seconds > 0 && seconds <= 30 * 86400)) return Fail("--timeout must be > 0 and at most 30 days of seconds");
            BigInteger? paid = p.GetValue(fee) is { } f ? DeployCommand.Wei(f, "--fee") : null;
            var source = (pngFile ?? inputFile)!;
            var bytes = File.ReadAllBytes(source.FullName);
            using var local = p.GetValue(modelFile) is { } mf ? ModelReader.Open(mf.FullName) : null;

            var conn = await chain.ConnectAsync(p, ct);
            var client = new TaskClient(conn);
            var modelId = new BigInteger(p.GetValue(model));
            var onChain = await client.GetModelAsync(modelId);
            if (local is not null)
            {
                var r = RegisteredModel.Of(local, ModelRoots.Load(local, Console.Error), VmBackend.Embedded(), onChain.MaxNodeSteps);
                if (!ModelRegistration.Matches(onChain, r))
                    return Fail(Invariant($"{Path.GetFileName(local.Path)} is not model {modelId}: its registration (weights root {r.WeightsRoot}) differs from the one on chain"));
            }
            var taskInput = pngFile is not null ? TaskClient.InputFromPng(onChain, bytes, pngFile.Name, local) : TaskClient.InputFromBytes(onChain, bytes, local);
            uint passCount = p.GetValue(passes) ?? (local is null ? 1u : (uint)TaskInput.FromBytes(local, taskInput).DefaultPasses);

            var task = await client.RequestAsync(modelId, taskInput, passCount, paid, ct);
            Console.WriteLine(Invariant($"task id:    {task.TaskId}"));
            Console.WriteLine(Invariant($"input root: {task.InputRoot} ({taskInput.Length} bytes from {source.Name})"));
            Console.WriteLine(Invariant($"model {task.ModelId}, {task.Passes} pass(es) = {task.Slots} slots, fee {task.Fee} wei, requested by {conn.Address} (tx {task.TransactionHash})"));
            if (!wait_) return 0;

            Console.WriteLine(Invariant($"waiting up to {seconds:0.#} s for the task to be finalized..."));
            var outcome = await client.FollowAsync(task.TaskId, task.BlockNumber, TimeSpan.FromSeconds(seconds), line => Console.WriteLine("  " + line), ct: ct);
            if (outcome is null)
            {
                Console.Error.WriteLine(Invariant($"error: timed out after {seconds:0.#} s: {await client.DescribeAsync(task.TaskId)}"));
                return ExitCodes.CheckFailed;
            }
            var values = outcome.Values;
            Console.WriteLine($"output:     I32 [{string.Join(", ", values.Take(64))}{(values.Length > 64 ? ", ..." : "")}] ({outcome.Output.Length} bytes)");
            bool classifier = local is not null ? local.Kind == ArchitectureKind.Mlp : values.Length == 1;
            if (classifier && values.Length >= 1) Console.WriteLine(Invariant($"class:      {values[0]}"));
            return 0;
        });
        return cmd;
    }
}
