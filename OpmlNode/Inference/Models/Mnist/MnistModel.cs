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
    /// Trains on the fixed split's training digits, quantises (calibrating on them), writes the model, reads it back and
    /// classifies the held-out digits with the real engine (<see cref="GraphRunner"/> on <see cref="CpuBackend"/>).
    /// </summary>
    public static MnistTrainResult TrainAndWrite(IReadOnlyList<MnistSample> digits, MnistTrainOptions options, string outPath,
        long maxNodeSteps = MnistQuantizer.DefaultMaxNodeSteps, Action<MnistEpoch>? epochDone = null)
    {
        var (train, test) = MnistDigits.Split(digits);
        var sw = Stopwatch.StartNew();
        var net = MnistTrainer.Train(train, options, epochDone);
        var trainTime = sw.Elapsed;
        var (floatCorrect, _) = net.Accuracy(test);
        var def = MnistQuantizer.Quantize(net, train, maxNodeSteps);
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
    public static int ExportTestPngs(IReadOnlyList<MnistSample> digits, string dir)
    {
        Directory.CreateDirectory(dir);
        var (_, test) = MnistDigits.Split(digits);
        foreach (var s in test)
            File.WriteAllBytes(System.IO.Path.Combine(dir, $"{s.Label}-{s.Index:D4}.png"), MnistImage.ToPng(s.Pixels, MnistImage.Side, MnistImage.Side));
        return test.Count;
    }
}
