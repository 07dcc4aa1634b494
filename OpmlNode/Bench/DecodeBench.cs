using System.Diagnostics;
using System.Globalization;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;

namespace OpmlNode.Bench;

public sealed record DecodeBenchResult(
    string Model, long WeightBytes, long WeightBytesPerToken, int Tokens, int Rounds, string Backend,
    double TokensPerSecond, double TokensPerSecondNoRoots, double CopyBytesPerSecond)
{
    /// <summary>Weight bytes read per second while decoding with roots / without.</summary>
    public double WeightBandwidth => WeightBytesPerToken * TokensPerSecond;
    public double WeightBandwidthNoRoots => WeightBytesPerToken * TokensPerSecondNoRoots;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"decode {Model} ({WeightBytes / 1e6:F1} MB of weights, {WeightBytesPerToken / 1e6:F1} MB read per token), {Backend}, {Environment.ProcessorCount} cores for large MatMul rows, {Tokens} tokens/round, medians of {Rounds} rounds:\n" +
        $"  with slot roots + slot tree: {TokensPerSecond:F2} tokens/s  -> weight bandwidth {WeightBandwidth / 1e9:F2} GB/s\n" +
        $"  without roots:               {TokensPerSecondNoRoots:F2} tokens/s  -> weight bandwidth {WeightBandwidthNoRoots / 1e9:F2} GB/s\n" +
        $"  memcpy (Buffer.MemoryCopy of 256 MiB, single thread): {CopyBytesPerSecond / 1e9:F2} GB/s copied; " +
        $"weight bandwidth / memcpy = {WeightBandwidthNoRoots / CopyBytesPerSecond:F2} (no roots), {WeightBandwidth / CopyBytesPerSecond:F2} (roots)");
}

/// <summary>
/// Decode throughput of a LLaMA model with CpuBackend: tokens/s (one pass = one token), the weight bytes a pass reads
/// (MatMul tiles: their N·K rows; Gather: one table row per index; other weights whole) times tokens/s, against the
/// single-thread memcpy bandwidth measured in the same run.
/// </summary>
public static class DecodeBench
{
    public static DecodeBenchResult Run(string? modelPath, int tokens = 16, int rounds = 3, TextWriter? log = null)
    {
        using var bench = new BenchModel(modelPath, "decode", log);
        var m = bench.Model;
        if (m.Kind != ArchitectureKind.Llama) throw new ArgumentException($"decode bench needs a llama model, got {m.Architecture}");
        tokens = Math.Clamp(tokens, 1, m.DefaultPasses);
        var input = ModelSynth.PromptInput([1]);
        var runner = new GraphRunner(m, CpuBackend.Instance);
        // Warm-up: page in the weights and let tiered JIT settle.
        runner.Run(input, Math.Min(tokens, 4), new GraphRunOptions { RecordRoots = false });
        runner.Run(input, Math.Min(tokens, 4));
        var withRoots = new List<double>();
        var noRoots = new List<double>();
        var copy = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            copy.Add(CopyBandwidth());
            var sw = Stopwatch.StartNew();
            runner.Run(input, tokens, new GraphRunOptions { RecordRoots = false });
            noRoots.Add(tokens / sw.Elapsed.TotalSeconds);
            sw.Restart();
            runner.Run(input, tokens).FinalRoot.ToString();
            withRoots.Add(tokens / sw.Elapsed.TotalSeconds);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {r + 1}: {noRoots[^1]:F2} tok/s (no roots), {withRoots[^1]:F2} tok/s (roots), memcpy {copy[^1] / 1e9:F2} GB/s"));
        }
        return new DecodeBenchResult(m.Architecture, m.Weights.Sum(w => w.Length), WeightBytesPerPass(m), tokens, rounds, CpuBackend.Instance.Name,
            BenchStats.Median(withRoots), BenchStats.Median(noRoots), BenchStats.Median(copy));
    }

    /// <summary>Weight bytes one pass reads.</summary>
    public static long WeightBytesPerPass(IModel m)
    {
        long total = 0;
        foreach (var d in m.Nodes)
        {
            for (int i = 0; i < d.Inputs.Count; i++)
            {
                var r = d.Inputs[i];
                if (r.Kind != RefKind.Weight) continue;
                total += (d.Op, i) switch
                {
                    (OpCode.MatMul, 1) => (long)d.Output.Cols * r.Spec.Dims[1],
                    (OpCode.Gather, 0) => (long)d.Output.Rows * r.Spec.Cols * r.Spec.Type.Size(),
                    _ => r.Spec.ByteLength,
                };
            }
        }
        return total;
    }

    /// <summary>Bytes copied per second by one thread, Buffer.MemoryCopy of a 256 MiB buffer (well beyond any L3).</summary>
    public static unsafe double CopyBandwidth(int bytes = 256 << 20)
    {
        var src = GC.AllocateUninitializedArray<byte>(bytes);
        var dst = GC.AllocateUninitializedArray<byte>(bytes);
        new Random(1).NextBytes(src.AsSpan(0, 1 << 20));
        fixed (byte* s = src, d = dst)
        {
            Buffer.MemoryCopy(s, d, bytes, bytes); // touch pages
            var times = new List<double>();
            for (int i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                Buffer.MemoryCopy(s, d, bytes, bytes);
                times.Add(sw.Elapsed.TotalSeconds);
            }
            return bytes / BenchStats.Median(times);
        }
    }

}
