namespace OpmlNode.Inference;

/// <summary>
/// Upper estimates of the VM steps the opml-ops guest takes for a node, from the step counts measured in
/// docs/BENCHMARKS-guest.md (≤ 3.56 steps per MAC, ~70 steps per output element, ~2k steps of validation and call
/// overhead), rounded up so that the graph builder's tiling keeps every node under its step budget (OPS §4).
/// </summary>
public static class GuestCost
{
    public const double StepsPerMac = 3.7;
    public const long StepsPerOutput = 90;
    public const long FixedSteps = 4_000;

    /// <summary>The kernels compute whole 1×8 / 2×4 column blocks (the surplus columns are discarded), so MACs count
    /// N rounded up to a multiple of 8.</summary>
    public static long MatMulSteps(long rows, long n, long k) =>
        FixedSteps + (long)Math.Ceiling(rows * ((n + 7) / 8 * 8 * StepsPerMac * k + n * StepsPerOutput));
}
