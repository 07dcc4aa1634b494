using System.CommandLine;
using System.Diagnostics;
using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node dispute fixture`: whole games played off chain on real engine data, written for the forge tests.</summary>
internal static class DisputeCommands
{
    public static Command Build() => CommandLine.Group("dispute", "The dispute game (docs/PROTOCOL.md §5).", FixtureCommand());

    private static Command FixtureCommand()
    {
        var model = new Option<FileInfo>("--model") { Description = "An .opml model file.", Required = true };
        var random = new Option<int>("--input-random") { Description = "Seed of a random valid task input.", HelpName = "SEED", DefaultValueFactory = _ => 1 };
        var passes = new Option<int?>("--passes") { Description = "Passes P (default: the input's default).", HelpName = "P" };
        var k = new Option<int>("--k") { Description = $"Arity of the bisection ({Bisection.MinK}..{Bisection.MaxK}).", DefaultValueFactory = _ => 4 };
        var lieSlot = new Option<string?>("--lie-slot") { Description = "A lying submitter whose first wrong slot is G (or 'all': one fixture per slot).", HelpName = "G|all" };
        var lieStep = new Option<string?>("--lie-step") { Description = "A lying submitter at slot G whose VM trace is wrong from step I (a number, or first|middle|last|store|trap).", HelpName = "G:I" };
        var challengeCorrect = new Option<string?>("--challenge-correct") { Description = "A challenger disputing a correct result, believing slot G wrong (default the output slot; 'all': one per slot; G:I also a wrong VM trace from step I).", HelpName = "G|all|G:I", Arity = ArgumentArity.ZeroOrOne };
        var maxSteps = new Option<ulong>("--max-node-steps") { Description = "The registration's maximum VM steps per node.", HelpName = "STEPS", DefaultValueFactory = _ => 1_000_000_000 };
        var output = new Option<string>("--out") { Description = "Fixture JSON file to write (with 'all': a directory, one file per game).", Required = true, HelpName = "FILE|DIR" };
        var cmd = new Command("fixture", "Play a whole game off chain (solver for both roles, the contract's rules in C#) and write every move for a forge test.\n" +
            "Exactly one of --lie-slot, --lie-step, --challenge-correct.")
        {
            model, random, passes, k, lieSlot, lieStep, challengeCorrect, maxSteps, output,
        };
        cmd.SetAction(p => Fixture(p.GetValue(model)!, p.GetValue(random), p.GetValue(passes), p.GetValue(k), p.GetValue(lieSlot), p.GetValue(lieStep),
            p.GetResult(challengeCorrect) is not null, p.GetValue(challengeCorrect), p.GetValue(maxSteps), p.GetValue(output)!));
        return cmd;
    }

    private static int Fixture(FileInfo modelFile, int seed, int? passesOpt, int k, string? lieSlot, string? lieStep, bool challenge, string? challengeSlot,
        ulong maxNodeSteps, string outPath)
    {
        if ((lieSlot is null ? 0 : 1) + (lieStep is null ? 0 : 1) + (challenge ? 1 : 0) != 1)
            return Fail("give exactly one of --lie-slot, --lie-step, --challenge-correct");
        if (k is < Bisection.MinK or > Bisection.MaxK) return Fail($"--k must be in [{Bisection.MinK}, {Bisection.MaxK}]");
        using var m = ModelReader.Open(modelFile.FullName);
        var input = TaskInput.Random(m, seed);
        var task = new DisputeTask(m, ModelRoots.Load(m, Console.Error), VmBackend.Embedded(), input.Bytes, passesOpt ?? input.DefaultPasses, maxNodeSteps);
        var honest = task.Party();
        var scenarios = lieSlot is not null ? FixtureScenarios.LieSlot(lieSlot, honest)
            : lieStep is not null ? FixtureScenarios.LieStep(lieStep, honest)
            : FixtureScenarios.ChallengeCorrect(challengeSlot, honest);
        bool many = lieSlot == "all" || challengeSlot == "all";
        var output = Path.GetFullPath(outPath);
        if (many) Directory.CreateDirectory(output);
        else if (Directory.Exists(output)) return Fail($"{output} is a directory; one game is written to a file");
        var sw = Stopwatch.StartNew();
        foreach (var s in scenarios)
        {
            var liar = task.Party(s.Lie);
            var (sub, chal) = s.Liar == Role.Submitter ? (liar, honest) : (honest, liar);
            var result = LocalDispute.Play(task.Registered, sub, chal, k);
            var expected = s.Liar == Role.Submitter ? Role.Challenger : Role.Submitter;
            if (result.Winner != expected) return Fail($"{s.Name}: the liar won the local game; this is a bug in the solver or the traces");
            var name = $"{Path.GetFileNameWithoutExtension(modelFile.Name)}-{s.Name}-k{k}";
            var path = many ? Path.Combine(output, name + ".json") : output;
            using (var f = File.Create(path))
                DisputeFixture.Write(f, name, task.Registered, sub.Graph, k, result, s.Liar == Role.Submitter ? "submitter" : "challenger", s.Lie.LieSlot, s.Lie.LieStep);
            Console.WriteLine(Invariant($"{name}: {result.Winner} wins at slot {result.Game.Slot}, step {result.Game.Lo}/{result.Game.Steps}, {result.Moves.Count} moves -> {path}"));
        }
        Console.Error.WriteLine(Invariant($"{scenarios.Count} fixture(s) in {sw.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }
}
