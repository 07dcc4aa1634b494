using System.Diagnostics;
using System.Globalization;
using OpmlNode.Crypto;
using Org.BouncyCastle.Crypto.Digests;

namespace OpmlNode.Bench;

/// <summary>Throughput of 64-byte keccak256 (one Merkle parent) for ours vs BouncyCastle, single-threaded.</summary>
public sealed record KeccakBenchResult(
    double OursPerSecond,
    double BouncyCastlePerSecond,
    double OursBatchPerSecond,
    IReadOnlyList<double> OursRounds,
    IReadOnlyList<double> BouncyCastleRounds,
    IReadOnlyDictionary<Keccak256.BatchPath, double> BatchPathPerSecond)
{
    /// <summary>Median ours / median BouncyCastle.</summary>
    public double Ratio => BouncyCastlePerSecond > 0 ? OursPerSecond / BouncyCastlePerSecond : double.NaN;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"keccak256 64-byte: ours {OursPerSecond / 1e6:F2} M/s, BouncyCastle {BouncyCastlePerSecond / 1e6:F2} M/s, ratio {Ratio:F2}x; ours batched HashPairs {OursBatchPerSecond / 1e6:F2} M/s ({BatchRatio:F2}x) (medians of {OursRounds.Count} rounds)" +
        $"\nHashPairs by batch path (a Merkle level of 4096 parents): {string.Join(", ", BatchPathPerSecond.Select(p => $"{p.Key} {p.Value / 1e6:F2} M/s ({p.Value / BatchPathPerSecond[Keccak256.BatchPath.Scalar]:F2}x scalar)"))}; best here: {Keccak256.BestBatchPath}");

    /// <summary>Median batched (<see cref="Keccak256.HashPairs"/>) / median BouncyCastle.</summary>
    public double BatchRatio => BouncyCastlePerSecond > 0 ? OursBatchPerSecond / BouncyCastlePerSecond : double.NaN;
}

public static class KeccakBench
{
    private const int Rounds = 5;
    private const int Batch = 4096; // hashes between clock reads

    /// <summary>Alternates the two implementations for <see cref="Rounds"/> rounds within about <paramref name="seconds"/> seconds (after a short warm-up) and reports medians.</summary>
    public static KeccakBenchResult Run(int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        var slice = TimeSpan.FromSeconds(seconds / (2.0 * Rounds));
        var warmup = TimeSpan.FromMilliseconds(Math.Min(300, slice.TotalMilliseconds));

        // Warm-up lets tiered JIT reach the optimized code for both sides before anything is timed.
        Ours(warmup);
        BouncyCastle(warmup);
        OursBatch(warmup);

        var ours = new double[Rounds];
        var bc = new double[Rounds];
        var batch = new double[Rounds];
        var paths = Enum.GetValues<Keccak256.BatchPath>().Where(Keccak256.Supports).ToList();
        var byPath = paths.ToDictionary(p => p, _ => new double[Rounds]);
        foreach (var p in paths) OursBatch(warmup / 2, p);
        for (int r = 0; r < Rounds; r++)
        {
            // Alternate order so neither side always runs on a thermally fresher core.
            if (r % 2 == 0) { ours[r] = Ours(slice); bc[r] = BouncyCastle(slice); }
            else { bc[r] = BouncyCastle(slice); ours[r] = Ours(slice); }
            batch[r] = OursBatch(slice / 4);
            foreach (var p in paths) byPath[p][r] = OursBatch(slice / 4, p);
        }
        return new KeccakBenchResult(BenchStats.Median(ours), BenchStats.Median(bc), BenchStats.Median(batch), ours, bc,
            byPath.ToDictionary(kv => kv.Key, kv => BenchStats.Median(kv.Value)));
    }

    private static double Ours(TimeSpan duration)
    {
        var left = Keccak256.Hash("left"u8);
        var right = Keccak256.Hash("right"u8);
        long n = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            for (int i = 0; i < Batch; i++)
                left = Keccak256.HashPair(left, right); // chained so the work cannot be elided
            n += Batch;
        } while (sw.Elapsed < duration);
        var perSecond = n / sw.Elapsed.TotalSeconds;
        GC.KeepAlive(left.ToString());
        return perSecond;
    }

    // Independent hashes of one Merkle level (8192 nodes → 4096 parents), the shape RootOfBytes feeds HashPairs.
    private static double OursBatch(TimeSpan duration, Keccak256.BatchPath? path = null)
    {
        var nodes = new Hash256[8192];
        for (int i = 0; i < nodes.Length; i++) nodes[i] = Keccak256.Hash(BitConverter.GetBytes(i));
        var parents = new Hash256[nodes.Length / 2];
        long n = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            Keccak256.HashPairs(nodes, parents, path ?? Keccak256.BestBatchPath);
            n += parents.Length;
        } while (sw.Elapsed < duration);
        return n / sw.Elapsed.TotalSeconds;
    }

    private static double BouncyCastle(TimeSpan duration)
    {
        var digest = new KeccakDigest(256);
        var buf = new byte[64];
        "left-right"u8.CopyTo(buf);
        long n = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            for (int i = 0; i < Batch; i++)
            {
                digest.BlockUpdate(buf, 0, 64);
                digest.DoFinal(buf, 0); // DoFinal resets the digest; output feeds the next input
            }
            n += Batch;
        } while (sw.Elapsed < duration);
        var perSecond = n / sw.Elapsed.TotalSeconds;
        GC.KeepAlive(buf);
        return perSecond;
    }

}
