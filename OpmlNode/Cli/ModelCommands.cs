using System.CommandLine;
using System.Diagnostics;
using OpmlNode.Inference;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Ops;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node model synth|info` (docs/GRAPH.md §5).</summary>
internal static class ModelCommands
{
    /// <summary>The `model` verb group.</summary>
    public static Command Build() => CommandLine.Group("model", "Model files (.opml, docs/GRAPH.md §5): synthesise, inspect, train the MNIST classifier.",
        SynthCommand(), InfoCommand(), MnistCommands.Build(), MnistCommands.BuildEvalDigits(), ModelRegisterCommand.RegisterCommand(), OnnxCommands.ImportCommand(), ImportGgufCommand.Build());

    private static Command SynthCommand()
    {
        var arch = new Option<ArchitectureKind>("--arch") { Description = "mlp | llama | bert", Required = true, HelpName = "mlp|llama|bert" };
        var preset = new Option<string>("--preset") { HelpName = "tiny|small|100m|1b|7b", Description = "tiny | small | 100m | 1b | 7b (1b, 7b: llama only; 7b writes ~6.7 GB only with --force)", DefaultValueFactory = _ => "tiny" };
        var seed = new Option<int>("--seed") { HelpName = "SEED", Description = "Seed of the random weights.", DefaultValueFactory = _ => 1 };
        var output = new Option<FileInfo?>("--out") { Description = "Model file to write." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report the shape and size; write nothing." };
        var force = new Option<bool>("--force") { Description = "Really write a 7b model." };
        var maxSteps = new Option<long?>("--max-node-steps") { HelpName = "STEPS", Description = "Tiling budget: VM steps one MatMul node may take in the guest (default: the preset's)." };
        var cmd = new Command("synth", "Write a seeded random int8 model (OPS §6 sketches) to an .opml file.") { arch, preset, seed, output, dryRun, force, maxSteps };
        cmd.SetAction(p => Synth(p.GetValue(arch), p.GetValue(preset)!, p.GetValue(seed), p.GetValue(output), p.GetValue(dryRun), p.GetValue(force), p.GetValue(maxSteps)));
        return cmd;
    }

    private static int Synth(ArchitectureKind arch, string presetName, int seed, FileInfo? output, bool dryRun, bool force, long? maxNodeSteps)
    {
        if (arch == ArchitectureKind.Other) return Fail("--arch must be mlp, llama or bert");
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
        var maxNodes = new Option<int>("--max-nodes") { HelpName = "N", Description = "Nodes and weights listed at most (0 = all).", DefaultValueFactory = _ => 200 };
        var cmd = new Command("info", "Validate a model file and print its header, nodes (ops, shapes, references), weights and roots.") { file, noRoots, maxNodes };
        cmd.SetAction(p => Info(p.GetValue(file)!, p.GetValue(noRoots), p.GetValue(maxNodes)));
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
        if (ModelVocabFile.TryRead(m.Path) is { } vocab)
            Console.WriteLine(Invariant($"tokenizer:         {vocab.Vocab().Description} (from {Path.GetFileName(ModelVocabFile.PathFor(m.Path))}, imported from {vocab.Source}; logit unit {vocab.LogitScale:G4})"));
        if (Inference.Import.Onnx.OnnxImportInfo.TryLoad(m.Path) is { } onnx)
        {
            var vocabFile = onnx.Vocabulary is null ? null : Path.Combine(Path.GetDirectoryName(m.Path)!, onnx.Vocabulary);
            Console.WriteLine(onnx.TokenIds && vocabFile is not null
                ? Invariant($"tokenizer:         WordPiece (BERT, Microsoft.ML.Tokenizers), {(File.Exists(vocabFile) ? File.ReadLines(vocabFile).Count().ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "missing")} tokens in {onnx.Vocabulary}; up to {onnx.MaxSequence} tokens; pooling {onnx.Pooling ?? "none"} (imported from {onnx.Source})")
                : Invariant($"imported from:     {onnx.Source} (ONNX); inputs {(onnx.TokenIds ? $"raw token ids (I32 [{onnx.MaxSequence}], pad 0; no vocabulary)" : string.Join(", ", onnx.Inputs.Select(i => i.Name)))}; output {onnx.OutputName}"));
        }
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
            var named = d.Parameters.Describe();
            var ps = named.Length == 0 ? "" : $" {{{named}}}";
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

}
