namespace OpmlNode.Inference.Import.Gguf;

/// <summary>Calibration statistics of named activations: the largest magnitude and a sample of magnitudes for percentiles.</summary>
public sealed class ActivationStats
{
    private const int SampleCap = 1 << 17;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry
    {
        public double AbsMax;
        public long Seen;
        public readonly List<float> Sample = new();
        public readonly Random Rng = new(12345);
    }

    public IEnumerable<string> Names => _entries.Keys;

    public void Observe(string name, ReadOnlySpan<float> values)
    {
        if (!_entries.TryGetValue(name, out var e)) _entries[name] = e = new Entry();
        foreach (var v in values)
        {
            float a = MathF.Abs(v);
            if (a > e.AbsMax) e.AbsMax = a;
            e.Seen++;
            if (e.Sample.Count < SampleCap) e.Sample.Add(a);
            else if (e.Rng.NextInt64(e.Seen) < SampleCap) e.Sample[e.Rng.Next(SampleCap)] = a; // reservoir: a uniform sample
        }
    }

    public double AbsMax(string name) => Get(name).AbsMax;

    /// <summary>The q-quantile of |x| (q in (0, 1]; 1 = the sample's maximum).</summary>
    public double Percentile(string name, double q)
    {
        var s = Get(name).Sample.ToArray();
        if (s.Length == 0) return 0;
        Array.Sort(s);
        return s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
    }

    private Entry Get(string name) => _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"no calibration statistics for {name}");
}
