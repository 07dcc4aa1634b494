using System.Diagnostics;

namespace OpmlNode.Bench;

/// <summary>Shared by every benchmark: medians (the machine is shared and noisy) and per-call timing.</summary>
public static class BenchStats
{
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) throw new ArgumentException("no values", nameof(values));
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Seconds per call, averaged over as many calls as fit in <paramref name="seconds"/> (at least one).</summary>
    public static double SecondsPerCall(Action action, double seconds)
    {
        var sw = Stopwatch.StartNew();
        var n = 0;
        do { action(); n++; } while (sw.Elapsed.TotalSeconds < seconds);
        return sw.Elapsed.TotalSeconds / n;
    }
}
