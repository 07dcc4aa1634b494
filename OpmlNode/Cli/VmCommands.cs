using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpmlNode.Vm;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node vm ...`: run guests on the fault-proof VM and export step witnesses.</summary>
internal static class VmCommands
{
    public static Command Build() => CommandLine.Group("vm", "The RV32IM fault-proof VM (PROTOCOL §3-4).", RunCommand(), WitnessCommand());

    private static Command RunCommand()
    {
        var file = new Argument<FileInfo>("FILE.elf") { Description = "A bare-metal RV32IM ELF32 executable (see guest/)." };
        var maxSteps = new Option<ulong?>("--max-steps") { HelpName = "N", Description = "Stop after this many steps (default: run until the guest exits)." };
        var witnessAt = new Option<ulong?>("--witness-at") { HelpName = "STEP", Description = "Write the witness of the step taken from the state after STEP steps (needs --out)." };
        var output = new Option<FileInfo?>("--out") { Description = "JSON file for --witness-at." };
        var rootEvery = new Option<ulong>("--root-every") { Description = "Compute the state root every N steps (0 = only at the end), as a checkpointing node does." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the final line." };
        var cmd = new Command("run",
            "Run a guest and print its step count, final state hash and speed.\n" +
            $"Exit code: the guest's exit code (0-255); {ExitCodes.GuestTrapped} if the guest trapped; " +
            $"{ExitCodes.StepLimit} if --max-steps was reached first; {ExitCodes.BadInput} for a bad file or options.")
        {
            file, maxSteps, witnessAt, output, rootEvery, quiet,
        };
        cmd.SetAction(p => Run(p.GetValue(file)!, p.GetValue(maxSteps) ?? ulong.MaxValue, p.GetValue(witnessAt), p.GetValue(output), p.GetValue(rootEvery), p.GetValue(quiet)));
        return cmd;
    }

    private static int Run(FileInfo file, ulong maxSteps, ulong? witnessAt, FileInfo? output, ulong rootEvery, bool quiet)
    {
        if (witnessAt is not null && output is null) return Fail("--witness-at needs --out FILE.json");
        GuestImage image;
        try { image = ElfLoader.LoadFile(file.FullName); }
        catch (ElfLoadException e) { return Fail($"{file.Name}: {e.Message}"); }

        var m = new Machine(image.Memory, image.Entry);
        var sw = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var rootsComputed = 0;
        while (m.IsRunning && m.Step < maxSteps)
        {
            // Run in chunks up to the next point of interest: a witness, a root checkpoint, or a progress report.
            var chunk = Math.Min(maxSteps - m.Step, 1ul << 24);
            if (witnessAt is { } w && m.Step < w) chunk = Math.Min(chunk, w - m.Step);
            if (rootEvery > 0) chunk = Math.Min(chunk, rootEvery - m.Step % rootEvery);
            m.Run(chunk);
            if (witnessAt == m.Step) WriteWitnessJson(m, output!);
            if (rootEvery > 0 && m.Step % rootEvery == 0) { m.Memory.Root(); rootsComputed++; }
            if (!quiet && sw.Elapsed - lastReport > TimeSpan.FromSeconds(2))
            {
                lastReport = sw.Elapsed;
                Console.Error.WriteLine(Invariant($"  ... {m.Step:N0} steps, {m.Step / sw.Elapsed.TotalSeconds / 1e6:F0} MIPS"));
            }
        }
        var elapsed = sw.Elapsed;
        if (witnessAt is { } at && at >= m.Step && !m.IsRunning && at != m.Step) WriteWitnessJson(m, output!); // witness of the no-op after exit
        var hash = m.State().Hash();
        var mips = m.Step / Math.Max(elapsed.TotalSeconds, 1e-9) / 1e6;
        if (!quiet) Console.WriteLine(Invariant($"steps:      {m.Step}\nstate hash: {hash}\nelapsed:    {elapsed.TotalSeconds:F3} s ({mips:F1} MIPS{(rootEvery > 0 ? $", {rootsComputed} state roots" : "")})"));
        switch (m.Exited)
        {
            case ExitKind.Exited:
                Console.WriteLine(Invariant($"exited with code {m.ExitCode}"));
                return m.ExitCode;
            case ExitKind.Trapped:
                Console.Error.WriteLine(Invariant($"guest trapped: {Describe(m.Trap)} at pc 0x{m.Pc:x8} (step {m.Step})"));
                return ExitCodes.GuestTrapped;
            default:
                Console.Error.WriteLine(Invariant($"stopped at the step limit ({maxSteps}); the guest is still running at pc 0x{m.Pc:x8}"));
                return ExitCodes.StepLimit;
        }
    }

    private static void WriteWitnessJson(Machine m, FileInfo output)
    {
        var w = StepWitness.Capture(m);
        var post = ReferenceStepper.Step(w.State, w.Proofs);
        var json = new
        {
            step = m.Step,
            kind = w.Kind.ToString(),
            state = "0x" + Convert.ToHexStringLower(w.State),
            stateHash = VmState.HashOf(w.State).ToString(),
            proofs = "0x" + Convert.ToHexStringLower(w.Proofs),
            postState = "0x" + Convert.ToHexStringLower(post),
            postStateHash = VmState.HashOf(post).ToString(),
        };
        File.WriteAllText(output.FullName, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        Console.Error.WriteLine($"witness of step {m.Step} written to {output.FullName}");
    }

    private static Command WitnessCommand()
    {
        var files = new Argument<FileInfo[]>("FILE.elf") { Description = "Guests whose every step (up to --max-steps each) becomes a witness.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<FileInfo>("--out") { Description = "Binary fixture file (PROTOCOL §4.7).", Required = true };
        var maxSteps = new Option<ulong>("--max-steps") { HelpName = "N", Description = "Witnesses per guest at most.", DefaultValueFactory = _ => 5000 };
        var random = new Option<int>("--random") { Description = "Also add every step of N seeded random programs (all instruction classes and traps).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { HelpName = "SEED", Description = "Seed for --random.", DefaultValueFactory = _ => 1 };
        var coverage = new Option<bool>("--coverage") { Description = "Also add the coverage programs: every RV32IM instruction on edge-case operands, every trap cause, exits, self-modifying stores." };
        var cmd = new Command("witness",
            "Write step witnesses with their expected post-state hashes (checked against the reference stepper) " +
            "as a binary fixture for the Solidity step's replay test.")
        {
            files, output, maxSteps, random, seed, coverage,
        };
        cmd.SetAction(p => Witness(p.GetValue(files) ?? [], p.GetValue(output)!, p.GetValue(maxSteps), p.GetValue(random), p.GetValue(seed), p.GetValue(coverage)));
        return cmd;
    }

    private static int Witness(FileInfo[] files, FileInfo output, ulong maxSteps, int random, int seed, bool coverage)
    {
        if (files.Length == 0 && random <= 0 && !coverage) return Fail("give at least one ELF, --random N or --coverage");
        var machines = new List<(string Name, Func<Machine> Create)>(); // guests, loaded up front so a bad file fails before any work
        foreach (var f in files)
        {
            GuestImage image;
            try { image = ElfLoader.LoadFile(f.FullName); }
            catch (ElfLoadException e) { return Fail($"{f.Name}: {e.Message}"); }
            machines.Add((f.Name, () => new Machine(image.Memory, image.Entry)));
        }
        var rng = new Random(seed);
        using var fixture = new WitnessFixtureWriter(output.FullName);
        if (coverage)
        {
            var programs = 0;
            foreach (var (_, m) in CoveragePrograms.All()) { fixture.RecordRun(m, maxSteps); programs++; }
            Console.Error.WriteLine(Invariant($"coverage: {programs} programs, {fixture.Count} witnesses"));
        }
        foreach (var (name, create) in machines)
        {
            var m = create();
            var n = fixture.RecordRun(m, maxSteps);
            Console.Error.WriteLine(Invariant($"{name}: {n} witnesses, ended {m.Exited}{(m.Exited == ExitKind.Trapped ? $" ({m.Trap})" : "")}"));
        }
        if (random > 0)
        {
            var before = fixture.Count;
            for (var i = 0; i < random; i++) fixture.RecordRun(RandomPrograms.Create(rng), maxSteps);
            Console.Error.WriteLine(Invariant($"random: {random} programs (seed {seed}), {fixture.Count - before} witnesses"));
        }
        Console.WriteLine(Invariant($"{fixture.Count} witnesses written to {output.FullName}"));
        return 0;
    }

    internal static string Describe(TrapCause cause) => cause switch
    {
        TrapCause.IllegalInstruction => "illegal instruction",
        TrapCause.MisalignedPc => "misaligned instruction address",
        TrapCause.MisalignedLoad => "misaligned load",
        TrapCause.MisalignedStore => "misaligned store",
        TrapCause.Breakpoint => "ebreak",
        TrapCause.UnknownEcall => "ecall with an unknown a7",
        _ => cause.ToString(),
    };


}
