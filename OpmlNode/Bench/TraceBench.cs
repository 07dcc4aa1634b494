using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpmlNode.Dispute;
using OpmlNode.Dispute.Storage;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Storage;

namespace OpmlNode.Bench;

/// <summary>One checkpoint interval's figures (medians over the rounds).</summary>
public sealed record TraceBenchRow(int Interval, double StoreSeconds, long DiskBytes, long Keys, double ReadSeconds, double LinkSeconds);

public sealed record TraceBenchResult(string Model, int Passes, long Slots, int Rounds, double ComputeSeconds, double MemoryLinkSeconds, IReadOnlyList<TraceBenchRow> Rows)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"trace {Model}, {Passes} passes = {Slots} slots, medians of {Rounds} rounds; baseline: the trace computed in memory {ComputeSeconds:F3} s, a last-pass slot's link from it {MemoryLinkSeconds * 1e3:F1} ms (replays from pass 0)"));
        sb.AppendLine("  checkpoint every | compute + store (× in memory) | RocksDB on disk (bytes/slot) | keys  | read back | last-pass link (× in memory)");
        foreach (var r in Rows)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Interval,16} | {r.StoreSeconds,8:F3} s ({r.StoreSeconds / ComputeSeconds,5:F2}×)        | {r.DiskBytes / 1e6,8:F2} MB ({r.DiskBytes / (double)Slots,7:F0})     | {r.Keys,5} | {r.ReadSeconds * 1e3,6:F1} ms | {r.LinkSeconds * 1e3,8:F1} ms ({r.LinkSeconds / MemoryLinkSeconds:F2}×)"));
        return sb.ToString().TrimEnd();
    }
}

/// <summary>
/// What a task's stored trace costs and saves (GRAPH §5.6): computing the honest graph trace and writing it to RocksDB
/// (slot roots, S_i with their Merkle nodes, pass checkpoints every c passes) against computing it in memory; its size
/// on disk; reading it back after a restart; and the link of a slot in the last pass (its inputs and proofs, which the
/// game's phase-2 start needs), rebuilt from the nearest checkpoint against a replay from pass 0.
/// </summary>
public static class TraceBench
{
    public static TraceBenchResult Run(string? modelPath, int passes, int rounds, IReadOnlyList<int> intervals, TextWriter? log = null)
    {
        if (passes < 1 || rounds < 1 || intervals.Count == 0 || intervals.Any(c => c < 1)) throw new ArgumentException("passes, rounds and every checkpoint interval must be at least 1");
        using var bench = new BenchModel(modelPath, "trace", log);
        var m = bench.Model;
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var input = m.Kind == ArchitectureKind.Llama ? ModelSynth.PromptInput([1]) : TaskInput.Random(m, 1).Bytes;
        passes = m.Kind == ArchitectureKind.Llama ? Math.Clamp(passes, 1, m.DefaultPasses) : 1;
        int n = m.Nodes.Count;
        long lastPassSlot = (long)(passes - 1) * n + n / 2;
        GraphTrace.Honest(m, roots, input, Math.Min(passes, 2), CpuBackend.Instance, null); // warm-up: weights paged in, JIT settled

        var compute = new List<double>();
        var memoryLink = new List<double>();
        var perInterval = intervals.ToDictionary(c => c, _ => (Store: new List<double>(), Disk: new List<double>(), Keys: new List<double>(), Read: new List<double>(), Link: new List<double>()));
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            var memory = GraphTrace.Honest(m, roots, input, passes, CpuBackend.Instance, null);
            compute.Add(sw.Elapsed.TotalSeconds);
            sw.Restart();
            memory.Link(lastPassSlot);
            memoryLink.Add(sw.Elapsed.TotalSeconds);
            foreach (int c in intervals)
            {
                var f = perInterval[c];
                var dir = Path.Combine(Path.GetTempPath(), $"opml-trace-bench-{Environment.ProcessId}-{c}");
                try
                {
                    using (var db = RocksColumnsDb.Open(new StorageOptions { Path = dir }))
                    {
                        sw.Restart();
                        GraphTrace.Honest(m, roots, input, passes, CpuBackend.Instance, new TaskTraceStore(db, 1), c);
                        db.Flush();
                        f.Store.Add(sw.Elapsed.TotalSeconds);
                        f.Keys.Add(DbSchema.TraceColumns.Sum(col => db.GetColumn(col).Iterate([]).Count()));
                    }
                    f.Disk.Add(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(p => new FileInfo(p).Length));
                    using (var db = RocksColumnsDb.Open(new StorageOptions { Path = dir }))
                    {
                        sw.Restart();
                        var stored = GraphTrace.Honest(m, roots, input, passes, CpuBackend.Instance, new TaskTraceStore(db, 1), c);
                        f.Read.Add(sw.Elapsed.TotalSeconds);
                        if (!stored.FromStore || stored.FinalRoot != memory.FinalRoot) throw new InvalidOperationException("the stored trace did not read back as the computed one");
                        sw.Restart();
                        stored.Link(lastPassSlot);
                        f.Link.Add(sw.Elapsed.TotalSeconds);
                    }
                }
                finally
                {
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                }
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {r + 1}, every {c}: compute {compute[^1]:F3} s, store {f.Store[^1]:F3} s, {f.Disk[^1] / 1e6:F2} MB, read {f.Read[^1] * 1e3:F1} ms, link {f.Link[^1] * 1e3:F1} ms (memory {memoryLink[^1] * 1e3:F1} ms)"));
            }
        }
        var rows = intervals.Select(c => perInterval[c]).Select((f, i) => new TraceBenchRow(intervals[i], BenchStats.Median(f.Store), (long)BenchStats.Median(f.Disk),
            (long)BenchStats.Median(f.Keys), BenchStats.Median(f.Read), BenchStats.Median(f.Link))).ToList();
        return new TraceBenchResult(m.Architecture, passes, (long)passes * n, rounds, BenchStats.Median(compute), BenchStats.Median(memoryLink), rows);
    }
}
