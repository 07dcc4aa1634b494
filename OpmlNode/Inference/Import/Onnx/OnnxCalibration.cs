namespace OpmlNode.Inference.Import.Onnx;

/// <summary>Per-value magnitude statistics gathered by running the float evaluator on sample inputs.</summary>
/// <remarks>
/// Each value keeps its signed range, the signed range per channel of the last axis (while that axis keeps one
/// length over the samples) and, if asked for (<see cref="OnnxImportOptions.ActivationQuantile"/> &lt; 1), a
/// uniform reservoir sample of magnitudes (fixed seed) for quantiles.
/// </remarks>
public sealed class OnnxCalibration(bool keepSamples = false)
{
    private const int SampleCap = 1 << 14;
    private readonly Dictionary<string, Entry> _entries = new();

    private sealed class Entry
    {
        public double AbsMax;
        public double Min = double.PositiveInfinity, Max = double.NegativeInfinity;
        public double[]? ChMin, ChMax;
        public bool ChannelsVary;
        public long Seen;
        public readonly List<float> Sample = new();
        public readonly Random Rng = new(12345);
        public float[]? Sorted;
    }

    public int Samples { get; private set; }

    public void Add(IReadOnlyDictionary<string, OnnxTensor> values)
    {
        Samples++;
        foreach (var (name, t) in values)
        {
            if (!t.IsFloat) continue;
            if (!_entries.TryGetValue(name, out var e)) _entries[name] = e = new Entry();
            e.Sorted = null;
            int cols = t.Rank == 0 ? 1 : Math.Max(t.Shape[^1], 1);
            if (e.ChMin is null && !e.ChannelsVary) (e.ChMin, e.ChMax) = (Filled(cols, double.PositiveInfinity), Filled(cols, double.NegativeInfinity));
            else if (e.ChMin?.Length != cols) (e.ChMin, e.ChMax, e.ChannelsVary) = (null, null, true);
            var f32 = t.F!;
            for (int i = 0; i < f32.Length; i++)
            {
                float f = f32[i];
                if (!float.IsFinite(f)) continue;
                float a = MathF.Abs(f);
                if (a > e.AbsMax) e.AbsMax = a;
                if (f < e.Min) e.Min = f;
                if (f > e.Max) e.Max = f;
                if (e.ChMin is { } lo && e.ChMax is { } hi)
                {
                    int c = i % cols;
                    if (f < lo[c]) lo[c] = f;
                    if (f > hi[c]) hi[c] = f;
                }
                if (!keepSamples) continue;
                e.Seen++;
                if (e.Sample.Count < SampleCap) e.Sample.Add(a);
                else if (e.Rng.NextInt64(e.Seen) < SampleCap) e.Sample[e.Rng.Next(SampleCap)] = a; // reservoir: a uniform sample
            }
        }
    }

    /// <summary>Runs the model on each sample and records every value.</summary>
    public static OnnxCalibration Run(OnnxModel model, IEnumerable<IReadOnlyDictionary<string, OnnxTensor>> samples, ISet<int>? live = null, bool keepSamples = false)
    {
        var c = new OnnxCalibration(keepSamples);
        var ev = new OnnxEvaluator(model);
        foreach (var s in samples) c.Add(ev.Run(s, live));
        if (c.Samples == 0) throw new OnnxImportException("calibration needs at least one sample input");
        return c;
    }

    /// <summary>The largest magnitude seen for a value.</summary>
    public double AbsMax(string value) => Get(value).AbsMax;

    /// <summary>The smallest and largest value seen (0, 0 if none was finite).</summary>
    public (double Min, double Max) Range(string value) => Get(value) is { Min: <= double.MaxValue } e ? (e.Min, e.Max) : (0, 0);

    /// <summary>The largest magnitude seen per channel of the last axis, or null if that axis changed length between samples.</summary>
    public IReadOnlyList<double>? ChannelAbsMax(string value) =>
        Get(value) is { ChMin: { } lo, ChMax: { } hi } ? lo.Select((l, c) => l <= hi[c] ? Math.Max(Math.Abs(l), Math.Abs(hi[c])) : 0).ToArray() : null;

    /// <summary>The smallest and largest value seen per channel of the last axis, or null as for <see cref="ChannelAbsMax"/>.</summary>
    public (IReadOnlyList<double> Min, IReadOnlyList<double> Max)? ChannelRange(string value) =>
        Get(value) is { ChMin: { } lo, ChMax: { } hi } ? (lo, hi) : null;

    private static double[] Filled(int n, double v) => Enumerable.Repeat(v, n).ToArray();

    /// <summary>The q-quantile of |x| over the sample (q in (0, 1]; q ≥ 1 is the largest magnitude seen).</summary>
    public double Quantile(string value, double q)
    {
        var e = Get(value);
        if (q >= 1 || e.Sample.Count == 0) return e.AbsMax;
        if (e.Sorted is null) { e.Sorted = e.Sample.ToArray(); Array.Sort(e.Sorted); }
        return e.Sorted[Math.Clamp((int)Math.Ceiling(q * e.Sorted.Length) - 1, 0, e.Sorted.Length - 1)];
    }

    private Entry Get(string value) =>
        _entries.TryGetValue(value, out var e) ? e : throw new OnnxImportException($"calibration saw no float value '{value}'");
}
