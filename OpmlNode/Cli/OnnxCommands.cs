using System.CommandLine;
using System.Diagnostics;
using OpmlNode.Inference.Import.Onnx;
using OpmlNode.Inference.Models;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node model import-onnx`: a float ONNX model quantised onto the op set (OpmlNode/Inference/Import/Onnx).</summary>
internal static class OnnxCommands
{
    public static Command ImportCommand()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "An ONNX model (.onnx, weights inside the file)." };
        var calibrate = new Option<FileInfo[]>("--calibrate") { Description = "Calibration samples: for a text encoder given --vocab, a text file with one sentence per line; otherwise (a raw-id encoder too) one serialized TensorProto (.pb) per graph input, in input order, the group repeated for each sample.", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Description = "Model file to write (plus FILE.onnx.json: input/output scales; FILE.vocab.txt for text encoders).", Required = true };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "Text encoders: the WordPiece vocab.txt of the model. Without it an encoder (int64 input_ids) is imported for raw token ids (infer --input-tokens), calibrated on .pb id tensors." };
        var maxSeq = new Option<int?>("--max-seq") { Description = "Text encoders: sequence length L of the task input (I32 [L] ids, pad 0). Default 128 with --vocab; for raw ids, the calibration ids' length.", HelpName = "L" };
        var graphOutput = new Option<string?>("--output") { Description = "The graph output to import (default: the first).", HelpName = "NAME" };
        var cmd = new Command("import-onnx", "Quantise a float ONNX model onto the integer op set (OPS §5) with activation scales calibrated on sample inputs; unsupported constructs are refused with the op and node named.")
        {
            file, calibrate, output, vocab, maxSeq, graphOutput,
        };
        cmd.SetAction(p => Import(p.GetValue(file)!, p.GetValue(calibrate)!, p.GetValue(output)!, p.GetValue(vocab), p.GetValue(maxSeq), p.GetValue(graphOutput)));
        return cmd;
    }

    private static int Import(FileInfo file, FileInfo[] calibrate, FileInfo output, FileInfo? vocab, int? maxSeqOption, string? graphOutput)
    {
        var sw = Stopwatch.StartNew();
        if (maxSeqOption is < 1) return Fail("--max-seq must be at least 1");
        var model = OnnxModel.Load(file.FullName);
        Console.WriteLine($"{file.Name}: IR {model.IrVersion}, opset {model.Opset}, {model.Nodes.Count} nodes, {model.Initializers.Count} initializers, producer {model.Producer}");
        bool text = OnnxImporter.IsTextEncoder(model);
        if (vocab is not null && !text) return Fail("--vocab is for text encoders (an int64 input named input_ids); this model has none");
        int maxSeq = maxSeqOption ?? 128;
        var options = new OnnxImportOptions { MaxSequence = maxSeq, Output = graphOutput };
        List<IReadOnlyDictionary<string, OnnxTensor>> samples;
        TextEmbedder? embedder = null;
        if (text && vocab is not null)
        {
            if (calibrate.Length != 1) return Fail("--calibrate takes one text file (a sentence per line) for a text encoder");
            embedder = new TextEmbedder(vocab.FullName, maxSeq);
            var lines = File.ReadAllLines(calibrate[0].FullName).Where(l => l.Trim().Length > 0).ToArray();
            if (lines.Length == 0) return Fail($"{calibrate[0].Name} has no sentences");
            samples = lines.Select(l => OnnxImport.TextSample(model, embedder.Tokenize(l))).ToList();
            options = options with { Architecture = $"bert/{Path.GetFileNameWithoutExtension(output.Name)}" };
        }
        else
        {
            int k = model.Inputs.Count;
            if (k == 0 || calibrate.Length % k != 0) return Fail($"--calibrate needs one .pb tensor per graph input ({k}: {string.Join(", ", model.Inputs.Select(i => i.Name))}), repeated for each sample");
            samples = Enumerable.Range(0, calibrate.Length / k)
                .Select(s => (IReadOnlyDictionary<string, OnnxTensor>)model.Inputs.Select((inp, i) => (inp.Name, T: OnnxModel.LoadTensor(calibrate[s * k + i].FullName))).ToDictionary(x => x.Name, x => x.T))
                .ToList();
            if (text)
            {
                // A raw-id encoder: the task input is its ids (I32 [L], pad 0), L the calibration ids' length unless given.
                var lengths = samples.Select(s => s["input_ids"].Shape[^1]).Distinct().ToArray();
                if (maxSeqOption is null && lengths.Length != 1) return Fail($"the calibration input_ids have lengths {string.Join(", ", lengths)}: give --max-seq L");
                options = options with { MaxSequence = maxSeqOption ?? lengths[0], Architecture = $"bert/{Path.GetFileNameWithoutExtension(output.Name)}" };
            }
        }
        var r = OnnxImport.Run(model, samples, options);
        ModelWriter.Write(output.FullName, r.Model);
        var info = r.Info;
        if (vocab is not null && embedder is not null)
        {
            var vocabCopy = output.FullName + ".vocab.txt";
            File.Copy(vocab.FullName, vocabCopy, overwrite: true);
            info = info with { Vocabulary = Path.GetFileName(vocabCopy), Pooling = "mean, L2-normalised (outside the graph)" };
        }
        info.Save(output.FullName);
        Console.WriteLine(Invariant($"calibrated on {samples.Count} samples; {r.Model.Nodes.Count} nodes ({string.Join(", ", r.OpCounts.Select(kv => $"{kv.Key} {kv.Value}"))}), {r.Model.Weights.Count} weights"));
        Console.WriteLine(Invariant($"output '{info.OutputName}' [{string.Join(", ", info.OutputShape)}] at scale {info.OutputScale:G4}"));
        Console.WriteLine(Invariant($"wrote {output.FullName} and {Path.GetFileName(OnnxImportInfo.PathFor(output.FullName))} in {sw.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }
}
