using System.Numerics;
using OpmlNode.Chain;

namespace OpmlNode.Tests.Chain;

/// <summary>The defender's worst-case game gas (PROTOCOL §5.8) and the deploy checks built on it; no chain needed.</summary>
public class DefenderGasTests
{
    [Theory]
    [InlineData(2, 32, 64)]
    [InlineData(4, 16, 32)]
    [InlineData(16, 8, 16)]
    [InlineData(64, 6, 11)]
    [InlineData(3, 21, 41)] // not a power of two: ⌈log_3 2^32⌉ = 21, ⌈log_3 2^64⌉ = 41
    public void RoundsAreTheDeepestBisectionOfEachPhase(int k, int slotRounds, int stepRounds)
    {
        Assert.Equal(slotRounds, DefenderGas.Rounds(32, k));
        Assert.Equal(stepRounds, DefenderGas.Rounds(64, k));
    }

    [Fact]
    public void TheWorstCaseGameMatchesTheFiguresInProtocol()
    {
        Assert.Equal(new BigInteger(4_971_200), DefenderGas.WorstCaseGame(4));
        Assert.Equal(new BigInteger(3_603_300), DefenderGas.WorstCaseGame(64));
        // Above the measured first bisect at k = 64 (99k execution + 2,016 calldata bytes + 21k intrinsic).
        Assert.True(DefenderGas.Bisect(64) >= 99_161 + 2_016 * 16 + 21_000);
    }

    [Fact]
    public void DeployRefusesAChallengerBondBelowTheDefendersGas()
    {
        var gwei = BigInteger.Pow(10, 9);
        var p = DeployParameters.Devnet with { ChallengerBond = DefenderGas.WorstCaseGame(4) * 10 * gwei };
        Assert.Null(DeployParameterRules.CheckChallengerBond(p, 10 * gwei));
        var weak = DeployParameterRules.CheckChallengerBond(p with { ChallengerBond = p.ChallengerBond - 1 }, 10 * gwei);
        Assert.NotNull(weak);
        Assert.Contains("--challenger-bond", weak);
        Assert.Contains("--gas-price-gwei", weak);
        Assert.Null(DeployParameterRules.CheckChallengerBond(DeployParameters.Devnet, 10 * gwei));
    }

    [Fact]
    public void TheNewParametersAreChecked()
    {
        Assert.Empty(DeployParameterRules.Check(DeployParameters.Devnet));
        var bad = DeployParameterRules.Check(DeployParameters.Devnet with
        {
            TaskExpiry = 0,
            LossBps = 10_001,
            LossReceiver = "0x0000000000000000000000000000000000000000",
        });
        Assert.Contains(bad, e => e.StartsWith("--expiry", StringComparison.Ordinal));
        Assert.Contains(bad, e => e.StartsWith("--loss-bps", StringComparison.Ordinal));
        Assert.Contains(bad, e => e.StartsWith("--loss-receiver", StringComparison.Ordinal));
        Assert.Contains(DeployParameterRules.Check(DeployParameters.Devnet with { LossReceiver = "nonsense" }),
            e => e.StartsWith("--loss-receiver", StringComparison.Ordinal));
        Assert.Contains(DeployParameterRules.Check(DeployParameters.Devnet with { LossBps = 0 }),
            e => e.StartsWith("--loss-bps", StringComparison.Ordinal));
    }
}
