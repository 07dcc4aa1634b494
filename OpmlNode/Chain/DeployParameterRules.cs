using System.Numerics;

namespace OpmlNode.Chain;

/// <summary>The OpmlTasks constructor's checks on <see cref="DeployParameters"/> (PROTOCOL §5: k 2..64, extension
/// 1..2^32−1, window ≥ 1, clock &lt; 2^32; bonds and fee ≥ 0), so a bad value is reported before any transaction.</summary>
public static class DeployParameterRules
{
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
        return errors;
    }
}
