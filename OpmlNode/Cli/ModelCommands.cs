using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using OpmlNode.Bench;
using OpmlNode.Configuration;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CommandLine;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Ops;

namespace OpmlNode.Cli;

/// <summary>`opml-node model synth|info`, `opml-node infer`, `opml-node bench decode` (docs/GRAPH.md).</summary>
internal static class ModelCommands
{
    /// <summary>Adds `model` and `infer` to the root and `decode` to the existing `bench` group.</summary>
    public static void Register(RootCommand root, NodeOptions options)
    {
        var model = new Command("model", "Model files (.opml, docs/GRAPH.md §5): synthesise, inspect.");
        model.Subcommands.Add(SynthCommand());
        model.Subcommands.Add(InfoCommand());
        root.Subcommands.Add(model);
        root.Subcommands.Add(InferCommand(options));
        if (root.Subcommands.FirstOrDefault(c => c.Name == "bench") is { } bench) bench.Subcommands.Add(DecodeBenchCommand());
    }

    private static Command SynthCommand()
    {
        var arch = new Option<string>("--arch") { Description = "mlp | llama | bert", Required = true };
        var preset = new Option<string>("--preset") { Description = "tiny | small | 100m | 7b (7b: llama only; writes ~6.7 GB only with --force)", DefaultValueFactory = _ => "tiny" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 1 };
        var output = new Option<FileInfo?>("--out") { Description = "Model file to write." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report the shape and size; write nothing." };
        var force = new Option<bool>("--force") { Description = "Really write a 7b model." };
        var maxSteps = new Option<long?>("--max-node-steps") { Description = "Tiling budget: VM steps one MatMul node may take in the guest (default: the preset's)." };
        var cmd = new Command("synth", "Write a seeded random int8 model (OPS §6 sketches) to an .opml file.") { arch, preset, seed, output, dryRun, force, maxSteps };
        cmd.SetAction(p => Guard(() => Synth(p.GetValue(arch)!, p.GetValue(preset)!, p.GetValue(seed), p.GetValue(output), p.GetValue(dryRun), p.GetValue(force), p.GetValue(maxSteps))));
        return cmd;
    }

    private static SynthArch ParseArch(string s) => s.ToLowerInvariant() switch
    {
        "mlp" => SynthArch.Mlp,
        "llama" => SynthArch.Llama,
        "bert" => SynthArch.Bert,
        _ => throw new ArgumentException($"unknown architecture '{s}' (mlp, llama, bert)"),
    };

    private static int Synth(string archName, string presetName, int seed, FileInfo? output, bool dryRun, bool force, long? maxNodeSteps)
    {
        var arch = ParseArch(archName);
        var preset = ModelSynth.Preset(arch, presetName.ToLowerInvariant());
        if (maxNodeSteps is { } budget)
        {
            if (budget <= GuestCost.FixedSteps) return Fail($"--max-node-steps must exceed {GuestCost.FixedSteps} (the guest's fixed cost per node)");
            preset = preset with { MaxStepsPerNode = budget };
        }
        var def = ModelSynth.Build(arch, preset, seed);
        var specs = def.Weights.Select(w => w.Spec).ToArray();
        var layout = ModelWriter.Layout(def.Nodes.Count, specs);
        long paramBytes = specs.Sum(s => (long)s.ByteLength);
        long i8Params = specs.Where(s => s.Type == ElemType.I8).Sum(s => (long)s.ElementCount);
        long maxMacs = def.Nodes.Where(d => d.Op == OpCode.MatMul).Select(d => (long)d.Output.Rows * d.Output.Cols * d.In(1).Dims[1]).DefaultIfEmpty(0).Max();
        Console.WriteLine(Invariant($"{def.Architecture}: {def.Nodes.Count} nodes/pass, {specs.Length} weights, {i8Params:N0} int8 parameters, {paramBytes / 1048576.0:F1} MiB of weights, file {layout.FileLength / 1048576.0:F1} MiB"));
        Console.WriteLine(Invariant($"  output node {def.OutputNode}, input size limit {def.InputSizeLimit} bytes, default passes {def.DefaultPasses}, largest MatMul node {maxMacs / 1e6:F2} M MACs (tiling budget {preset.MaxStepsPerNode:N0} VM steps per node)"));
        ModelFormat.ValidateGraph(def.Nodes, specs, def.OutputNode, def.InputSizeLimit);
        if (dryRun) { Console.WriteLine("dry run: graph valid, nothing written"); return 0; }
        if (output is null) return Fail("--out FILE is required (or --dry-run)");
        if (layout.FileLength > 4L << 30 && !force) return Fail(Invariant($"this model is {layout.FileLength / 1e9:F1} GB; pass --force to write it (or --dry-run)"));
        var sw = Stopwatch.StartNew();
        long lastReport = 0;
        ModelWriter.Write(output.FullName, def, new Progress<long>(done =>
        {
            if (sw.ElapsedMilliseconds - Interlocked.Read(ref lastReport) < 1000) return;
            Interlocked.Exchange(ref lastReport, sw.ElapsedMilliseconds);
            Console.Error.WriteLine(Invariant($"  writing: {done / 1048576.0:F0}/{paramBytes / 1048576.0:F0} MiB"));
        }));
        Console.WriteLine(Invariant($"wrote {output.FullName} ({layout.FileLength:N0} bytes) in {sw.Elapsed.TotalSeconds:F1} s"));
        using var m = ModelReader.Open(output.FullName);
        var roots = ModelRoots.Load(m, Console.Error);
        Console.WriteLine($"weights root:     {roots.WeightsRoot}\ndescriptors root: {roots.DescriptorsRoot}");
        return 0;
    }

    private static Command InfoCommand()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "An .opml model file." };
        var noRoots = new Option<bool>("--no-roots") { Description = "Skip the weight roots (no hashing)." };
        var maxNodes = new Option<int>("--max-nodes") { Description = "Nodes and weights listed at most (0 = all).", DefaultValueFactory = _ => 200 };
        var cmd = new Command("info", "Validate a model file and print its header, nodes (ops, shapes, references), weights and roots.") { file, noRoots, maxNodes };
        cmd.SetAction(p => Guard(() => Info(p.GetValue(file)!, p.GetValue(noRoots), p.GetValue(maxNodes))));
        return cmd;
    }

    private static int Info(FileInfo file, bool noRoots, int maxNodes)
    {
        using var m = ModelReader.Open(file.FullName);
        int limit = maxNodes <= 0 ? int.MaxValue : maxNodes;
        Console.WriteLine(Invariant($"file:              {m.Path} ({m.FileLength:N0} bytes, format v{ModelFormat.Version})"));
        Console.WriteLine($"architecture:      {m.Architecture}");
        Console.WriteLine(Invariant($"nodes per pass:    {m.Nodes.Count}   output node: {m.OutputNode} ({m.Nodes[m.OutputNode].Op} -> {m.Nodes[m.OutputNode].Output})"));
        Console.WriteLine(Invariant($"input size limit:  {m.InputSizeLimit} bytes   default passes: {m.DefaultPasses}"));
        Console.WriteLine(Invariant($"weights:           {m.Weights.Count} ({m.Weights.Sum(w => w.Length) / 1048576.0:F2} MiB, data from offset {m.DataOffset})"));
        Console.WriteLine("nodes:");
        for (int j = 0; j < Math.Min(limit, m.Nodes.Count); j++)
        {
            var d = m.Nodes[j];
            var ins = string.Join(", ", d.Inputs.Select(r => r.Kind switch
            {
                RefKind.Weight => $"W{r.Index}",
                RefKind.TaskInput => "IN",
                _ => r.Lag == 0 ? $"#{r.Index}" : $"#{r.Index}@{r.Lag}",
            }));
            var ps = NamedParams(d.Parameters);
            Console.WriteLine(Invariant($"  {j,5} {d.Op,-11} {d.Output,-18} <- {ins}{ps}"));
        }
        if (m.Nodes.Count > limit) Console.WriteLine(Invariant($"  ... {m.Nodes.Count - limit} more"));
        ModelRoots? roots = noRoots ? null : ModelRoots.Load(m, Console.Error);
        Console.WriteLine("weights:");
        for (int w = 0; w < Math.Min(limit, m.Weights.Count); w++)
        {
            var info = m.Weights[w];
            Console.WriteLine(Invariant($"  W{w,-4} {info.Spec,-22} offset {info.Offset,12} bytes {info.Length,11}{(roots is null ? "" : "  root " + roots.WeightRoots[w])}"));
        }
        if (m.Weights.Count > limit) Console.WriteLine(Invariant($"  ... {m.Weights.Count - limit} more"));
        if (roots is not null)
        {
            Console.WriteLine($"weights root:      {roots.WeightsRoot}   (list depth {ModelFormat.WeightsDepth}{(roots.FromCache ? ", from " + Path.GetFileName(ModelRoots.SidecarPath(m.Path)) : "")})");
            Console.WriteLine($"descriptors root:  {roots.DescriptorsRoot}   (list depth {ModelFormat.DescriptorsDepth})");
        }
        return 0;
    }

    /// <summary>" {Multiplier = 1, Shift = 30, …}" from a params record, or "" for an op without params.</summary>
    private static string NamedParams(IOpParams p)
    {
        var text = p.ToString() ?? "";
        int open = text.IndexOf('{');
        var inner = open < 0 ? "" : text[(open + 1)..].TrimEnd('}').Trim();
        return inner.Length == 0 ? "" : " {" + inner + "}";
    }

    private static Command InferCommand(NodeOptions options)
    {
        var model = new Option<FileInfo>("--model") { Description = "An .opml model file.", Required = true };
        var input = new Option<FileInfo?>("--input") { Description = "Task input: the raw little-endian bytes of the TASK_INPUT tensor (at most the input size limit; shorter = zero-padded)." };
        var tokens = new Option<string?>("--input-tokens") { Description = "llama: prompt tokens, e.g. 1,2,3 (encoded as I32 [n, t1..tn]); bert: token ids (I32, pad 0)." };
        var random = new Option<int?>("--input-random") { Description = "A seeded random valid input." };
        var passes = new Option<int?>("--passes") { Description = "Passes P (default: 1 for a classifier; prompt length + 8, at most the KV length, for llama)." };
        var backend = new Option<string>("--backend") { Description = "cpu (SIMD) | ilgpu (GPU via ILGPU; its CPU accelerator when there is no GPU) | scalar (the reference)", DefaultValueFactory = _ => options.Inference.Backend.ToLowerInvariant() };
        var vmSlots = new Option<long[]>("--vm-slot") { Description = "Also run slot G (repeatable, or 'all' via --vm-all) in the RV32IM VM from its committed inputs and check its output root equals the native one.", AllowMultipleArgumentsPerToken = true };
        var vmAll = new Option<bool>("--vm-all") { Description = "Run every slot in the VM (slow for big models)." };
        var show = new Option<int>("--show") { Description = "Output elements printed at most.", DefaultValueFactory = _ => 64 };
        var cmd = new Command("infer", "Run a model on an input: prints the output tensor, the decoded tokens/class and the final graph root S_N (docs/GRAPH.md).")
        {
            model, input, tokens, random, passes, backend, show, vmSlots, vmAll,
        };
        cmd.SetAction(p => Guard(() => Infer(p.GetValue(model)!, p.GetValue(input), p.GetValue(tokens), p.GetValue(random), p.GetValue(passes), p.GetValue(backend)!, p.GetValue(show), p.GetValue(vmSlots) ?? [], p.GetValue(vmAll))));
        return cmd;
    }

    private static int Infer(FileInfo modelFile, FileInfo? inputFile, string? tokens, int? random, int? passesOpt, string backendName, int show, long[] vmSlots, bool vmAll)
    {
        if ((inputFile is null ? 0 : 1) + (tokens is null ? 0 : 1) + (random is null ? 0 : 1) != 1)
            return Fail("give exactly one of --input FILE, --input-tokens LIST, --input-random SEED");
        using var gpu = backendName.Equals("ilgpu", StringComparison.OrdinalIgnoreCase) ? new IlgpuBackend(weightCacheBytes: 1L << 30) : null;
        IOpBackend backend = backendName.ToLowerInvariant() switch
        {
            "cpu" => CpuBackend.Instance,
            "scalar" => ScalarBackend.Instance,
            "ilgpu" => gpu!,
            _ => throw new ArgumentException($"unknown backend '{backendName}' (cpu, ilgpu, scalar)"),
        };
        using var m = ModelReader.Open(modelFile.FullName);
        string arch = m.Architecture.Split('/')[0];
        byte[] input;
        int promptLength = 0;
        if (inputFile is not null)
        {
            if (!inputFile.Exists) return Fail($"{inputFile.FullName}: no such file");
            input = File.ReadAllBytes(inputFile.FullName);
            if (arch == "llama" && input.Length >= 4) promptLength = BitConverter.ToInt32(input, 0);
        }
        else if (tokens is not null)
        {
            int[] ids;
            try { ids = tokens.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray(); }
            catch (FormatException) { return Fail($"--input-tokens: '{tokens}' is not a comma-separated list of integers"); }
            if (ids.Length == 0) return Fail("--input-tokens: no tokens");
            input = arch switch
            {
                "llama" => ModelSynth.PromptInput(ids),
                "bert" => ModelSynth.IdsInput(ids),
                _ => throw new ArgumentException($"--input-tokens is for llama/bert models; {m.Architecture} takes --input or --input-random"),
            };
            promptLength = ids.Length;
        }
        else
        {
            input = ModelSynth.RandomInput(m, random!.Value);
            if (arch == "llama") promptLength = BitConverter.ToInt32(input, 0);
        }
        if (input.Length > m.InputSizeLimit) return Fail($"task input is {input.Length} bytes; the model's input size limit is {m.InputSizeLimit}");
        int passes = passesOpt ?? (arch == "llama" ? Math.Min(m.DefaultPasses, Math.Max(1, promptLength) + 8) : 1);
        GraphRunner.CheckPasses(m, passes);

        var roots = ModelRoots.Load(m, Console.Error);
        var runner = new GraphRunner(m, backend);
        var sw = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        var run = runner.Run(input, passes, new GraphRunOptions
        {
            PassCompleted = (done, total) =>
            {
                if (sw.Elapsed - last < TimeSpan.FromSeconds(1) || done == total) return;
                last = sw.Elapsed;
                Console.Error.WriteLine(Invariant($"  pass {done}/{total} ({done / sw.Elapsed.TotalSeconds:F2} passes/s)"));
            },
        });
        var elapsed = sw.Elapsed;
        var values = run.Output.ToInts();
        Console.WriteLine($"model:        {m.Architecture} ({Path.GetFileName(m.Path)}), backend {backend.Name}");
        Console.WriteLine($"weights root: {roots.WeightsRoot}\ndescr. root:  {roots.DescriptorsRoot}\ninput root:   {run.InputRoot} ({input.Length} bytes)");
        Console.WriteLine(Invariant($"passes:       {passes} × {m.Nodes.Count} nodes = {run.SlotCount} slots in {elapsed.TotalSeconds:F3} s ({passes / elapsed.TotalSeconds:F2} passes/s)"));
        Console.WriteLine(Invariant($"output:       node {m.OutputNode} = slot {run.OutputSlot}: {run.Output.Spec} = [{string.Join(", ", values.Take(show))}{(values.Length > show ? ", ..." : "")}]"));
        if (arch == "llama")
        {
            var gen = values.Skip(Math.Max(0, Math.Min(promptLength, passes) - 1)).Take(Math.Max(0, passes - Math.Max(0, promptLength - 1)));
            Console.WriteLine($"tokens:       predictions per pass {string.Join(",", values.Take(passes))}; generated after the prompt: {string.Join(",", gen)}");
        }
        else Console.WriteLine($"class:        {values[0]}");
        Console.WriteLine($"output root:  {run.SlotRoot(run.OutputSlot)}");
        Console.WriteLine($"graph root:   S_N = {run.FinalRoot}");
        if (vmAll) vmSlots = Enumerable.Range(0, (int)run.SlotCount).Select(i => (long)i).ToArray();
        return vmSlots.Length == 0 ? 0 : CheckSlotsInVm(runner, input, passes, run, roots, vmSlots);
    }

    private static int CheckSlotsInVm(GraphRunner runner, byte[] input, int passes, GraphRun run, ModelRoots roots, long[] slots)
    {
        var bad = slots.Where(g => g < 0 || g >= run.SlotCount).ToArray();
        if (bad.Length > 0) return Fail($"--vm-slot {bad[0]} is out of range [0, {run.SlotCount})");
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        Console.WriteLine($"vm guest:     opml-ops (embedded), program root {program}");
        var failures = 0;
        foreach (var g in slots)
        {
            var r = SlotVmCheck.Run(runner, input, passes, g, roots, vm, program, run.SlotRoot(g));
            var ok = r.StartMatches && r.OutputMatches;
            if (!ok) failures++;
            Console.WriteLine(Invariant($"vm slot {g} (pass {r.Pass}, node {r.Node} {r.Op}): {r.Steps:N0} steps, exit {r.Exited} {r.ExitCode}; start root {(r.StartMatches ? "= composed" : "!= composed")}; output root {r.VmOutputRoot} {(r.OutputMatches ? "MATCHES native" : $"DIFFERS from native {r.NativeOutputRoot}")}"));
        }
        if (slots.Length > 1) Console.WriteLine($"vm slots:     {slots.Length - failures}/{slots.Length} match");
        return failures == 0 ? 0 : 1;
    }

    private static Command DecodeBenchCommand()
    {
        var model = new Option<FileInfo?>("--model") { Description = "Model to decode with (default: synthesise llama 100m, seed 1, into a temp file)." };
        var tokens = new Option<int>("--tokens") { Description = "Tokens (passes) per round.", DefaultValueFactory = _ => 16 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds (medians are reported).", DefaultValueFactory = _ => 3 };
        var cmd = new Command("decode", "Decode tokens/s of a LLaMA model with CpuBackend (with and without graph roots), weight bandwidth vs memcpy bandwidth.") { model, tokens, rounds };
        cmd.SetAction(p => Guard(() =>
        {
            Console.WriteLine(DecodeBench.Run(p.GetValue(model)?.FullName, p.GetValue(tokens), p.GetValue(rounds), Console.Error));
            return 0;
        }));
        return cmd;
    }

    /// <summary>Runs a verb, turning expected failures into one error line and exit code 2 (never a stack trace).</summary>
    private static int Guard(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is InvalidModelException or InvalidDescriptorException or ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return ExitCodes.BadInput;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
