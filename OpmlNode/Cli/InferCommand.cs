using System.CommandLine;
using System.Diagnostics;
using OpmlNode.Configuration;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node infer`: run a model natively (and optionally slots in the VM) on one task input (docs/GRAPH.md).</summary>
internal static class InferCommand
{
    public static Command Build(NodeOptions options)
    {
        var model = new Option<FileInfo>("--model") { Description = "An .opml model file.", Required = true };
        var input = new Option<FileInfo?>("--input") { Description = "Task input: the raw little-endian bytes of the TASK_INPUT tensor (at most the input size limit; shorter = zero-padded)." };
        var tokens = new Option<string?>("--input-tokens") { Description = "llama: prompt tokens, e.g. 1,2,3 (encoded as I32 [n, t1..tn]); bert: token ids (I32, pad 0).", HelpName = "LIST" };
        var png = new Option<FileInfo?>("--input-png") { Description = "mlp: a picture of a digit of any size and colour (PNG, JPEG, BMP, GIF, TGA: a drawing, a screenshot, a photo of a digit on paper), found, fitted into 20×20 and centred by mass in 28×28 as MNIST was (a 28×28 or 20×20 image is taken as it is); Fashion-MNIST: a 28×28 PNG. Converted to I8 [1, 784] (q = pixel − 128, white on black)." };
        var text = new Option<string?>("--text") { Description = "A text encoder imported from ONNX (model import-onnx): the sentence; prints its embedding (mean-pooled, normalised).", HelpName = "TEXT" };
        var prompt = new Option<string?>("--prompt") { Description = "llama with a vocabulary beside it (M.vocab.json, written by model import-gguf): the prompt text; prints the generated text.", HelpName = "TEXT" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = $"With --prompt: tokens to generate (default {TaskInput.DefaultNewTokens}); passes = prompt + N − 1, at most the KV length.", HelpName = "N" };
        var random = new Option<int?>("--input-random") { Description = "A seeded random valid input.", HelpName = "SEED" };
        var passes = new Option<int?>("--passes") { Description = $"Passes P (default: 1 for a classifier; prompt length + {TaskInput.DefaultNewTokens}, at most the KV length, for llama).", HelpName = "P" };
        var backend = new Option<BackendKind>("--backend") { Description = "cpu (SIMD) | ilgpu (GPU via ILGPU; its CPU accelerator when there is no GPU) | scalar (the reference)", DefaultValueFactory = _ => options.Inference.BackendKind, HelpName = "cpu|ilgpu|scalar" };
        var vmSlots = new Option<long[]>("--vm-slot") { Description = "Also run slot G (repeatable) in the RV32IM VM from its committed inputs and check its output root equals the native one.", AllowMultipleArgumentsPerToken = true, HelpName = "G" };
        var vmAll = new Option<bool>("--vm-all") { Description = "Run every slot in the VM (slow for big models)." };
        var show = new Option<int>("--show") { Description = "Output elements printed at most.", DefaultValueFactory = _ => 64 };
        var cmd = new Command("infer", "Run a model on an input: prints the output tensor, the decoded tokens/class and the final graph root S_N (docs/GRAPH.md).\n" +
            $"Exit code: 0; 1 if a --vm-slot check differs; {ExitCodes.BadInput} for bad files or options.")
        {
            model, input, png, tokens, text, prompt, maxTokens, random, passes, backend, show, vmSlots, vmAll,
        };
        cmd.SetAction(p => p.GetValue(text) is { } t
            ? (p.GetValue(input) ?? p.GetValue(png) ?? (object?)p.GetValue(tokens) ?? p.GetValue(prompt) ?? (object?)p.GetValue(random)) is not null
                ? Fail("give exactly one of --input FILE, --input-png FILE, --input-tokens LIST, --prompt TEXT, --text TEXT, --input-random SEED")
                : InferText(p.GetValue(model)!, t, p.GetValue(backend), p.GetValue(show))
            : Infer(p.GetValue(model)!, p.GetValue(input), p.GetValue(png), p.GetValue(tokens), p.GetValue(prompt), p.GetValue(maxTokens), p.GetValue(random), p.GetValue(passes), p.GetValue(backend), p.GetValue(show), p.GetValue(vmSlots) ?? [], p.GetValue(vmAll)));
        return cmd;
    }

    private static int Infer(FileInfo modelFile, FileInfo? inputFile, FileInfo? pngFile, string? tokens, string? prompt, int? maxTokens, int? random, int? passesOpt, BackendKind backendKind, int show, long[] vmSlots, bool vmAll)
    {
        if ((inputFile is null ? 0 : 1) + (pngFile is null ? 0 : 1) + (tokens is null ? 0 : 1) + (prompt is null ? 0 : 1) + (random is null ? 0 : 1) != 1)
            return Fail("give exactly one of --input FILE, --input-png FILE, --input-tokens LIST, --prompt TEXT, --input-random SEED");
        if (maxTokens is not null && prompt is null) return Fail("--max-tokens goes with --prompt (otherwise give --passes)");
        if (maxTokens is < 1) return Fail("--max-tokens must be at least 1");
        if (prompt is not null && passesOpt is not null) return Fail("give --max-tokens, not --passes, with --prompt");
        using var m = ModelReader.Open(modelFile.FullName);
        var vocab = prompt is null ? null : PromptVocab(m);
        var input = inputFile is not null ? TaskInput.FromBytes(m, File.ReadAllBytes(inputFile.FullName))
            : pngFile is not null ? TaskInput.FromImage(m, File.ReadAllBytes(pngFile.FullName), pngFile.Name)
            : tokens is not null ? TaskInput.FromTokens(m, TaskInput.ParseTokens(tokens))
            : prompt is not null ? TaskInput.FromTokens(m, vocab!.Encode(prompt))
            : TaskInput.Random(m, random!.Value);
        int passes = passesOpt ?? (prompt is null ? input.DefaultPasses : input.PromptLength + (maxTokens ?? TaskInput.DefaultNewTokens) - 1);
        if (prompt is not null && passes > m.DefaultPasses)
            return Fail(Invariant($"prompt ({input.PromptLength} tokens) + {maxTokens ?? TaskInput.DefaultNewTokens} new tokens exceed the model's {m.DefaultPasses} positions"));
        GraphRunner.CheckPasses(m, passes);

        var backend = OpBackends.Create(backendKind);
        using var owned = backend as IDisposable;
        var roots = ModelRoots.Load(m, Console.Error);
        var runner = new GraphRunner(m, backend);
        var sw = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        var run = runner.Run(input.Bytes, passes, new GraphRunOptions
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
        Console.WriteLine($"weights root: {roots.WeightsRoot}\ndescr. root:  {roots.DescriptorsRoot}\ninput root:   {run.InputRoot} ({input.Bytes.Length} bytes)");
        Console.WriteLine(Invariant($"passes:       {passes} × {m.Nodes.Count} nodes = {run.SlotCount} slots in {elapsed.TotalSeconds:F3} s ({passes / elapsed.TotalSeconds:F2} passes/s)"));
        Console.WriteLine(Invariant($"output:       node {m.OutputNode} = slot {run.OutputSlot}: {run.Output.Spec} = [{string.Join(", ", values.Take(show))}{(values.Length > show ? ", ..." : "")}]"));
        if (m.Kind == ArchitectureKind.Llama)
            Console.WriteLine($"tokens:       predictions per pass {string.Join(",", values.Take(Math.Min(passes, show)))}{(passes > show ? ",..." : "")}; generated after the prompt: {string.Join(",", input.GeneratedTokens(values, passes))}");
        else if (m.Kind == ArchitectureKind.Mlp)
            Console.WriteLine(m.Architecture == FashionMnist.Architecture && values[0] is >= 0 and < 10
                ? $"class:        {values[0]} ({FashionMnist.ClassNames[values[0]]})" : $"class:        {values[0]}");
        if (Inference.Import.Onnx.OnnxImportInfo.TryLoad(m.Path) is { } onnx)
            Console.WriteLine(Invariant($"real values:  {onnx.OutputName} = q · {onnx.OutputScale:G4} = [{string.Join(", ", onnx.Dequantise(run.Output).Take(show).Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))}{(values.Length > show ? ", ..." : "")}]"));
        if (vocab is not null)
            Console.WriteLine($"text:         {prompt}{vocab.DecodePieces(input.GeneratedTokens(values, passes))}");
        Console.WriteLine($"output root:  {run.SlotRoot(run.OutputSlot)}");
        Console.WriteLine($"graph root:   S_N = {run.FinalRoot}");
        if (vmAll) vmSlots = Enumerable.Range(0, (int)run.SlotCount).Select(i => (long)i).ToArray();
        return vmSlots.Length == 0 ? 0 : CheckSlotsInVm(runner, input.Bytes, passes, run, roots, vmSlots);
    }

    private static int InferText(FileInfo modelFile, string text, BackendKind backendKind, int show)
    {
        var info = Inference.Import.Onnx.OnnxImportInfo.TryLoad(modelFile.FullName);
        if (info is not { TokenIds: true, Vocabulary: not null })
            return Fail($"--text needs a text encoder imported by model import-onnx ({Path.GetFileName(Inference.Import.Onnx.OnnxImportInfo.PathFor(modelFile.FullName))} with a vocabulary beside the model)");
        using var m = ModelReader.Open(modelFile.FullName);
        var embedder = new Inference.Import.Onnx.TextEmbedder(Path.Combine(modelFile.DirectoryName!, info.Vocabulary), info.MaxSequence);
        var backend = OpBackends.Create(backendKind);
        using var owned = backend as IDisposable;
        var sw = Stopwatch.StartNew();
        var (e, run) = embedder.Embed(m, backend, info, text);
        var ids = embedder.Tokenize(text);
        Console.WriteLine($"model:        {m.Architecture} ({Path.GetFileName(m.Path)}), backend {backend.Name}");
        Console.WriteLine($"tokens:       {ids.Length} ({string.Join(",", ids)})");
        Console.WriteLine($"input root:   {run.InputRoot}");
        Console.WriteLine($"output root:  {run.SlotRoot(run.OutputSlot)} (int8 last hidden state {run.Output.Spec})");
        Console.WriteLine($"graph root:   S_N = {run.FinalRoot}");
        Console.WriteLine(Invariant($"embedding:    {e.Length} dims, {info.Pooling}, {sw.Elapsed.TotalSeconds:F3} s"));
        Console.WriteLine("[" + string.Join(", ", e.Take(show <= 0 ? e.Length : show).Select(v => v.ToString("F5", System.Globalization.CultureInfo.InvariantCulture))) + (show > 0 && e.Length > show ? ", ..." : "") + "]");
        return 0;
    }

    /// <summary>The vocabulary an import wrote beside the model (prompt text ↔ tokens).</summary>
    private static ITextVocab PromptVocab(ModelReader m)
    {
        if (m.Kind != ArchitectureKind.Llama) throw new ArgumentException($"--prompt is for llama models; {m.Architecture} is not one");
        var file = ModelVocabFile.TryRead(m.Path) ?? throw new ArgumentException($"--prompt needs the model's vocabulary {Path.GetFileName(ModelVocabFile.PathFor(m.Path))} beside it (written by model import-gguf); give --input-tokens instead");
        return file.Vocab();
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
        return failures == 0 ? 0 : ExitCodes.CheckFailed;
    }
}
