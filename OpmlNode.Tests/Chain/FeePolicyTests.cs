using System.Numerics;
using OpmlNode.Chain.Fees;

namespace OpmlNode.Tests.Chain;

/// <summary>The pricing rules of <see cref="FeePolicy"/>: first price, the clock-aware bump, replacements a
/// geth-compatible pool accepts, and the cap, over a seeded sweep of markets.</summary>
public sealed class FeePolicyTests
{
    private static readonly BigInteger Gwei = 1_000_000_000;

    [Fact]
    public void TheFirstPriceIsTwiceTheNextBaseFeePlusTheTipOrTheLegacyGasPrice()
    {
        var p = new FeePolicy(null, TimeSpan.FromSeconds(10));
        Assert.Equal(new TxFees(2 * 7 * Gwei + 2 * Gwei, 2 * Gwei, Legacy: false), p.First(new FeeMarket(7 * Gwei, 2 * Gwei, 9 * Gwei)));
        Assert.Equal(new TxFees(9 * Gwei, 9 * Gwei, Legacy: true), p.First(new FeeMarket(null, 2 * Gwei, 9 * Gwei)));
    }

    [Fact]
    public void TheBumpIsCalmFarFromTheDeadlineAndDoublesTheFeesOneIntervalBeforeIt()
    {
        var p = new FeePolicy(null, TimeSpan.FromSeconds(10));
        Assert.Equal(125, p.BumpPerMille(null));
        Assert.Equal(125, p.BumpPerMille(80));
        Assert.Equal(125, p.BumpPerMille(10_000));
        Assert.Equal(1000, p.BumpPerMille(10));
        Assert.Equal(1000, p.BumpPerMille(0));
        Assert.Equal(1000, p.BumpPerMille(-5)); // past the deadline: as urgent as it gets
        Assert.InRange(p.BumpPerMille(45), 126, 999);
        int previous = int.MaxValue;
        for (double left = -10; left <= 120; left += 0.5)
        {
            int b = p.BumpPerMille(left);
            Assert.True(b <= previous, $"the bump rose from {previous} to {b} at {left} s left");
            previous = b;
        }
    }

    [Fact]
    public void TheLegacyBaselinePricesAtTheGasPriceAndNeverReplaces()
    {
        var p = new FeePolicy(null, TimeSpan.FromSeconds(2), legacyBaseline: true);
        var market = new FeeMarket(40 * Gwei, 2 * Gwei, 41 * Gwei);
        Assert.Equal(new TxFees(41 * Gwei, 41 * Gwei, Legacy: true), p.First(market));
        Assert.Null(p.Replacement(p.First(market), market with { NextBaseFee = 400 * Gwei }, secondsLeft: 1));
        // The node's own policy on the same market: type 2 at twice the next base fee plus the tip.
        Assert.Equal(new TxFees(82 * Gwei, 2 * Gwei, Legacy: false), new FeePolicy(null, TimeSpan.FromSeconds(2)).First(market));
    }

    [Fact]
    public void EveryReplacementRaisesBothFeesByTheMinimumAndNeverPassesTheCap()
    {
        var rng = new Random(20261207);
        int replaced = 0, refused = 0;
        for (int i = 0; i < 20_000; i++)
        {
            BigInteger? cap = rng.Next(3) == 0 ? null : new BigInteger(rng.NextInt64(1, 500)) * Gwei / 10;
            var p = new FeePolicy(cap, TimeSpan.FromSeconds(rng.Next(1, 30)));
            var legacy = rng.Next(5) == 0;
            var market = new FeeMarket(legacy ? null : new BigInteger(rng.NextInt64(0, 300)) * Gwei / 10,
                new BigInteger(rng.NextInt64(0, 50)) * Gwei / 10, new BigInteger(rng.NextInt64(1, 300)) * Gwei / 10);
            var old = p.First(market with { NextBaseFee = market.NextBaseFee is { } b ? b * rng.Next(0, 3) : null });
            if (cap is { } c0) Assert.True(old.MaxFeePerGas <= c0, "the first price passed the cap");
            double? left = rng.Next(4) == 0 ? null : rng.Next(-5, 400);
            var next = p.Replacement(old, market, left);
            if (next is null)
            {
                // Refused only when the cap leaves no room for +10 % on the max fee (or on the tip it bounds).
                Assert.NotNull(cap);
                Assert.True(FeePolicy.Raise(old.MaxFeePerGas, 100) > cap!.Value || FeePolicy.Raise(old.PriorityFeePerGas, 100) > cap.Value,
                    $"refused with room under the cap: {old}, cap {cap}");
                refused++;
                continue;
            }
            replaced++;
            Assert.Equal(old.Legacy, next.Legacy);
            Assert.True(next.MaxFeePerGas * 10 >= old.MaxFeePerGas * 11, $"max fee {old} -> {next}");
            Assert.True(next.PriorityFeePerGas * 10 >= old.PriorityFeePerGas * 11, $"tip {old} -> {next}");
            Assert.True(next.PriorityFeePerGas <= next.MaxFeePerGas);
            if (cap is { } c) Assert.True(next.MaxFeePerGas <= c, $"{next} above the cap {c}");
            else
            {
                var now = old.Legacy ? p.First(market with { NextBaseFee = null }) : p.First(market);
                Assert.True(next.MaxFeePerGas >= now.MaxFeePerGas, "a replacement below today's first price");
                Assert.True(next.MaxFeePerGas >= old.MaxFeePerGas + old.MaxFeePerGas * p.BumpPerMille(left) / 1000);
            }
        }
        Assert.True(replaced > 10_000 && refused > 100, $"the sweep missed a case: {replaced} replaced, {refused} refused");
    }

    [Fact]
    public void AMarketIsBlockedWhenItsBaseFeeAndTipPassTheCap()
    {
        var p = new FeePolicy(10 * Gwei, TimeSpan.FromSeconds(10));
        Assert.False(p.Blocked(new FeeMarket(9 * Gwei, Gwei, 1)));
        Assert.True(p.Blocked(new FeeMarket(9 * Gwei, Gwei + 1, 1)));
        Assert.True(p.Blocked(new FeeMarket(null, 0, 10 * Gwei + 1)));
        Assert.False(new FeePolicy(null, TimeSpan.FromSeconds(1)).Blocked(new FeeMarket(1_000_000 * Gwei, Gwei, 1)));
        Assert.Equal(10 * Gwei, p.First(new FeeMarket(9 * Gwei, 2 * Gwei, 1)).MaxFeePerGas); // clamped to the cap
    }
}
