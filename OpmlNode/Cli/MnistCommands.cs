using System.CommandLine;
using OpmlNode.Inference;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node model train-mnist`: the real MNIST classifier (OpmlNode/Inference/Models/Mnist, README "MNIST model").</summary>
internal static class MnistCommands
{
    public static Command Build()
    {
        var data = new Option<FileInfo?>("--data") { Description = $"OpenCV's digits.png (Debian opencv-doc; deploy/scripts/install-deps.sh fetches it). Default: {MnistDigits.DefaultPath()} ($OPML_MNIST_DIGITS overrides)." };
        var seed = new Option<int>("--seed") { HelpName = "SEED", Description = "Seed of the initial weights, the shuffles and the shifts (the held-out split is fixed).", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int?>("--epochs") { HelpName = "E", Description = $"Training epochs (default {new MnistTrainOptions().Epochs})." };
        var output = new Option<FileInfo?>("--out") { Description = "Model file to write (.opml)." };
        var export = new Option<DirectoryInfo?>("--export-test-pngs") { Description = "Also write the 1,000 held-out digits as 28×28 PNGs LABEL-INDEX.png into this directory (inputs for `infer --input-png`)." };
        var maxSteps = new Option<long?>("--max-node-steps") { HelpName = "STEPS", Description = $"Tiling budget: VM steps one MatMul node may take in the guest (default {MnistQuantizer.DefaultMaxNodeSteps:N0})." };
        var cmd = new Command("train-mnist", "Train the MNIST MLP 784→128→64→10 in C# (seeded, bit-reproducible) on the fixed 400/100-per-class split of digits.png, " +
            "quantise it to the int8 op set (mlp/mnist) and write it; prints the float and the int8 (real engine) held-out accuracy.")
        { data, seed, epochs, output, export, maxSteps };
        cmd.SetAction(p => Train(p.GetValue(data), p.GetValue(seed), p.GetValue(epochs), p.GetValue(output), p.GetValue(export), p.GetValue(maxSteps)));
        return cmd;
    }

    private static int Train(FileInfo? dataFile, int seed, int? epochs, FileInfo? output, DirectoryInfo? exportDir, long? maxNodeSteps)
    {
        if (output is null && exportDir is null) return Fail("give --out FILE (train and write the model) and/or --export-test-pngs DIR");
        if (seed < 0) return Fail("--seed must be ≥ 0");
        if (epochs is < 1 or > 1000) return Fail("--epochs must be 1..1000");
        long budget = maxNodeSteps ?? MnistQuantizer.DefaultMaxNodeSteps;
        if (budget <= GuestCost.FixedSteps) return Fail($"--max-node-steps must exceed {GuestCost.FixedSteps} (the guest's fixed cost per node)");
        var path = dataFile?.FullName ?? MnistDigits.DefaultPath();
        if (!File.Exists(path)) return Fail($"{path}: no such file (OpenCV's digits.png from Debian's opencv-doc; deploy/scripts/install-deps.sh puts it at {MnistDigits.DefaultPath()})");
        var digits = MnistDigits.Load(path);
        var sha = MnistDigits.Sha256(path);
        Console.WriteLine($"data:            {path} ({digits.Count} digits, sha256 {sha[..16]}…{(sha == MnistDigits.KnownSha256 ? "" : "; not the known opencv-doc sheet, so the model will differ from the committed one")})");
        if (exportDir is not null)
        {
            int n = MnistModel.ExportTestPngs(digits, exportDir.FullName);
            Console.WriteLine($"exported:        {n} held-out digits as PNG to {exportDir.FullName}");
        }
        if (output is null) return 0;

        var options = new MnistTrainOptions { Seed = (ulong)seed };
        if (epochs is { } e) options = options with { Epochs = e };
        Console.WriteLine(Invariant($"training:        MLP {MnistImage.Pixels}→{string.Join("→", options.Hidden)}→{MnistDigits.Classes}, seed {seed}, {options.Epochs} epochs, Adam lr {options.LearningRate} ×{options.LearningRateDecay}/epoch, batch {options.BatchSize}, shifts ±{options.MaxShift} px"));
        var r = MnistModel.TrainAndWrite(digits, options, output.FullName, budget, ep =>
            Console.Error.WriteLine(Invariant($"  epoch {ep.Epoch}/{ep.Epochs}: loss {ep.Loss:F4}, train accuracy {100 * ep.TrainAccuracy:F2}% (shifted digits), {ep.Elapsed.TotalSeconds:F1} s")));
        Console.WriteLine(Invariant($"trained:         {r.TrainCount} digits in {r.TrainTime.TotalSeconds:F1} s"));
        Console.WriteLine(Invariant($"float accuracy:  {100 * r.FloatAccuracy:F2}% ({r.FloatCorrect}/{r.TestCount} held-out digits)"));
        Console.WriteLine(Invariant($"int8 accuracy:   {100 * r.Int8Accuracy:F2}% ({r.Int8Correct}/{r.TestCount} held-out digits; the written model read back, GraphRunner on the cpu backend, {r.Int8EvalTime.TotalSeconds:F1} s)"));
        Console.WriteLine(Invariant($"wrote:           {r.Path} ({r.FileBytes:N0} bytes, {r.Nodes} nodes, sha256 {r.Sha256})"));
        using var m = ModelReader.Open(r.Path);
        var roots = ModelRoots.Load(m, Console.Error);
        Console.WriteLine($"weights root:    {roots.WeightsRoot}\ndescr. root:     {roots.DescriptorsRoot}");
        return 0;
    }
}
