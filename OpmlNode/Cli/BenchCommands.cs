using System.CommandLine;
using OpmlNode.Bench;
using OpmlNode.Inference.Backends;

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
            keccak, VmBenchCommand(), MatVecBenchCommand(), DecodeBenchCommand(), TraceBenchCommand());
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
