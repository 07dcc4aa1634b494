using System.CommandLine;
using System.Diagnostics;
using OpmlNode.Inference;
using OpmlNode.Inference.Import.Gguf;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node model import-gguf`: a llama.cpp GGUF LLaMA → an int8 `.opml` decoder (OPS §6), calibrated on text.</summary>
internal static class ImportGgufCommand
{
    /// <summary>Calibration windows at most (each up to the context length).</summary>
    private const int MaxCalibrationWindows = 16;

    public static Command Build()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A GGUF file (general.architecture = llama; F32, F16 or Q8_0 tensors)." };
        var output = new Option<FileInfo>("--out") { Description = "Model file to write (and M.vocab.json beside it).", Required = true };
        var calibrate = new Option<FileInfo?>("--calibrate") { Description = "UTF-8 text to calibrate activation scales on (default: text the float model samples itself, seeded).", HelpName = "TEXTFILE" };
        var maxSteps = new Option<long?>("--max-node-steps") { HelpName = "STEPS", Description = "Tiling budget: VM steps one MatMul node may take in the guest (default 2^22)." };
        var cmd = new Command("import-gguf", "Import a GGUF LLaMA: int8 weights per channel, I16 residual stream, activation scales calibrated with a float run; writes an .opml decoder.") { file, output, calibrate, maxSteps };
        cmd.SetAction(p => Import(p.GetValue(file)!, p.GetValue(output)!, p.GetValue(calibrate), p.GetValue(maxSteps)));
        return cmd;
    }

    private static int Import(FileInfo file, FileInfo output, FileInfo? calibrate, long? maxNodeSteps)
    {
        var sw = Stopwatch.StartNew();
        using var gguf = GgufFile.Open(file.FullName);
        var config = GgufLlamaConfig.From(gguf);
        var weights = LlamaWeights.Load(gguf, config);
        var vocabFile = ModelVocabFile.FromGguf(gguf, config, file.Name);
        var vocab = vocabFile.Vocab();
        Console.WriteLine(Invariant($"{file.Name}: llama, dim {config.Dim}, {config.Layers} blocks, {config.Heads} heads ({config.KvHeads} KV), FFN {config.Ffn}, context {config.ContextLength}, vocab {config.Vocab} ({vocab.Description}); tensors {string.Join("/", gguf.Tensors.Select(t => t.Type).Distinct())}"));
        var tokens = calibrate is not null
            ? vocab.Encode(File.ReadAllText(calibrate.FullName))
            : GgufLlamaImporter.SelfSampled(weights, vocab.Encode("\n")[0], windows: 4, seed: 1);
        if (tokens.Length == 0) return Fail("the calibration text is empty");
        var windows = GgufLlamaImporter.Windows(tokens, config.ContextLength, MaxCalibrationWindows);
        var options = new GgufImportOptions();
        if (maxNodeSteps is { } budget)
        {
            if (budget <= GuestCost.FixedSteps) return Fail($"--max-node-steps must exceed {GuestCost.FixedSteps} (the guest's fixed cost per node)");
            options = options with { MaxStepsPerNode = budget };
        }
        var import = GgufLlamaImporter.Import(weights, windows, options);
        ModelWriter.Write(output.FullName, import.Model);
        (vocabFile with { LogitScale = import.LogitScale }).Write(output.FullName);
        Console.WriteLine(Invariant($"calibrated on {import.CalibrationTokens} tokens ({windows.Count} windows{(calibrate is null ? ", self-sampled" : $" of {calibrate.Name}")})"));
        Console.WriteLine(Invariant($"wrote {output.FullName}: {import.Model.Nodes.Count} nodes/pass, {import.Model.Weights.Count} weights, {new FileInfo(output.FullName).Length:N0} bytes; vocabulary in {Path.GetFileName(ModelVocabFile.PathFor(output.FullName))}; {sw.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }
}
