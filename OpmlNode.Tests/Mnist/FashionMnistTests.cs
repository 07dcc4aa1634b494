using OpmlNode.Cli;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Models.Mnist;
using OpmlNode.Tests.Inference;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Mnist;

/// <summary>The second real data set: Fashion-MNIST from Debian's dataset-fashion-mnist, and its committed model.</summary>
[Collection("Console")]
public sealed class FashionMnistTests : IDisposable
{
    private static readonly string Committed = Repo.Path("models", "fashion-mnist", "fashion-mnist.opml");
    private readonly ModelTempDir _dir = new();

    public void Dispose() => _dir.Dispose();

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
    public void TheDebianFilesAreTheOfficialSplit()
    {
        Assert.True(FashionMnist.Sha256(FashionMnist.DefaultDir) == FashionMnist.KnownSha256, "not the files of dataset-fashion-mnist the committed model was trained on");
        var (train, test) = FashionMnist.Load(FashionMnist.DefaultDir);
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(6000, train.Count(s => s.Label == c));
            Assert.Equal(1000, test.Count(s => s.Label == c));
        }
    }

    [Fact]
    public void TrainingRebuildsTheCommittedModelByteForByteAndMeetsTheTargets()
    {
        var outFile = _dir.File("fashion.opml");
        var r = Run("model", "train-mnist", "--dataset", "fashion", "--seed", "1", "--out", outFile);
        Assert.True(r.Code == 0, r.Err);
        // measured: float 88.85%, int8 88.94% (8894/10000), README "Fashion-MNIST model"
        var int8 = double.Parse(System.Text.RegularExpressions.Regex.Match(r.Out, @"int8 accuracy: +(\d+\.\d\d)%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var fl = double.Parse(System.Text.RegularExpressions.Regex.Match(r.Out, @"float accuracy: +(\d+\.\d\d)%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(int8 >= 88.5, $"int8 test accuracy {int8}% < 88.5%");
        Assert.True(Math.Abs(fl - int8) <= 0.5, $"float {fl}% vs int8 {int8}%: more than 0.5 points apart");
        Assert.Contains("/10000 test images", r.Out);
        Assert.True(File.ReadAllBytes(outFile).AsSpan().SequenceEqual(File.ReadAllBytes(Committed)),
            "`model train-mnist --dataset fashion --seed 1` did not rebuild models/fashion-mnist/fashion-mnist.opml: rebuild it (models/fashion-mnist/README.md)");
    }

    [Fact]
    public void CommittedModelClassifiesTheTestSplitAndInferNamesTheClass()
    {
        using var m = ModelReader.Open(Committed);
        Assert.Equal(FashionMnist.Architecture, m.Architecture);
        var (_, test) = FashionMnist.Load(FashionMnist.DefaultDir);
        var score = DigitScore.Of(m, CpuBackend.Instance, test.Select(s => (s.Pixels, s.Label)));
        Assert.True(score.Accuracy >= 0.885, $"{score.Accuracy:P2} of the test split (measured 88.94%)");
        for (int c = 0; c < 10; c++) Assert.True(score.ClassAccuracy(c) >= 0.55, $"{FashionMnist.ClassNames[c]}: {score.ClassAccuracy(c):P1}"); // shirts are the hard class
        var trouser = test.First(s => s.Label == 1);
        var png = _dir.File("trouser.png");
        File.WriteAllBytes(png, MnistImage.ToPng(trouser.Pixels, 28, 28));
        var r = Run("infer", "--model", Committed, "--input-png", png);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("class:        1 (Trouser)", r.Out);
        var big = _dir.File("big.png");
        File.WriteAllBytes(big, MnistImage.ToPng(new byte[64 * 64], 64, 64));
        var bad = Run("infer", "--model", Committed, "--input-png", big);
        Assert.Equal(2, bad.Code);
        Assert.Contains("64×64", bad.Err);
        var missing = Run("model", "train-mnist", "--dataset", "fashion", "--data", _dir.Path, "--out", _dir.File("x.opml"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("train-images-idx3-ubyte.gz", missing.Err);
        Assert.Equal(2, Run("model", "train-mnist", "--dataset", "fashion", "--no-fonts", "--out", _dir.File("x.opml")).Code);
        Assert.Equal(2, Run("model", "train-mnist", "--dataset", "shoes", "--out", _dir.File("x.opml")).Code);
    }
}
