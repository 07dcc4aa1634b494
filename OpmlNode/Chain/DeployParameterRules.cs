using System.Numerics;

namespace OpmlNode.Chain;

/// <summary>The OpmlTasks constructor's checks on <see cref="DeployParameters"/> (PROTOCOL §5: k 2..64, extension
/// 1..2^32−1, window ≥ 1, clock &lt; 2^32; bonds and fee ≥ 0; expiry ≥ 1; loss share 1..10000 bp to a non-zero
/// address), so a bad value is reported before any transaction; and the economic floor on the challenger bond.</summary>
public static class DeployParameterRules
{
    /// <summary>The challenger bond must pay the defender's gas for a whole game (PROTOCOL §5.8): at
    /// <paramref name="gasPriceWei"/>, <see cref="DefenderGas.WorstCaseGame"/> at the deployment's k. Null when it does.</summary>
    public static string? CheckChallengerBond(DeployParameters p, BigInteger gasPriceWei)
    {
        var need = DefenderGas.WorstCaseGame(p.K) * gasPriceWei;
        return p.ChallengerBond >= need ? null
            : $"--challenger-bond {p.ChallengerBond} wei is below the defender's worst-case gas for one game at k = {p.K} "
              + $"({DefenderGas.WorstCaseGame(p.K):N0} gas × {gasPriceWei} wei/gas = {need} wei): a lying challenger would cost the honest "
              + "submitter more than it risks; raise the bond or state a lower --gas-price-gwei";
    }

    /// <summary>Every problem with <paramref name="p"/>, each naming its option; empty when the constructor accepts it.</summary>
    public static IReadOnlyList<string> Check(DeployParameters p)
    {
        var errors = new List<string>();
        if (p.K is < 2 or > 64) errors.Add($"--k must be 2..64 (the bisection arity), got {p.K}");
        if (p.Extension is < 1 or > uint.MaxValue) errors.Add($"--extension must be 1..{uint.MaxValue} seconds, got {p.Extension}");
        if (p.ChallengeWindow < 1) errors.Add("--window must be at least 1 second");
        if (p.ClockBudget > uint.MaxValue) errors.Add($"--clock must be below 2^32 seconds, got {p.ClockBudget}");
        foreach (var (name, v) in new[] { ("--submitter-bond", p.SubmitterBond), ("--challenger-bond", p.ChallengerBond), ("--min-fee", p.MinFee) })
            if (v.Sign < 0 || v >= BigInteger.One << 256) errors.Add($"{name} must be a non-negative amount of wei below 2^256");
        if (p.TaskExpiry < 1 || p.TaskExpiry > long.MaxValue) errors.Add($"--expiry must be at least 1 second, got {p.TaskExpiry}");
        if (p.LossBps is < 1 or > 10_000) errors.Add($"--loss-bps must be 1..10000 (basis points of the submitter bond), got {p.LossBps}");
        if (!Nethereum.Util.AddressUtil.Current.IsValidEthereumAddressHexFormat(p.LossReceiver) || new BigInteger(Convert.FromHexString(p.LossReceiver[2..]), isUnsigned: true, isBigEndian: true).IsZero)
            errors.Add($"--loss-receiver must be a non-zero address, got '{p.LossReceiver}'");
        return errors;
    }
}
