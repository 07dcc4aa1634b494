namespace OpmlNode.Dispute;

/// <summary>
/// The k-ary split rule of both phases (PROTOCOL §5): an interval (lo, hi) with L = hi − lo ≥ 2 splits into
/// m = min(k, L) sub-intervals at points p_i = lo + ⌊i·L/m⌋, i = 0..m. The submitter posts the roots at p_1..p_{m−1};
/// the challenger names c &lt; m, agreeing with p_c and disputing p_{c+1}. The contract computes the same points.
/// </summary>
public static class Bisection
{
    public const int MinK = 2, MaxK = 64;

    /// <summary>m, the number of sub-intervals of (lo, hi).</summary>
    public static int Parts(long lo, long hi, int k)
    {
        Check(lo, hi, k);
        return (int)Math.Min(k, hi - lo);
    }

    /// <summary>p_i for i = 0..m (p_0 = lo, p_m = hi).</summary>
    public static long[] Points(long lo, long hi, int k)
    {
        int m = Parts(lo, hi, k);
        var p = new long[m + 1];
        long len = hi - lo;
        for (int i = 0; i <= m; i++) p[i] = lo + (long)((UInt128)(ulong)i * (ulong)len / (ulong)m);
        return p;
    }

    /// <summary>Rounds to shrink an interval of length <paramref name="length"/> to 1: ⌈log_k length⌉.</summary>
    public static int Rounds(long length, int k)
    {
        int r = 0;
        for (long l = length; l > 1; r++) l = (l + k - 1) / k;
        return r;
    }

    private static void Check(long lo, long hi, int k)
    {
        if (k is < MinK or > MaxK) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [{MinK}, {MaxK}]");
        if (lo < 0 || hi - lo < 1) throw new ArgumentException($"interval ({lo}, {hi}) is empty");
    }
}
