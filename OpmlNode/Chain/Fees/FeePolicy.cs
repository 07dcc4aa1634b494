using System.Numerics;

namespace OpmlNode.Chain.Fees;

/// <summary>The fees of one signed transaction. EIP-1559 (type 2): <see cref="MaxFeePerGas"/> and
/// <see cref="PriorityFeePerGas"/>; legacy (a chain without a base fee): <see cref="MaxFeePerGas"/> is the gas price.</summary>
public sealed record TxFees(BigInteger MaxFeePerGas, BigInteger PriorityFeePerGas, bool Legacy)
{
    public override string ToString() => Legacy
        ? $"gas price {FeePolicy.Gwei(MaxFeePerGas)} gwei"
        : $"max fee {FeePolicy.Gwei(MaxFeePerGas)} gwei, tip {FeePolicy.Gwei(PriorityFeePerGas)} gwei";
}

/// <summary>What the chain asks now: the next block's base fee (null: no base fee, legacy pricing), the priority fee
/// it suggests, and its legacy gas price.</summary>
public sealed record FeeMarket(BigInteger? NextBaseFee, BigInteger PriorityFee, BigInteger GasPrice);

/// <summary>
/// How the node prices its transactions and their same-nonce replacements (docs/PROTOCOL.md §6). Pure: the
/// chain's figures come in as a <see cref="FeeMarket"/>, the time left to the action's deadline in seconds.
/// <list type="bullet">
/// <item>First price: max fee 2 × next base fee + tip (still includable after six full blocks, each +12.5 %), the tip
/// the chain suggests; legacy: the chain's gas price.</item>
/// <item>Replacement, after <see cref="ReplaceAfter"/> without a receipt: every fee × (1 + b) and at least today's first
/// price, where the bump b is 12.5 % (geth's pool takes a replacement from +10 % on both fees) while the deadline is 8
/// or more intervals away, rising linearly to 100 % one interval before it: a move far from its deadline can wait for
/// the base fee to fall; one near it must be mined in the next block or two whatever it costs, up to the cap.</item>
/// <item>Never above <see cref="Cap"/> (the operator's --max-fee-gwei). A market whose base fee alone exceeds the cap
/// cannot mine the transaction: <see cref="Blocked"/>.</item>
/// </list>
/// <see cref="LegacyBaseline"/> is the sender this replaces, kept to measure it against (run --legacy-fees): one legacy
/// price, the chain's gas price when signed, and never a replacement.
/// </summary>
public sealed class FeePolicy(BigInteger? cap, TimeSpan replaceAfter, bool legacyBaseline = false)
{
    /// <summary>The smallest rise on both fees a geth-compatible pool accepts for a same-nonce replacement (10 %), and
    /// the bump the node uses far from a deadline (a margin over it for rounding).</summary>
    public const int MinReplacementPercent = 10, CalmBumpPerMille = 125;

    /// <summary>Intervals before the deadline from which the bump starts to rise, and the bump at one interval.</summary>
    public const int CalmIntervals = 8, UrgentBumpPerMille = 1000;

    public BigInteger? Cap { get; } = cap;
    public TimeSpan ReplaceAfter { get; } = replaceAfter;

    /// <summary>Legacy pricing at eth_gasPrice and no replacement, on every chain: the baseline, not for real use.</summary>
    public bool LegacyBaseline { get; } = legacyBaseline;

    public static FeePolicy Default { get; } = new(null, TimeSpan.FromSeconds(15));

    public static decimal Gwei(BigInteger wei) => (decimal)wei / 1_000_000_000m;
    public static BigInteger FromGwei(double gwei) => new BigInteger(Math.Round(gwei * 1e9));

    /// <summary>The price of a transaction's first signature.</summary>
    public TxFees First(FeeMarket m)
    {
        if (LegacyBaseline || m.NextBaseFee is not { } baseFee) return Capped(new TxFees(m.GasPrice, m.GasPrice, Legacy: true));
        return Capped(new TxFees(2 * baseFee + m.PriorityFee, m.PriorityFee, Legacy: false));
    }

    /// <summary>The bump in per mille for a transaction whose deadline is <paramref name="secondsLeft"/> away (null: none).</summary>
    public int BumpPerMille(double? secondsLeft)
    {
        if (secondsLeft is not { } left) return CalmBumpPerMille;
        double r = Math.Max(ReplaceAfter.TotalSeconds, 1);
        double urgency = Math.Clamp((CalmIntervals * r - left) / ((CalmIntervals - 1) * r), 0, 1);
        return (int)Math.Round(CalmBumpPerMille + urgency * (UrgentBumpPerMille - CalmBumpPerMille));
    }

    /// <summary>
    /// The fees of a same-nonce replacement of a transaction priced <paramref name="old"/>, or null when the cap leaves no
    /// room for one the pool would accept (both fees at least +10 %). A legacy transaction stays legacy.
    /// </summary>
    public TxFees? Replacement(TxFees old, FeeMarket m, double? secondsLeft)
    {
        if (LegacyBaseline) return null;
        int bump = BumpPerMille(secondsLeft);
        var now = old.Legacy ? First(m with { NextBaseFee = null }) : First(m);
        var next = new TxFees(
            BigInteger.Max(Raise(old.MaxFeePerGas, bump), now.MaxFeePerGas),
            BigInteger.Max(Raise(old.PriorityFeePerGas, bump), now.PriorityFeePerGas), old.Legacy);
        next = Capped(next);
        bool accepted = next.MaxFeePerGas >= Raise(old.MaxFeePerGas, MinReplacementPercent * 10)
                        && next.PriorityFeePerGas >= Raise(old.PriorityFeePerGas, MinReplacementPercent * 10);
        return accepted ? next : null;
    }

    /// <summary>Whether the cap is below what the next block charges (the base fee; legacy: the gas price) plus the
    /// suggested tip: at the cap the transaction is not mined until the market falls.</summary>
    public bool Blocked(FeeMarket m) => Cap is { } c && (m.NextBaseFee is { } b ? b + m.PriorityFee : m.GasPrice) > c;

    /// <summary>x raised by <paramref name="perMille"/> ‰, rounded up, and by at least 1 wei (a zero tip becomes 1).</summary>
    public static BigInteger Raise(BigInteger x, int perMille) => BigInteger.Max(x + 1, x + (x * perMille + 999) / 1000);

    private TxFees Capped(TxFees f)
    {
        if (Cap is not { } c) return f;
        var max = BigInteger.Min(f.MaxFeePerGas, c);
        return f with { MaxFeePerGas = max, PriorityFeePerGas = BigInteger.Min(f.PriorityFeePerGas, max) };
    }
}
