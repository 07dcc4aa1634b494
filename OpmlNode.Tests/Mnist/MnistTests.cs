using OpmlNode.Cli;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Backends.Gpu;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using OpmlNode.Tests.Inference;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Mnist;

/// <summary>
/// The digits, their split and one training run with the default options (the committed model's recipe), shared by
/// the tests. The sheet comes from deploy/scripts/install-deps.sh (MnistDigits.DefaultPath).
/// </summary>
public sealed class MnistFixture : IDisposable
{
    public MnistFixture()
    {
        var path = MnistDigits.DefaultPath();
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the MNIST digits are missing; run deploy/scripts/install-deps.sh (it extracts digits.png from Debian's opencv-doc)", path);
        DataSha256 = MnistDigits.Sha256(path);
        Digits = MnistDigits.Load(path);
        (Train, Test) = MnistDigits.Split(Digits);
        Glyphs = FontDigits.Glyphs(FontDigits.PrintedFiles());
        Default = MnistModel.TrainAndWrite(Digits, new MnistTrainOptions(), Dir.File("default.opml"), extra: Glyphs);
    }

    public ModelTempDir Dir { get; } = new();
    public string DataSha256 { get; }
    public IReadOnlyList<MnistSample> Digits { get; }
    public IReadOnlyList<MnistSample> Train { get; }
    public IReadOnlyList<MnistSample> Test { get; }
    /// <summary>The printed fonts' digits the model trains on beside the sheet.</summary>
    public IReadOnlyList<MnistSample> Glyphs { get; }
    public MnistTrainResult Default { get; }

    public static string Committed => Repo.Path("models", "mnist", "mnist.opml");

    public void Dispose() => Dir.Dispose();
}

[Collection("Console")]
public sealed class MnistTests(MnistFixture f) : IClassFixture<MnistFixture>
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CommandLine.Invoke(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    [Fact]
    public void SplitIsFixedDisjointAndBalanced()
    {
        Assert.Equal(4000, f.Train.Count);
        Assert.Equal(1000, f.Test.Count);
        Assert.Empty(f.Train.Select(s => s.Index).Intersect(f.Test.Select(s => s.Index)));
        for (int c = 0; c < 10; c++) Assert.Equal(100, f.Test.Count(s => s.Label == c));
        // Sheet layout: rows 5c..5c+4 (cells 500c..500c+499) are class c; each cell is centred with a black border.
        Assert.All(f.Digits, s => Assert.Equal(s.Index / 500, s.Label));
        Assert.All(f.Digits, s => Assert.Equal(0, s.Pixels.Take(28 * 4).Sum(p => p)));
        Assert.Equal(MnistDigits.Split(f.Digits).Test.Select(s => s.Index), f.Test.Select(s => s.Index));
    }

    [Fact]
    public void DefaultTrainingMeetsTheTargetsAndRebuildsTheCommittedModel()
    {
        var r = f.Default;
        Assert.Equal(1000, r.TestCount);
        Assert.Equal(4000 + 1150, r.TrainCount); // 4,000 sheet digits and 115 printed faces × 10 digits
        Assert.True(r.Int8Accuracy >= 0.975, $"int8 held-out accuracy {r.Int8Accuracy:P2} < 97.5% (measured 97.70%)");
        Assert.True(Math.Abs(r.FloatAccuracy - r.Int8Accuracy) <= 0.005, $"float {r.FloatAccuracy:P2} vs int8 {r.Int8Accuracy:P2}: more than 0.5 points apart");
        Assert.True(f.DataSha256 == MnistDigits.KnownSha256, $"digits.png has sha256 {f.DataSha256}, not the opencv-doc sheet the committed model was trained on");
        var glyphs = FontDigits.Sha256(f.Glyphs);
        Assert.True(glyphs == FontDigits.KnownGlyphsSha256, $"the printed fonts' glyphs have sha256 {glyphs}, not those the committed model was trained on (other Debian fonts, or another SkiaSharp/FreeType?)");
        Assert.True(File.ReadAllBytes(r.Path).AsSpan().SequenceEqual(File.ReadAllBytes(MnistFixture.Committed)),
            $"`model train-mnist` with the default options wrote sha256 {r.Sha256}, which is not models/mnist/mnist.opml: rebuild it (README, MNIST model)");
    }

    [Fact]
    public void CommittedModelClassifiesTheHeldOutDigits()
    {
        using var m = ModelReader.Open(MnistFixture.Committed);
        Assert.Equal("mlp/mnist", m.Architecture);
        Assert.Equal(ArchitectureKind.Mlp, m.Kind);
        Assert.Equal(784, m.InputSizeLimit);
        int correct = MnistModel.CountCorrect(m, CpuBackend.Instance, f.Test);
        Assert.True(correct >= 975, $"committed model: {correct}/1000 held-out digits (measured 977)");
        // and it is a classifier, not a constant: every class is predicted for its own digits nearly always
        var runner = new GraphRunner(m, CpuBackend.Instance);
        for (int c = 0; c < 10; c++)
            Assert.True(f.Test.Where(s => s.Label == c).Count(s => MnistModel.Classify(runner, s) == c) >= 94, $"class {c} (lowest measured: 95/100)");
    }

    [Fact]
    public void TrainingIsBitReproducibleAndSeeded()
    {
        var o = new MnistTrainOptions { Epochs = 2 };
        var a = MnistModel.TrainAndWrite(f.Digits, o, f.Dir.File("a.opml"));
        var b = MnistModel.TrainAndWrite(f.Digits, o, f.Dir.File("b.opml"));
        var c = MnistModel.TrainAndWrite(f.Digits, o with { Seed = 2 }, f.Dir.File("c.opml"));
        Assert.Equal(a.Sha256, b.Sha256);
        Assert.NotEqual(a.Sha256, c.Sha256);
        Assert.True(a.Int8Accuracy > 0.5, $"2 epochs: {a.Int8Accuracy:P2}"); // learning at all
    }

    [Fact]
    public void ExportedPngsRoundTripThroughInfer()
    {
        var dir = Path.Combine(f.Dir.Path, "png");
        Assert.Equal(1000, MnistModel.ExportTestPngs(f.Digits, dir));
        using var m = ModelReader.Open(MnistFixture.Committed);
        var runner = new GraphRunner(m, CpuBackend.Instance);
        foreach (var s in f.Test.Where((_, i) => i % 50 == 0))
        {
            var file = Path.Combine(dir, $"{s.Label}-{s.Index:D4}.png");
            var png = File.ReadAllBytes(file);
            Assert.Equal(MnistImage.ToInput(s.Pixels), TaskInput.FromImage(m, png).Bytes);
            // the same digit as its 20×20 cell, as RGB, and dark on light converts to the same input bytes
            var cell = Crop20(s.Pixels);
            Assert.Equal(s.Pixels, MnistImage.FromPng(MnistImage.ToPng(cell, 20, 20)));
            Assert.Equal(s.Pixels, MnistImage.FromPng(MnistImage.ToPng(s.Pixels.Select(p => (byte)(255 - p)).ToArray(), 28, 28)));
            Assert.Equal(s.Pixels, MnistImage.FromPng(RgbPng(s.Pixels, 28)));
        }
        // The verb: a held-out digit the engine gets right comes out as its label, for each class.
        for (int c = 0; c < 10; c++)
        {
            var s = f.Test.First(t => t.Label == c && MnistModel.Classify(runner, t) == c);
            var r = Run("infer", "--model", MnistFixture.Committed, "--input-png", Path.Combine(dir, $"{c}-{s.Index:D4}.png"));
            Assert.True(r.Code == 0, r.Err);
            Assert.Contains($"class:        {c}\n", r.Out.ReplaceLineEndings("\n"));
        }
    }

    [Fact]
    public void BadImagesAndDataExit2WithOneErrorLine()
    {
        var notPng = f.Dir.File("not.png");
        File.WriteAllText(notPng, "hello");
        var truncated = f.Dir.File("trunc.png");
        File.WriteAllBytes(truncated, MnistImage.ToPng(new byte[784], 28, 28)[..40]);
        var rgbaWrongSize = f.Dir.File("rgba.png");
        File.WriteAllBytes(rgbaWrongSize, MnistImage.ToPng(new byte[4 * 20 * 28], 20, 28, channels: 4));
        var blank = f.Dir.File("blank.png");
        File.WriteAllBytes(blank, MnistImage.ToPng(Enumerable.Repeat((byte)200, 64 * 48).ToArray(), 64, 48));
        var tiny = f.Dir.File("tiny.png");
        File.WriteAllBytes(tiny, MnistImage.ToPng(new byte[5 * 5], 5, 5));
        var huge = f.Dir.File("huge.png");
        var hugePng = MnistImage.ToPng(new byte[8 * 8], 8, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(hugePng.AsSpan(16), 8000); // IHDR width, height: 64 megapixels
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(hugePng.AsSpan(20), 8000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(hugePng.AsSpan(29), Crc32(hugePng.AsSpan(12, 17))); // IHDR's CRC
        File.WriteAllBytes(huge, hugePng);
        var speck = f.Dir.File("speck.png");
        var speckPx = Enumerable.Repeat((byte)255, 200 * 200).ToArray();
        speckPx[100 * 200 + 100] = speckPx[100 * 200 + 101] = 0; // a two-pixel dot on white paper
        File.WriteAllBytes(speck, MnistImage.ToPng(speckPx, 200, 200));
        var llama = f.Dir.Synth(ArchitectureKind.Llama);
        var good = f.Dir.File("good.png");
        File.WriteAllBytes(good, MnistImage.ToPng(f.Test[0].Pixels, 28, 28));
        foreach (var (args, says) in new (string[], string)[]
        {
            (["infer", "--model", MnistFixture.Committed, "--input-png", notPng], "not a picture this node reads"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", truncated], "not a readable PNG"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", blank], "no digit found"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", rgbaWrongSize], "no digit found"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", tiny], "too small"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", huge], "megapixels"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", speck], "the largest mark is"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", f.Dir.File("missing.png")], "no such file"),
            (["infer", "--model", llama, "--input-png", good], "image input is for MLP"),
            (["infer", "--model", MnistFixture.Committed, "--input-png", good, "--input-random", "1"], "exactly one of"),
            (["model", "train-mnist", "--data", f.Dir.File("missing.png"), "--out", f.Dir.File("x.opml")], "no such file"),
            (["model", "train-mnist", "--data", good, "--out", f.Dir.File("x.opml")], "2000×1000"),
            (["model", "train-mnist", "--data", notPng, "--out", f.Dir.File("x.opml")], "not a readable image"),
            (["model", "train-mnist", "--data", MnistDigits.DefaultPath()], "--out"),
        })
        {
            var r = Run(args);
            Assert.True(r.Code == 2, $"{string.Join(' ', args)} → {r.Code}: {r.Err}");
            Assert.StartsWith("error: ", r.Err);
            Assert.Contains(says, r.Err);
            Assert.DoesNotContain("   at ", r.Err);
            Assert.Single(r.Err.Trim().Split('\n'));
        }
        Assert.False(File.Exists(f.Dir.File("x.opml")));
    }

    [Fact]
    public void TrainVerbPrintsBothAccuraciesAndProgress()
    {
        var outFile = f.Dir.File("verb.opml");
        var r = Run("model", "train-mnist", "--data", MnistDigits.DefaultPath(), "--epochs", "1", "--seed", "3", "--out", outFile);
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@"float accuracy:  \d+\.\d\d% \(\d+/1000", r.Out);
        Assert.Matches(@"int8 accuracy:   \d+\.\d\d% \(\d+/1000", r.Out);
        Assert.Contains("epoch 1/1: loss", r.Err);
        Assert.Equal(0, Run("model", "info", outFile).Code);
    }

    [Fact]
    public void CommittedModelGivesTheSameSlotRootsOnEveryBackend()
    {
        using var m = ModelReader.Open(MnistFixture.Committed);
        using var gpu = new IlgpuBackend(forceCpu: true);
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        foreach (var s in f.Test.Where((_, i) => i % 250 == 0))
        {
            var input = MnistImage.ToInput(s.Pixels);
            var runner = new GraphRunner(m, CpuBackend.Instance);
            var cpu = runner.Run(input, 1);
            foreach (var backend in new IOpBackend[] { ScalarBackend.Instance, gpu, vm })
            {
                var other = new GraphRunner(m, backend).Run(input, 1);
                for (long g = 0; g < cpu.SlotCount; g++)
                    Assert.True(cpu.SlotRoot(g) == other.SlotRoot(g), $"digit {s.Index}: slot {g} differs between cpu and {backend.Name}");
                Assert.Equal(cpu.FinalRoot, other.FinalRoot);
            }
            // each slot also re-runs in the VM from its committed start (what a dispute's phase 2 bisects)
            for (long g = 0; g < cpu.SlotCount; g++)
            {
                var r = SlotVmCheck.Run(runner, input, 1, g, roots, vm, program, cpu.SlotRoot(g));
                Assert.True(r.StartMatches && r.OutputMatches, $"digit {s.Index} slot {g} ({r.Op}): VM {r.Exited} {r.ExitCode}");
            }
        }
    }

    [Fact]
    public void FloatKernelsAreTheIeeeResultsTheySayTheyAre()
    {
        // Exp (used instead of the C runtime's, whose last bit may differ between platforms) is within 2 ulp of Math.Exp.
        for (double x = -60; x <= 0; x += 0.0137)
        {
            double want = Math.Exp(x), got = FloatMath.Exp(x);
            Assert.True(Math.Abs(got - want) <= 2 * (Math.BitIncrement(want) - want), $"exp({x}) = {got}, want {want}");
        }
        Assert.Equal(1.0, FloatMath.Exp(0));
        Assert.Equal(0.0, FloatMath.Exp(-1000));
        // Dot: 8 lane sums then the tail, in order (so it is not TensorPrimitives' hardware-width-dependent order).
        var a = Enumerable.Range(0, 19).Select(i => 1f / (i + 1)).ToArray();
        var b = Enumerable.Range(0, 19).Select(i => (float)(i % 5) - 2.5f).ToArray();
        var lanes = new float[8];
        for (int i = 0; i < 16; i++) lanes[i % 8] += a[i] * b[i];
        float want32 = 0;
        foreach (var l in lanes) want32 += l;
        for (int i = 16; i < 19; i++) want32 += a[i] * b[i];
        Assert.Equal(want32, FloatMath.Dot(a, b));
        // A shift moves pixels and fills with black.
        var img = new byte[784];
        img[5 * 28 + 7] = 200;
        var moved = new byte[784];
        MnistTrainer.Shift(img, 1, -1, moved);
        Assert.Equal(200, moved[4 * 28 + 8]);
        Assert.Equal(200, moved.Sum(p => p));
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    private static byte[] Crop20(byte[] px28)
    {
        var cell = new byte[400];
        for (int y = 0; y < 20; y++) px28.AsSpan((y + 4) * 28 + 4, 20).CopyTo(cell.AsSpan(y * 20));
        return cell;
    }

    /// <summary>The gray image as an RGB PNG (colour type 2, R = G = B), which the decoder converts to luminance.</summary>
    private static byte[] RgbPng(byte[] gray, int side)
    {
        var rgb = new byte[3 * gray.Length];
        for (int i = 0; i < gray.Length; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = (gray[i], gray[i], gray[i]);
        return MnistImage.ToPng(rgb, side, side, channels: 3);
    }
}
