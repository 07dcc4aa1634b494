using OpmlNode.Dispute;

namespace OpmlNode.Tests.Dispute;

/// <summary>The turn floors of PROTOCOL §5.4 against the split rule itself, exhaustively over k and short lengths.</summary>
public class ClockRulesTests
{
    /// <summary>The closed form L &lt; 2·min(k, L) is exactly "some sub-interval of the split has length 1", for every
    /// k in 2..64 and every L in 2..4k (the old rule, L ≤ k, misses k &lt; L &lt; 2k).</summary>
    [Fact]
    public void AChooseMayPinAStepExactlyWhenSomeSubIntervalHasLengthOne()
    {
        int missedByOldRule = 0;
        for (int k = Bisection.MinK; k <= Bisection.MaxK; k++)
        {
            for (long len = 2; len <= 4 * k; len++)
            {
                var p = Bisection.Points(100, 100 + len, k);
                bool someOne = Enumerable.Range(0, p.Length - 1).Any(i => p[i + 1] - p[i] == 1);
                Assert.True(someOne == ClockRules.ChooseMayPinStep(len, k), $"k = {k}, L = {len}");
                if (someOne && len > k) missedByOldRule++;
            }
        }
        Assert.Equal(Enumerable.Range(Bisection.MinK, Bisection.MaxK - Bisection.MinK + 1).Sum(k => k - 1), missedByOldRule);
    }
}
