using System.Text.RegularExpressions;
using OpmlNode.Tests.Support;

namespace OpmlNode.Tests.Hosting;

/// <summary>`opml-node bench dispute` on small models only (the 7B figures are in docs/BENCHMARKS.md): the whole dispute
/// runs with real nodes, the liar loses, the rounds played are the split rule's on the game's path, and every figure
/// the report promises is there and plausible.</summary>
[Collection("nodes")]
public sealed partial class DisputeBenchVerbTests
{
    [Theory]
    [InlineData("llama-tiny", "slot", 4)]
    [InlineData("mnist", "step", 2)]
    public void ADisputeIsPlayedToTheEndAndMeasured(string model, string lie, int k)
    {
        var dir = Directory.CreateTempSubdirectory("opml-bench-dispute-test-").FullName;
        try
        {
            var file = Repo.Path("models", "mnist", "mnist.opml");
            if (model == "llama-tiny")
            {
                file = Path.Combine(dir, "llama-tiny.opml");
                var synth = OpmlNodeCli.Run("model", "synth", "--arch", "llama", "--preset", "tiny", "--seed", "1", "--out", file);
                Assert.True(synth.Code == 0, synth.Err);
            }
            var results = Directory.CreateDirectory(Path.Combine(dir, "results")).FullName;
            var (code, stdout, stderr) = OpmlNodeCli.Run("bench", "dispute", "--model", file, "--lie", lie, "--k", k.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--contracts", Repo.Path("contracts"), "--dir", Path.Combine(dir, "run"), "--json", Path.Combine(results, model + ".json"));
            Assert.True(code == 0, $"bench dispute exited {code}\n{stdout}\n{stderr}");
            Assert.Contains($", k = {k}", stdout);
            Assert.Contains("result: the liar lost, the honest result is final", stdout);
            var rounds = Rounds().Match(stdout);
            Assert.True(rounds.Success, stdout);
            int phase1 = int.Parse(rounds.Groups[1].Value), phase2 = int.Parse(rounds.Groups[2].Value), rule = int.Parse(rounds.Groups[3].Value), most = int.Parse(rounds.Groups[4].Value);
            Assert.True(phase1 >= 1 && phase2 >= 1, stdout);
            Assert.Equal(rule, phase1 + phase2);
            Assert.InRange(rule, 2, most);
            foreach (var name in new[] { "liar", "watchdog", "honest" })
            {
                var line = NodeLine().Matches(stdout).Single(m => m.Groups[1].Value == name);
                Assert.InRange(double.Parse(line.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), 50, 4096); // peak RSS, MiB
                Assert.True(int.Parse(line.Groups[3].Value) >= 2, $"{name} sent too few transactions:\n{stdout}");
            }
            foreach (var mark in new[] { "requested", "liar submitted", "challenged", "phase 2 starts", "rejected", "final" }) Assert.Contains(mark, stdout);

            // The summary it wrote is what `bench plot` draws.
            var summary = System.Text.Json.JsonSerializer.Deserialize<OpmlNode.Bench.DisputeBenchSummary>(File.ReadAllText(Path.Combine(results, model + ".json")))!;
            Assert.Equal(k, summary.K);
            Assert.Equal(rule, summary.Rounds);
            Assert.True(summary.Gas > 100_000 && summary.DisputeSeconds > 0 && summary.PeakRssMiB > 50, File.ReadAllText(Path.Combine(results, model + ".json")));
            var png = Path.Combine(dir, "scale.png");
            var plot = OpmlNodeCli.Run("bench", "plot", "--results", results, "--out", png);
            Assert.True(plot.Code == 0, plot.Err);
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 10_000 && bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }), $"not a PNG of a plot ({bytes.Length} bytes)");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [GeneratedRegex(@"rounds: phase 1 (\d+), phase 2 (\d+) \(the split rule on this path: (\d+); at most ⌈log_k N⌉ \+ ⌈log_k T⌉ = (\d+)\)")]
    private static partial Regex Rounds();

    // name, peak RSS (MiB), then five compute figures, then the transaction count.
    [GeneratedRegex(@"^\s+(\w+)\s+([\d.]+) MiB\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\d+) ", RegexOptions.Multiline)]
    private static partial Regex NodeLine();
}
