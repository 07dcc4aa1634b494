using System.CommandLine;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using static OpmlNode.Cli.CliErrors;

namespace OpmlNode.Cli;

/// <summary>`opml-node model train-mnist`: the real MNIST classifier (OpmlNode/Inference/Models/Mnist, README "MNIST model (digits people draw) and Fashion-MNIST").</summary>
internal static class MnistCommands
{
    public static Command Build()
    {
        var dataset = new Option<string>("--dataset") { HelpName = "digits|fashion", Description = "digits: OpenCV's MNIST digits (mlp/mnist, the demo model); fashion: Fashion-MNIST from Debian's dataset-fashion-mnist (mlp/fashion-mnist).", DefaultValueFactory = _ => "digits" };
        dataset.AcceptOnlyFromAmong("digits", "fashion");
        var data = new Option<FileSystemInfo?>("--data") { Description = $"digits: OpenCV's digits.png (default {MnistDigits.DefaultPath()}, $OPML_MNIST_DIGITS overrides); fashion: the directory of the four IDX files (default {FashionMnist.DefaultDir})." };
        var seed = new Option<int>("--seed") { HelpName = "SEED", Description = "Seed of the initial weights, the shuffles and the variations (the held-out split is fixed).", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int?>("--epochs") { HelpName = "E", Description = $"Training epochs (default digits {new MnistTrainOptions().Epochs}, fashion {MnistTrainOptions.Fashion.Epochs})." };
        var output = new Option<FileInfo?>("--out") { Description = "Model file to write (.opml)." };
        var export = new Option<DirectoryInfo?>("--export-test-pngs") { Description = "Also write the held-out images as 28×28 PNGs LABEL-INDEX.png into this directory (inputs for `infer --input-png`)." };
        var hidden = new Option<string?>("--hidden") { HelpName = "N,N,…", Description = $"Hidden layer widths (default digits {string.Join(',', new MnistTrainOptions().Hidden)}, fashion {string.Join(',', MnistTrainOptions.Fashion.Hidden)})." };
        var plain = new Option<bool>("--no-augment") { Description = "digits: train on the digits only shifted by ±1 px, not varied in pen, size, tilt, shear, blur and noise (the model before drawn digits were trained for)." };
        var noFonts = new Option<bool>("--no-fonts") { Description = "digits: train on the sheet's digits only, not also on the digits of the printed fonts from Debian (FontDigits.Printed)." };
        var maxSteps = new Option<long?>("--max-node-steps") { HelpName = "STEPS", Description = $"Tiling budget: VM steps one MatMul node may take in the guest (default {MnistQuantizer.DefaultMaxNodeSteps:N0})." };
        var cmd = new Command("train-mnist", "Train an MLP classifier of 28×28 images in C# (seeded, bit-reproducible), quantise it to the int8 op set and write it; " +
            "prints the float and the int8 (real engine) accuracy on the held-out images. digits (default): 784→512→128→10 on the fixed 400/100-per-class " +
            "split of OpenCV's digits.png plus the printed fonts' digits, varied as people draw; fashion: 784→256→128→10 on Fashion-MNIST's 60,000 training images, scored on its 10,000 test images.")
        { dataset, data, seed, epochs, hidden, plain, noFonts, output, export, maxSteps };
        cmd.SetAction(p => Train(p.GetValue(dataset)!, p.GetValue(data), p.GetValue(seed), p.GetValue(epochs), p.GetValue(hidden), p.GetValue(plain), p.GetValue(noFonts), p.GetValue(output), p.GetValue(export), p.GetValue(maxSteps)));
        return cmd;
    }

    public static Command BuildEvalDigits()
    {
        var model = new Option<FileInfo>("--model") { Description = "The digit model (.opml) to score.", Required = true };
        var variants = new Option<int>("--variants") { HelpName = "N", Description = "Pictures per font and digit.", DefaultValueFactory = _ => FontDigits.DefaultVariants };
        var seed = new Option<int>("--seed") { HelpName = "SEED", Description = "Seed of the renderings (the default is the set the README and the tests quote).", DefaultValueFactory = _ => 1 };
        var fonts = new Option<FileInfo[]>("--font") { HelpName = "FILE", Description = "Score on these font files instead of the 32 handwriting faces from Debian (FontDigits.Handwriting).", AllowMultipleArgumentsPerToken = true };
        var export = new Option<DirectoryInfo?>("--export") { Description = "Also write every picture as rendered (FONT-DIGIT-VARIANT.png) and as the model saw it (….28.png) into this directory." };
        var data = new Option<FileInfo?>("--data") { Description = $"OpenCV's digits.png, for the held-out score too. Default: {MnistDigits.DefaultPath()}; skipped if absent." };
        var cmd = new Command("eval-digits", "Score a digit model on the robustness set: digits rendered from handwriting fonts with a thicker or thinner pen, " +
            "tilted, sheared, small, off centre, blurred and noisy on canvases of any size, each read like an `infer --input-png` picture; " +
            "prints the accuracy per class, the most frequent confusions, and the held-out OpenCV digits' accuracy.")
        { model, variants, seed, fonts, export, data };
        cmd.SetAction(p => EvalDigits(p.GetValue(model)!, p.GetValue(variants), p.GetValue(seed), p.GetValue(fonts) ?? [], p.GetValue(export), p.GetValue(data)));
        return cmd;
    }

    private static int EvalDigits(FileInfo modelFile, int variants, int seed, FileInfo[] fontFiles, DirectoryInfo? exportDir, FileInfo? dataFile)
    {
        if (variants is < 1 or > 1000) return Fail("--variants must be 1..1000");
        if (seed < 0) return Fail("--seed must be ≥ 0");
        if (!modelFile.Exists) return Fail($"{modelFile.FullName}: no such model file");
        IReadOnlyList<string> files;
        try { files = fontFiles.Length > 0 ? fontFiles.Select(f => f.FullName).ToArray() : FontDigits.HandwritingFiles(); }
        catch (FileNotFoundException e) { return Fail(e.Message); }
        foreach (var f in files) if (!File.Exists(f)) return Fail($"{f}: no such font file");
        using var m = ModelReader.Open(modelFile.FullName);
        if (m.Kind != ArchitectureKind.Mlp || m.InputSizeLimit != MnistImage.Pixels) return Fail($"{modelFile.Name} is {m.Architecture}, not a 28×28 digit classifier");
        if (exportDir is not null) Directory.CreateDirectory(exportDir.FullName);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var pictures = new List<(byte[] Pixels, int Label)>();
        var fontOf = new List<string>();
        try
        {
            foreach (var d in FontDigits.Render(files, variants, (ulong)seed))
            {
                var px = DigitPicture.Normalize(d.Gray, d.Width, d.Height, $"{d.Font} {d.Label}");
                pictures.Add((px, d.Label));
                fontOf.Add(d.Font);
                if (exportDir is null) continue;
                var stem = Path.Combine(exportDir.FullName, $"{d.Font}-{d.Label}-{d.Variant}");
                File.WriteAllBytes(stem + ".png", MnistImage.ToPng(d.Gray, d.Width, d.Height));
                File.WriteAllBytes(stem + ".28.png", MnistImage.ToPng(px, MnistImage.Side, MnistImage.Side));
            }
        }
        catch (InvalidDataException e) { return Fail(e.Message); }
        var predicted = DigitScore.Predict(m, CpuBackend.Instance, pictures.Select(p => p.Pixels)).ToArray();
        var score = new DigitScore(MnistDigits.Classes);
        for (int i = 0; i < pictures.Count; i++) score.Add(pictures[i].Label, predicted[i]);
        Console.WriteLine(Invariant($"robustness set:  {files.Count} fonts × 10 digits × {variants} variants = {score.Count:N0} pictures (seed {seed}, rendered and scored in {sw.Elapsed.TotalSeconds:F1} s)"));
        Console.WriteLine(Invariant($"accuracy:        {100 * score.Accuracy:F2}% ({score.CorrectCount}/{score.Count})"));
        Console.WriteLine("per class:       " + string.Join("  ", Enumerable.Range(0, 10).Select(c => Invariant($"{c}: {100 * score.ClassAccuracy(c):F1}%"))));
        var errors = (from t in Enumerable.Range(0, 10)
                      from p in Enumerable.Range(0, 10)
                      where t != p && score.Confusion[t, p] > 0
                      orderby score.Confusion[t, p] descending, t, p
                      select $"{t}→{p} {score.Confusion[t, p]}").Take(8).ToArray();
        Console.WriteLine($"confusions:      {(errors.Length == 0 ? "none" : string.Join(", ", errors))} (true→predicted count)");
        var weakest = Enumerable.Range(0, pictures.Count).GroupBy(i => fontOf[i])
            .Select(g => (Font: g.Key, Accuracy: (double)g.Count(i => predicted[i] == pictures[i].Label) / g.Count()))
            .OrderBy(f => f.Accuracy).ThenBy(f => f.Font, StringComparer.Ordinal).Take(5);
        Console.WriteLine("weakest fonts:   " + string.Join(", ", weakest.Select(f => Invariant($"{f.Font} {100 * f.Accuracy:F0}%"))));
        var path = dataFile?.FullName ?? MnistDigits.DefaultPath();
        if (File.Exists(path))
        {
            var (_, test) = MnistDigits.Split(MnistDigits.Load(path));
            var held = DigitScore.Of(m, CpuBackend.Instance, test.Select(s => (s.Pixels, s.Label)));
            Console.WriteLine(Invariant($"held-out OpenCV: {100 * held.Accuracy:F2}% ({held.CorrectCount}/{held.Count}); lowest class {Enumerable.Range(0, 10).MinBy(held.ClassAccuracy)} at {100 * Enumerable.Range(0, 10).Min(held.ClassAccuracy):F1}%"));
        }
        if (exportDir is not null) Console.WriteLine($"exported:        {2 * score.Count} PNGs to {exportDir.FullName}");
        return 0;
    }

    private static int Train(string dataset, FileSystemInfo? data, int seed, int? epochs, string? hiddenList, bool noAugment, bool noFonts,
        FileInfo? output, DirectoryInfo? exportDir, long? maxNodeSteps)
    {
        int[]? hidden = null;
        if (hiddenList is not null)
        {
            try { hidden = TaskInput.ParseTokens(hiddenList); }
            catch (ArgumentException) { return Fail($"--hidden '{hiddenList}' is not a comma-separated list of widths"); }
            if (hidden.Length is < 1 or > 4 || hidden.Any(h => h is < 1 or > 4096)) return Fail("--hidden takes 1..4 widths of 1..4096");
        }
        if (output is null && exportDir is null) return Fail("give --out FILE (train and write the model) and/or --export-test-pngs DIR");
        if (seed < 0) return Fail("--seed must be ≥ 0");
        if (epochs is < 1 or > 1000) return Fail("--epochs must be 1..1000");
        long budget = maxNodeSteps ?? MnistQuantizer.DefaultMaxNodeSteps;
        if (budget <= GuestCost.FixedSteps) return Fail($"--max-node-steps must exceed {GuestCost.FixedSteps} (the guest's fixed cost per node)");
        bool fashion = dataset == "fashion";
        if (fashion && (noAugment || noFonts)) return Fail("--no-augment and --no-fonts are for --dataset digits (Fashion-MNIST trains on its own images, only shifted)");

        IReadOnlyList<MnistSample> train, test;
        IReadOnlyList<MnistSample>? glyphs = null;
        if (fashion)
        {
            var dir = data?.FullName ?? FashionMnist.DefaultDir;
            if (!Directory.Exists(dir)) return Fail($"{dir}: no such directory (Fashion-MNIST: apt-get install dataset-fashion-mnist; deploy/scripts/install-deps.sh installs it)");
            try { (train, test) = FashionMnist.Load(dir); }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException) { return Fail(ex.Message); }
            var sha = FashionMnist.Sha256(dir);
            Console.WriteLine($"data:            {dir} (Fashion-MNIST: {train.Count:N0} training, {test.Count:N0} test images, sha256 {sha[..16]}…{(sha == FashionMnist.KnownSha256 ? "" : "; not the files of Debian's dataset-fashion-mnist the committed model was trained on, so the model will differ from it")})");
        }
        else
        {
            var path = data?.FullName ?? MnistDigits.DefaultPath();
            if (!File.Exists(path)) return Fail($"{path}: no such file (OpenCV's digits.png from Debian's opencv-doc; deploy/scripts/install-deps.sh puts it at {MnistDigits.DefaultPath()})");
            var digits = MnistDigits.Load(path);
            var sha = MnistDigits.Sha256(path);
            Console.WriteLine($"data:            {path} ({digits.Count} digits, sha256 {sha[..16]}…{(sha == MnistDigits.KnownSha256 ? "" : "; not the known opencv-doc sheet, so the model will differ from the committed one")})");
            (train, test) = MnistDigits.Split(digits);
            if (!noFonts && output is not null)
            {
                IReadOnlyList<string> faces;
                try { faces = FontDigits.PrintedFiles(); }
                catch (FileNotFoundException ex) { return Fail($"{ex.Message}; or train without them: --no-fonts"); }
                glyphs = FontDigits.Glyphs(faces);
                var glyphSha = FontDigits.Sha256(glyphs);
                Console.WriteLine($"printed fonts:   {faces.Count} faces × 10 digits = {glyphs.Count} glyphs, sha256 {glyphSha}{(glyphSha == FontDigits.KnownGlyphsSha256 ? "" : "; not the glyphs the committed model was trained on, so the model will differ from it")}");
                train = [.. train, .. glyphs];
            }
        }
        if (exportDir is not null)
        {
            int n = MnistModel.ExportPngs(test, exportDir.FullName);
            Console.WriteLine($"exported:        {n:N0} held-out images as PNG to {exportDir.FullName}");
        }
        if (output is null) return 0;

        var options = fashion ? MnistTrainOptions.Fashion with { Seed = (ulong)seed } : new MnistTrainOptions { Seed = (ulong)seed };
        if (epochs is { } e) options = options with { Epochs = e };
        if (hidden is not null) options = options with { Hidden = hidden };
        if (noAugment) options = options with { Augment = null };
        Console.WriteLine(Invariant($"training:        MLP {MnistImage.Pixels}→{string.Join("→", options.Hidden)}→{MnistDigits.Classes}, seed {seed}, {options.Epochs} epochs, Adam lr {options.LearningRate} ×{options.LearningRateDecay}/epoch, batch {options.BatchSize}, {(options.Augment is { } a ? $"varied (box {a.MinBox}–{a.MaxBox} px, ±{a.MaxRotationDegrees}°, shear ±{a.MaxShear}, shift ±{a.MaxShift} px, pen, blur, noise)" : $"shifts ±{options.MaxShift} px")}"));
        var r = MnistModel.TrainAndWrite(train, test, options, output.FullName, fashion ? FashionMnist.Architecture : MnistQuantizer.Architecture, budget, ep =>
            Console.Error.WriteLine(Invariant($"  epoch {ep.Epoch}/{ep.Epochs}: loss {ep.Loss:F4}, train accuracy {100 * ep.TrainAccuracy:F2}% (varied images), {ep.Elapsed.TotalSeconds:F1} s")));
        string what = fashion ? "test images" : "held-out digits";
        Console.WriteLine(Invariant($"trained:         {r.TrainCount:N0} images in {r.TrainTime.TotalSeconds:F1} s"));
        Console.WriteLine(Invariant($"float accuracy:  {100 * r.FloatAccuracy:F2}% ({r.FloatCorrect}/{r.TestCount} {what})"));
        Console.WriteLine(Invariant($"int8 accuracy:   {100 * r.Int8Accuracy:F2}% ({r.Int8Correct}/{r.TestCount} {what}; the written model read back, GraphRunner on the cpu backend, {r.Int8EvalTime.TotalSeconds:F1} s)"));
        Console.WriteLine(Invariant($"wrote:           {r.Path} ({r.FileBytes:N0} bytes, {r.Nodes} nodes, sha256 {r.Sha256})"));
        using var m = ModelReader.Open(r.Path);
        var roots = ModelRoots.Load(m, Console.Error);
        Console.WriteLine($"weights root:    {roots.WeightsRoot}\ndescr. root:     {roots.DescriptorsRoot}");
        return 0;
    }
}
