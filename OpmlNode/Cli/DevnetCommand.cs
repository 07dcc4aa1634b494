using System.CommandLine;
using OpmlNode.Hosting.Devnet;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node devnet`: the whole system on this machine, narrated (docs/PROTOCOL.md §5).</summary>
internal static class DevnetCommand
{
    public static Command Build()
    {
        var liar = new Option<DevnetLiar>("--liar") { Description = "Add a lying node: slot (a wrong graph slot, drawn at random), step (a wrong VM step), challenger (disputes correct results), none.", DefaultValueFactory = _ => DevnetLiar.None, HelpName = "none|slot|step|challenger" };
        var tasks = new Option<int>("--tasks") { Description = "Tasks to request (held-out MNIST digits, or Fashion-MNIST test images for a Fashion-MNIST model).", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the digits drawn and of the liar's slot.", DefaultValueFactory = _ => 1, HelpName = "SEED" };
        var blockTime = new Option<int>("--block-time") { Description = "anvil block time in seconds (0 = mine on every transaction).", DefaultValueFactory = _ => 0, HelpName = "S" };
        var contracts = new Option<DirectoryInfo>("--contracts") { Description = "The Foundry project (forge's out/ and the npm anvil).", DefaultValueFactory = _ => new DirectoryInfo("contracts") };
        var model = new Option<FileInfo>("--model") { Description = "The model to serve.", DefaultValueFactory = _ => new FileInfo(Path.Combine("models", "mnist", "mnist.opml")) };
        var prompt = new Option<string?>("--prompt") { Description = "Text tasks instead of digits: the prompt, for a LLaMA imported with its vocabulary (--model kjv.opml from `model import-gguf`).", HelpName = "TEXT" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "With --prompt: tokens each task generates.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Working directory for keys, databases and node logs (default: a new temporary one).", HelpName = "DIR" };
        var cmd = new Command("devnet",
            "Bring the whole system up locally: anvil, the contracts, the MNIST model registered, an honest submitter and a watchdog verifier " +
            "(separate `opml-node run` processes with their own keys and databases), optionally a lying node; request tasks on held-out digits and " +
            "tell what happens, from request to the final result. Exit code 0 when every task ends with the honest result and the liar lost.")
        {
            liar, tasks, seed, blockTime, contracts, model, prompt, maxTokens, dir,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var c = p.GetValue(contracts)!;
            var m = p.GetValue(model)!;
            if (!Directory.Exists(Path.Combine(c.FullName, "out"))) return Fail($"{c.FullName} has no compiled contracts (run `npm ci && npx forge build` there)");
            if (!m.Exists) return Fail($"{m.FullName}: no such model file");
            if (p.GetValue(tasks) is < 1 or > 20) return Fail("--tasks must be in [1, 20]");
            var work = p.GetValue(dir)?.FullName ?? Directory.CreateTempSubdirectory("opml-devnet-").FullName;
            try
            {
                return await DevnetRunner.RunAsync(new DevnetOptions(c.FullName, m.FullName, work, p.GetValue(liar), p.GetValue(tasks), p.GetValue(seed), p.GetValue(blockTime), p.GetValue(prompt), p.GetValue(maxTokens)), Console.Out, ct);
            }
            catch (TimeoutException e) { Console.Error.WriteLine($"error: {e.Message}; node logs in {work}"); return ExitCodes.CheckFailed; }
            catch (InvalidOperationException e) { Console.Error.WriteLine($"error: {e.Message}"); return ExitCodes.CheckFailed; }
            catch (ArgumentException e) { return Fail(e.Message); }
            catch (FileNotFoundException e) { return Fail(e.Message); }
        });
        return cmd;
    }
}
