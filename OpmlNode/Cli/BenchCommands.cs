using System.CommandLine;
using OpmlNode.Bench;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node bench ...`: the benchmarks quoted in docs/BENCHMARKS.md.</summary>
internal static class BenchCommands
{
    public static Command Build()
    {
        var seconds = new Option<int>("--seconds") { HelpName = "SECONDS", Description = "Time budget for the keccak rounds.", DefaultValueFactory = _ => 10 };
        var keccak = new Command("keccak", "64-byte keccak256 hashes per second: ours vs BouncyCastle's KeccakDigest.") { seconds };
        keccak.SetAction(p =>
        {
            Console.WriteLine(KeccakBench.Run(p.GetValue(seconds)));
            return 0;
        });
        return CommandLine.Group("bench", "Benchmarks (medians of several rounds; ratios against a baseline measured in the same run).",
            keccak, VmBenchCommand(), MatVecBenchCommand(), DecodeBenchCommand(), TraceBenchCommand(), DisputeBenchCommand(), PlotCommand());
    }

    private static Command PlotCommand()
    {
        var results = new Option<DirectoryInfo>("--results") { Description = "Directory of `bench dispute --json` summaries.", Required = true, HelpName = "DIR" };
        var output = new Option<FileInfo>("--out") { Description = "PNG to write.", Required = true, HelpName = "FILE.png" };
        var cmd = new Command("plot", "Draw the dispute figures against model size, log-log (wall time, peak memory per node, gas), with the seed opML's and zkML's published figures beside them (ScottPlot).")
        {
            results, output,
        };
        cmd.SetAction(p =>
        {
            var dir = p.GetValue(results)!;
            if (!dir.Exists) return Fail($"{dir.FullName}: no such directory");
            try
            {
                int n = ScalePlot.Draw(dir.FullName, p.GetValue(output)!.FullName);
                Console.WriteLine($"drew {n} dispute(s) to {p.GetValue(output)!.FullName}");
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException or IOException) { return Fail(e.Message); }
        });
        return cmd;
    }

    private static Command DisputeBenchCommand()
    {
        var model = new Option<FileInfo>("--model") { Description = "The .opml model the dispute is on.", Required = true, HelpName = "FILE" };
        var k = new Option<int>("--k") { Description = "Arity of the bisection in both phases (2..64).", DefaultValueFactory = _ => 4 };
        var lie = new Option<DisputeBenchLie>("--lie") { Description = "slot: the liar posts a wrong graph slot; step: a slot right but its VM trace wrong from the middle step.", DefaultValueFactory = _ => DisputeBenchLie.Slot, HelpName = "slot|step" };
        var lieSlot = new Option<string>("--lie-slot") { Description = "The liar's slot: a number, random (drawn from --seed), or largest (the last pass's biggest MatMul: the costliest node in the VM).", DefaultValueFactory = _ => "largest", HelpName = "G|random|largest" };
        var passes = new Option<int?>("--passes") { Description = "Passes of the task (default: 1 for a classifier; a decoder: one prompt token and two generated, 3).", HelpName = "P" };
        var seed = new Option<int>("--seed") { Description = "Seed of the task input (and of the liar's slot).", DefaultValueFactory = _ => 1, HelpName = "SEED" };
        var window = new Option<int>("--window") { Description = "Challenge window in seconds: the watchdog must compute the task within it (a large model needs more).", DefaultValueFactory = _ => 10, HelpName = "S" };
        var contracts = new Option<DirectoryInfo>("--contracts") { Description = "The Foundry project (forge's out/ and the npm anvil).", DefaultValueFactory = _ => new DirectoryInfo("contracts") };
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "Working directory for keys, databases and node logs (default: a new temporary one).", HelpName = "DIR" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the figures as JSON to this file (the input of `bench plot`).", HelpName = "FILE" };
        var cmd = new Command("dispute",
            "One whole dispute on a fresh anvil with real node processes (a lying submitter, a watchdog, an honest submitter): request, lying submission, " +
            "challenge, both phases, the step on chain, rejection, honest resubmission, final. Prints slots, VM steps of the pinned node, rounds per phase, " +
            "transactions, gas, the timeline, and each node's peak resident memory, compute by kind and disk. Exit code 0 when the liar lost and the honest result is final.")
        {
            model, k, lie, lieSlot, passes, seed, window, contracts, dir, json,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var c = p.GetValue(contracts)!;
            var m = p.GetValue(model)!;
            if (!Directory.Exists(Path.Combine(c.FullName, "out"))) return Fail($"{c.FullName} has no compiled contracts (run `npm ci && npx forge build` there)");
            if (!m.Exists) return Fail($"{m.FullName}: no such model file");
            if (p.GetValue(k) is < Dispute.Bisection.MinK or > Dispute.Bisection.MaxK) return Fail($"--k must be in [{Dispute.Bisection.MinK}, {Dispute.Bisection.MaxK}]");
            if (p.GetValue(window) is < 2 or > 3600) return Fail("--window must be in [2, 3600] seconds");
            if (p.GetValue(passes) is < 1) return Fail("--passes must be at least 1");
            if (p.GetValue(dir) is { Exists: true } given && given.EnumerateFileSystemInfos().Any())
                return Fail($"--dir {given.FullName} is not empty: the nodes of a bench need fresh databases on a fresh chain");
            var work = p.GetValue(dir)?.FullName ?? Directory.CreateTempSubdirectory("opml-bench-dispute-").FullName;
            try
            {
                var result = await DisputeBench.RunAsync(new DisputeBenchOptions(c.FullName, m.FullName, work, p.GetValue(k), p.GetValue(lie), p.GetValue(lieSlot)!,
                    p.GetValue(passes), p.GetValue(seed), p.GetValue(window)), Console.Error, ct);
                Console.WriteLine(result);
                if (p.GetValue(json) is { } file)
                    File.WriteAllText(file.FullName, System.Text.Json.JsonSerializer.Serialize(result.Summary(), new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
                return result.LiarLost && result.HonestFinal ? 0 : ExitCodes.CheckFailed;
            }
            catch (TimeoutException e) { Console.Error.WriteLine($"error: {e.Message}; node logs in {work}"); return ExitCodes.CheckFailed; }
            catch (InvalidOperationException e) { Console.Error.WriteLine($"error: {e.Message}"); return ExitCodes.CheckFailed; }
            catch (Exception e) when (e is ArgumentException or InvalidModelException) { return Fail(e.Message); }
        });
        return cmd;
    }

    private static Command MatVecBenchCommand()
    {
        var rows = new Option<int>("--rows") { Description = "Output features (matrix rows).", DefaultValueFactory = _ => 4096 };
        var cols = new Option<int>("--cols") { Description = "Input features (matrix columns).", DefaultValueFactory = _ => 4096 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (medians are reported).", DefaultValueFactory = _ => 7 };
        var cmd = new Command("matvec", "int8 matrix-vector (CpuBackend MatMul, widest SIMD path) against a float32 TensorPrimitives.Dot matrix-vector of the same shape, same run.")
        {
            rows, cols, rounds,
        };
        cmd.SetAction(p =>
        {
            Console.WriteLine(MatVecBench.Run(p.GetValue(rows), p.GetValue(cols), p.GetValue(rounds)));
            return 0;
        });
        return cmd;
    }

    private static Command VmBenchCommand()
    {
        var file = new Argument<FileInfo>("FILE.elf") { Description = "Guest to run (default guest/bin/matmul8.elf).", Arity = ArgumentArity.ZeroOrOne };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per configuration.", DefaultValueFactory = _ => 5 };
        var rootEvery = new Option<int>("--root-every-log2") { HelpName = "LOG2", Description = "Checkpoint configuration: a state root every 2^N steps.", DefaultValueFactory = _ => 20 };
        var noQemu = new Option<bool>("--no-qemu") { Description = "Skip the qemu-riscv32 baseline." };
        var cmd = new Command("vm", "VM speed in MIPS with no roots and with periodic state roots, against qemu-riscv32 running the same ELF.")
        {
            file, rounds, rootEvery, noQemu,
        };
        cmd.SetAction(p =>
        {
            var path = p.GetValue(file)?.FullName ?? Path.Combine("guest", "bin", "matmul8.elf");
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"error: {path} not found (run from the repository root or pass FILE.elf)");
                return ExitCodes.BadInput;
            }
            Console.WriteLine(VmBench.Run(path, p.GetValue(rounds), 1ul << p.GetValue(rootEvery), !p.GetValue(noQemu)));
            return 0;
        });
        return cmd;
    }

    private static Command DecodeBenchCommand()
    {
        var model = new Option<FileInfo?>("--model") { Description = "Model to decode with (default: synthesise llama 100m, seed 1, into a temp file)." };
        var tokens = new Option<int>("--tokens") { Description = "Tokens (passes) per round.", DefaultValueFactory = _ => 16 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (medians are reported).", DefaultValueFactory = _ => 3 };
        var cmd = new Command("decode", "Decode tokens/s of a LLaMA model with CpuBackend (with and without graph roots), weight bandwidth vs memcpy bandwidth.") { model, tokens, rounds };
        cmd.SetAction(p =>
        {
            Console.WriteLine(DecodeBench.Run(p.GetValue(model)?.FullName, p.GetValue(tokens), p.GetValue(rounds), Console.Error));
            return 0;
        });
        return cmd;
    }

    private static Command TraceBenchCommand()
    {
        var model = new Option<FileInfo?>("--model") { Description = "Model (default: synthesise llama 100m, seed 1, into a temp file)." };
        var passes = new Option<int>("--passes") { Description = "Passes of the task (llama: tokens; a classifier has 1).", DefaultValueFactory = _ => 8 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (medians are reported).", DefaultValueFactory = _ => 3 };
        var every = new Option<int[]>("--checkpoint-every") { Description = "Checkpoint intervals to compare (passes; repeatable).", DefaultValueFactory = _ => [1, 4], AllowMultipleArgumentsPerToken = true, HelpName = "PASSES" };
        var cmd = new Command("trace", "A task's stored trace (GRAPH §5.6): compute + store in RocksDB against computing in memory, bytes on disk, read back after a restart, and a last-pass slot's link from the nearest checkpoint against a replay from pass 0.")
        {
            model, passes, rounds, every,
        };
        cmd.SetAction(p =>
        {
            Console.WriteLine(TraceBench.Run(p.GetValue(model)?.FullName, p.GetValue(passes), p.GetValue(rounds), p.GetValue(every) ?? [1, 4], Console.Error));
            return 0;
        });
        return cmd;
    }
}
