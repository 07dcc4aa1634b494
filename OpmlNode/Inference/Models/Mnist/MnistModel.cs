using System.Diagnostics;
using System.Security.Cryptography;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;

namespace OpmlNode.Inference.Models.Mnist;

/// <summary>What <see cref="MnistModel.TrainAndWrite"/> did: the accuracies on the held-out digits and the file written.</summary>
public sealed record MnistTrainResult(
    string Path, long FileBytes, string Sha256, int Nodes,
    int FloatCorrect, int Int8Correct, int TestCount, int TrainCount,
    TimeSpan TrainTime, TimeSpan Int8EvalTime)
{
    public double FloatAccuracy => (double)FloatCorrect / TestCount;
    public double Int8Accuracy => (double)Int8Correct / TestCount;
}

/// <summary>The MNIST classifier end to end: data → float training → int8 graph → .opml, measured on the held-out split.</summary>
public static class MnistModel
{
    /// <summary>
    /// Trains on the fixed split's training digits (and <paramref name="extra"/> samples, the printed fonts' glyphs),
    /// quantises, writes the model and scores the held-out digits with the real engine (see the other overload).
    /// </summary>
    public static MnistTrainResult TrainAndWrite(IReadOnlyList<MnistSample> digits, MnistTrainOptions options, string outPath,
        long maxNodeSteps = MnistQuantizer.DefaultMaxNodeSteps, Action<MnistEpoch>? epochDone = null, IReadOnlyList<MnistSample>? extra = null)
    {
        var (sheetTrain, test) = MnistDigits.Split(digits);
        return TrainAndWrite(extra is null ? sheetTrain : [.. sheetTrain, .. extra], test, options, outPath, MnistQuantizer.Architecture, maxNodeSteps, epochDone);
    }

    /// <summary>
    /// Trains on <paramref name="train"/>, quantises (calibrating on it), writes the model, reads it back and
    /// classifies <paramref name="test"/> with the real engine (<see cref="GraphRunner"/> on <see cref="CpuBackend"/>).
    /// </summary>
    public static MnistTrainResult TrainAndWrite(IReadOnlyList<MnistSample> train, IReadOnlyList<MnistSample> test, MnistTrainOptions options,
        string outPath, string architecture, long maxNodeSteps = MnistQuantizer.DefaultMaxNodeSteps, Action<MnistEpoch>? epochDone = null)
    {
        var sw = Stopwatch.StartNew();
        var net = MnistTrainer.Train(train, options, epochDone);
        var trainTime = sw.Elapsed;
        var (floatCorrect, _) = net.Accuracy(test);
        var def = MnistQuantizer.Quantize(net, train, maxNodeSteps, architecture);
        ModelWriter.Write(outPath, def);
        sw.Restart();
        int int8Correct;
        using (var m = ModelReader.Open(outPath)) int8Correct = CountCorrect(m, CpuBackend.Instance, test);
        var evalTime = sw.Elapsed;
        var bytes = File.ReadAllBytes(outPath);
        return new MnistTrainResult(outPath, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), def.Nodes.Count,
            floatCorrect, int8Correct, test.Count, train.Count, trainTime, evalTime);
    }

    /// <summary>The class the runner's model gives a 28×28 digit (one pass).</summary>
    public static int Classify(GraphRunner runner, MnistSample s) => runner.Run(MnistImage.ToInput(s.Pixels), 1).Output.ToInts()[0];

    /// <summary>How many of <paramref name="samples"/> the integer model classifies correctly.</summary>
    public static int CountCorrect(IModel model, IOpBackend backend, IReadOnlyList<MnistSample> samples)
    {
        var runner = new GraphRunner(model, backend);
        return samples.Count(s => Classify(runner, s) == s.Label);
    }

    /// <summary>Writes each held-out digit as a 28×28 grayscale PNG named <c>LABEL-INDEX.png</c> (INDEX = its sheet cell); returns the count.</summary>
    public static int ExportTestPngs(IReadOnlyList<MnistSample> digits, string dir) => ExportPngs(MnistDigits.Split(digits).Test, dir);

    /// <summary>Writes each image as a 28×28 grayscale PNG named <c>LABEL-INDEX.png</c>; returns the count.</summary>
    public static int ExportPngs(IReadOnlyList<MnistSample> test, string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var s in test)
            File.WriteAllBytes(System.IO.Path.Combine(dir, $"{s.Label}-{s.Index:D4}.png"), MnistImage.ToPng(s.Pixels, MnistImage.Side, MnistImage.Side));
        return test.Count;
    }
}

/// <summary>Accuracy per class and the confusion counts (true class × predicted class) of a labelled set.</summary>
public sealed class DigitScore(int classes)
{
    public int[,] Confusion { get; } = new int[classes, classes];
    public int Classes => Confusion.GetLength(0);
    public int Total(int c) => Enumerable.Range(0, Classes).Sum(p => Confusion[c, p]);
    public int Correct(int c) => Confusion[c, c];
    public int Count => Enumerable.Range(0, Classes).Sum(Total);
    public int CorrectCount => Enumerable.Range(0, Classes).Sum(Correct);
    public double Accuracy => Count == 0 ? 0 : (double)CorrectCount / Count;
    public double ClassAccuracy(int c) => Total(c) == 0 ? 0 : (double)Correct(c) / Total(c);
    public void Add(int label, int predicted) => Confusion[label, predicted]++;

    /// <summary>Runs the integer model on each 28×28 image and tallies.</summary>
    public static DigitScore Of(IModel model, IOpBackend backend, IEnumerable<(byte[] Pixels, int Label)> samples, int classes = MnistDigits.Classes)
    {
        var list = samples.ToList();
        var score = new DigitScore(classes);
        int i = 0;
        foreach (var p in Predict(model, backend, list.Select(s => s.Pixels))) score.Add(list[i++].Label, p);
        return score;
    }

    /// <summary>The integer model's class for each 28×28 image.</summary>
    public static IEnumerable<int> Predict(IModel model, IOpBackend backend, IEnumerable<byte[]> images)
    {
        var runner = new GraphRunner(model, backend);
        foreach (var px in images) yield return runner.Run(MnistImage.ToInput(px), 1).Output.ToInts()[0];
    }
}
