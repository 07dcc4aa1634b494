namespace OpmlNode.Inference.Import.Onnx;

/// <summary>Per-value magnitude statistics gathered by running the float evaluator on sample inputs.</summary>
public sealed class OnnxCalibration
{
    private readonly Dictionary<string, double> _absMax = new();

    public int Samples { get; private set; }

    public void Add(IReadOnlyDictionary<string, OnnxTensor> values)
    {
        Samples++;
        foreach (var (name, t) in values)
        {
            if (!t.IsFloat) continue;
            double m = 0;
            foreach (var f in t.F!) if (float.IsFinite(f)) m = Math.Max(m, Math.Abs(f));
            _absMax[name] = Math.Max(m, _absMax.GetValueOrDefault(name));
        }
    }

    /// <summary>Runs the model on each sample and records every value.</summary>
    public static OnnxCalibration Run(OnnxModel model, IEnumerable<IReadOnlyDictionary<string, OnnxTensor>> samples, ISet<int>? live = null)
    {
        var c = new OnnxCalibration();
        var ev = new OnnxEvaluator(model);
        foreach (var s in samples) c.Add(ev.Run(s, live));
        if (c.Samples == 0) throw new OnnxImportException("calibration needs at least one sample input");
        return c;
    }

    /// <summary>The largest magnitude seen for a value.</summary>
    public double AbsMax(string value) =>
        _absMax.TryGetValue(value, out var m) ? m : throw new OnnxImportException($"calibration saw no float value '{value}'");
}
