using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpmlNode.Chain.Contracts;
using OpmlNode.Hosting;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>
/// `opml-node run`: the node daemon (Generic Host). Settings come from appsettings.json (section OpmlNode:Node), the
/// environment (OPML_OpmlNode__Node__…) and these options, which win; they are validated before anything starts.
/// </summary>
internal static class RunCommand
{
    public static Command Build()
    {
        var rpc = new Option<string?>("--rpc") { Description = "JSON-RPC endpoint of the chain.", HelpName = "URL" };
        var rpcFallback = new Option<string[]>("--rpc-fallback")
        {
            Description = "A fallback JSON-RPC endpoint of the same chain, used while the primary fails (repeatable; tried in order).",
            HelpName = "URL",
            AllowMultipleArgumentsPerToken = false,
        };
        var keyFile = new Option<string?>("--key-file") { Description = "File whose first line is the node's hex private key.", HelpName = "FILE" };
        var keyEnv = new Option<string?>("--key-env") { Description = "Environment variable holding the key (default OPML_KEY).", HelpName = "NAME" };
        var deployment = new Option<string?>("--deployment") { Description = "Deployment file written by `opml-node deploy` (default deployment.json).", HelpName = "FILE" };
        var data = new Option<string?>("--data") { Description = "The node's RocksDB directory (default opml-data).", HelpName = "DIR" };
        var submitter = new Option<bool>("--submitter") { Description = "Answer requests for the served models with a bonded result." };
        var verifier = new Option<bool>("--verifier") { Description = "Re-execute every result of a served model and challenge wrong ones." };
        var models = new Option<string[]>("--model") { Description = "A served model: ID=FILE.opml (repeatable).", HelpName = "ID=FILE", AllowMultipleArgumentsPerToken = false };
        var backend = new Option<string?>("--backend") { Description = "cpu | ilgpu | scalar.", HelpName = "cpu|ilgpu|scalar" };
        var confirmations = new Option<int?>("--confirmations") { Description = "Blocks a log must be buried under before the node acts on it.", HelpName = "N" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Passes between the native graph checkpoints stored per task (default 1; larger saves disk for big KV caches).", HelpName = "PASSES" };
        var undoRanges = new Option<int?>("--undo-ranges") { Description = "Applied block ranges kept undoable (default 256): a deeper reorganisation is not undone; a final task's traces are deleted once its finalisation leaves this window.", HelpName = "N" };
        var poll = new Option<int?>("--poll-ms") { Description = "Poll interval of every service (ms).", HelpName = "MS" };
        var logFile = new Option<string?>("--log-file") { Description = "Also write the JSON log lines to this file.", HelpName = "FILE" };
        var lieSlot = new Option<string?>("--lie-slot") { Description = "Fault injection: as submitter, post a wrong root for slot G (or 'random').", HelpName = "G|random" };
        var lieStep = new Option<string?>("--lie-step") { Description = "Fault injection: as submitter, slot G wrong and its VM trace wrong from step I.", HelpName = "G:I" };
        var challengeCorrect = new Option<bool>("--challenge-correct") { Description = "Fault injection: as verifier, challenge correct results too." };
        var silent = new Option<int?>("--silent-after-move") { Description = "Fault injection: stop playing games after M moves (the clock then decides).", HelpName = "M" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve Prometheus /metrics, /healthz and /readyz on this port (default off).", HelpName = "PORT" };
        var metricsHost = new Option<string?>("--metrics-host") { Description = "Host the metrics endpoint listens on: localhost (default) or * (all interfaces, in a container).", HelpName = "HOST" };
        var logFormat = new Option<string?>("--log-format") { Description = "json (default: one compact JSON object per line) or text (for people).", HelpName = "json|text" };
        var hang = new Option<int?>("--hang-after-ticks") { Description = "Fault injection: the chain watcher's loop hangs after N ticks (tests the systemd watchdog).", HelpName = "N" };
        var maxFee = new Option<double?>("--max-fee-gwei") { Description = "The most this node pays per gas (EIP-1559 max fee or legacy gas price), in gwei; it never signs above it and logs an error when the chain asks more (default: no cap).", HelpName = "GWEI" };
        var replaceAfter = new Option<int?>("--replace-after") { Description = "Seconds a transaction may stay unmined before a same-nonce replacement with higher fees is signed (default 15).", HelpName = "SECONDS" };
        // Hidden: the kill campaign's hook (docs/RELIABILITY.md), not an operator's setting.
        var crashAt = new Option<string?>("--crash-at") { Description = "Test only: SIGKILL this process at POINT[:WHAT] (Faults/CrashPoint.cs).", HelpName = "POINT", Hidden = true };
        var legacyFees = new Option<bool>("--legacy-fees") { Description = "Measurement only: sign legacy transactions at eth_gasPrice and never replace them (the sender before EIP-1559 support).", Hidden = true };
        var seed = new Option<int?>("--seed") { Description = "Seed of random fault injection (logged).", HelpName = "SEED" };
        var cmd = new Command("run", "Run the node: chain watcher, submitter and/or verifier, dispute player, finaliser (docs/PROTOCOL.md §5).\n" +
            $"Logs are JSON lines on stdout (--log-format text for people). Exit code: 0 after a clean shutdown (SIGTERM, Ctrl-C); {ExitCodes.BadInput} for bad settings.")
        {
            rpc, rpcFallback, keyFile, keyEnv, deployment, data, submitter, verifier, models, backend, confirmations, checkpointEvery, undoRanges, poll, logFile, metricsPort, metricsHost, logFormat, maxFee, replaceAfter, legacyFees, lieSlot, lieStep, challengeCorrect, silent, hang, crashAt, seed,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var o = new Dictionary<string, string?>();
            // An option not given adds nothing (a flag not given is not "false"): the environment and appsettings keep their say.
            void Set(string key, object? value) { if (value is not null and not false) o[$"{NodeRunOptions.Section}:{key}"] = value is true ? "true" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture); }
            Set(nameof(NodeRunOptions.RpcUrl), p.GetValue(rpc));
            var fallbacks = p.GetValue(rpcFallback) ?? [];
            for (int i = 0; i < fallbacks.Length; i++) Set($"{nameof(NodeRunOptions.FallbackRpcUrls)}:{i}", fallbacks[i]);
            Set(nameof(NodeRunOptions.KeyFile), p.GetValue(keyFile));
            Set(nameof(NodeRunOptions.KeyEnv), p.GetValue(keyEnv));
            Set(nameof(NodeRunOptions.Deployment), p.GetValue(deployment));
            Set(nameof(NodeRunOptions.DataDir), p.GetValue(data));
            Set(nameof(NodeRunOptions.Submitter), p.GetValue(submitter));
            Set(nameof(NodeRunOptions.Verifier), p.GetValue(verifier));
            Set(nameof(NodeRunOptions.Backend), p.GetValue(backend));
            Set(nameof(NodeRunOptions.Confirmations), p.GetValue(confirmations));
            Set(nameof(NodeRunOptions.PollMilliseconds), p.GetValue(poll));
            Set(nameof(NodeRunOptions.CheckpointEveryPasses), p.GetValue(checkpointEvery));
            Set(nameof(NodeRunOptions.UndoRanges), p.GetValue(undoRanges));
            Set(nameof(NodeRunOptions.LogFile), p.GetValue(logFile));
            Set(nameof(NodeRunOptions.MetricsPort), p.GetValue(metricsPort));
            Set(nameof(NodeRunOptions.MetricsHost), p.GetValue(metricsHost));
            Set(nameof(NodeRunOptions.LogFormat), p.GetValue(logFormat));
            Set(nameof(NodeRunOptions.MaxFeeGwei), p.GetValue(maxFee));
            Set(nameof(NodeRunOptions.ReplaceAfterSeconds), p.GetValue(replaceAfter));
            Set(nameof(NodeRunOptions.LegacyFeesBaseline), p.GetValue(legacyFees));
            Set("Faults:HangAfterTicks", p.GetValue(hang));
            Set("Faults:LieSlot", p.GetValue(lieSlot));
            Set("Faults:LieStep", p.GetValue(lieStep));
            Set("Faults:ChallengeCorrect", p.GetValue(challengeCorrect));
            Set("Faults:SilentAfterMove", p.GetValue(silent));
            Set("Faults:Seed", p.GetValue(seed));
            Set("Faults:CrashAt", p.GetValue(crashAt));
            var served = p.GetValue(models) ?? [];
            for (int i = 0; i < served.Length; i++)
            {
                var parts = served[i].Split('=', 2);
                if (parts.Length != 2 || !ulong.TryParse(parts[0], out var id)) return Fail($"--model '{served[i]}': expected ID=FILE.opml");
                Set($"Models:{i}:ModelId", id);
                Set($"Models:{i}:File", Path.GetFullPath(parts[1]));
            }
            return await RunAsync(o, ct);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> overrides, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = false });
        // appsettings.json beside the executable (an installed node's defaults), then the working directory's, the
        // OPML_ environment, the options: each later source wins.
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables("OPML_").AddInMemoryCollection(overrides);
        try { Faults.CrashPoint.Arm(builder.Configuration[$"{NodeRunOptions.Section}:Faults:CrashAt"]); }
        catch (ArgumentException e) { return Fail(e.Message); }
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSystemdNotify();
        builder.Services.AddOpmlOptions(builder.Configuration).AddOpmlLogging(builder.Configuration).AddOpmlMetrics().AddOpmlStorage().AddOpmlChain().AddOpmlServices(builder.Configuration);
        using var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
        }
        catch (OptionsValidationException e)
        {
            foreach (var f in e.Failures) Console.Error.WriteLine($"error: invalid setting: {f}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is InvalidDataException or Storage.StorageException or ContractRevertException or HttpRequestException
            or Nethereum.JsonRpc.Client.RpcClientUnknownException or InvalidModelException or InvalidOperationException)
        {
            return Fail(e.Message);
        }
        catch (NodeHaltException e)
        {
            Console.Error.WriteLine($"error: the node stops: {e.Message}");
            return ExitCodes.Halted;
        }
        await host.WaitForShutdownAsync(CancellationToken.None);
        if (host.Services.GetRequiredService<NodeContext>().HaltReason is { } reason)
        {
            Console.Error.WriteLine($"error: the node stopped: {reason}");
            return ExitCodes.Halted;
        }
        return ExitCodes.Ok;
    }
}
