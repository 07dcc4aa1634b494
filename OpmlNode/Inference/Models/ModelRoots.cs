using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Inference.Models;

/// <summary>
/// The commitments registered for a model (docs/GRAPH.md §3): per-weight tensor roots and the weights root
/// (list root at depth <see cref="ModelFormat.WeightsDepth"/>), per-node descriptor tensor roots and the descriptors
/// root (list root at depth <see cref="ModelFormat.DescriptorsDepth"/>).
/// </summary>
public sealed class ModelRoots
{
    private static ReadOnlySpan<byte> SidecarMagic => "OPMLROOT"u8;
    private const uint SidecarVersion = 1;
    private const int SidecarHeader = 8 + 4 + 8 + 8 + 32 + 4;
    private const int BigWeight = 4 << 20; // weights from 4 MiB are hashed one at a time with all cores

    public ModelRoots(Hash256[] weightRoots, Hash256[] descriptorRoots)
    {
        WeightRoots = weightRoots;
        DescriptorRoots = descriptorRoots;
        WeightsRoot = MerkleMath.RootOfList(weightRoots, ModelFormat.WeightsDepth);
        DescriptorsRoot = MerkleMath.RootOfList(descriptorRoots, ModelFormat.DescriptorsDepth);
    }

    public IReadOnlyList<Hash256> WeightRoots { get; }
    public IReadOnlyList<Hash256> DescriptorRoots { get; }
    public Hash256 WeightsRoot { get; }
    public Hash256 DescriptorsRoot { get; }
    /// <summary>True when the weight roots came from a valid sidecar cache.</summary>
    public bool FromCache { get; private init; }

    /// <summary>Proof of weight w's tensor root in the weights tree (depth 16).</summary>
    public MerkleProof WeightProof(int w) => MerkleMath.ListProof((Hash256[])WeightRoots, w, ModelFormat.WeightsDepth);

    /// <summary>Proof of node j's descriptor root in the descriptors tree (depth 16).</summary>
    public MerkleProof DescriptorProof(int j) => MerkleMath.ListProof((Hash256[])DescriptorRoots, j, ModelFormat.DescriptorsDepth);

    public static string SidecarPath(string modelPath) => modelPath + ".roots";

    public static Hash256[] DescriptorRootsOf(IModel model)
    {
        var r = new Hash256[model.Nodes.Count];
        for (int j = 0; j < r.Length; j++) r[j] = MerkleMath.TensorRoot(model.DescriptorBytes(j));
        return r;
    }

    /// <summary>Computes all weight roots (parallel) with an optional throttled progress line on <paramref name="progress"/>.</summary>
    public static Hash256[] ComputeWeightRoots(IModel model, TextWriter? progress = null)
    {
        int count = model.Weights.Count;
        var roots = new Hash256[count];
        long total = model.Weights.Sum(w => w.Length), done = 0;
        var sw = Stopwatch.StartNew();
        long lastReport = 0;
        void Report(long bytes)
        {
            long d = Interlocked.Add(ref done, bytes);
            if (progress is null) return;
            long now = sw.ElapsedMilliseconds, last = Interlocked.Read(ref lastReport);
            if (now - last < 500 || Interlocked.CompareExchange(ref lastReport, now, last) != last) return;
            lock (progress)
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  weight roots: {d / 1048576.0:F0}/{total / 1048576.0:F0} MiB ({100.0 * d / Math.Max(1, total):F0}%), {d / 1048576.0 / Math.Max(1e-3, sw.Elapsed.TotalSeconds):F0} MiB/s"));
        }
        var big = Enumerable.Range(0, count).Where(w => model.Weights[w].Length >= BigWeight).ToArray();
        var small = Enumerable.Range(0, count).Where(w => model.Weights[w].Length < BigWeight).ToArray();
        foreach (int w in big)
        {
            roots[w] = MerkleMath.RootOfBytesParallel(model.Weight(w).Span, MerkleMath.TensorDepth);
            Report(model.Weights[w].Length);
        }
        Parallel.For(0, small.Length, i =>
        {
            int w = small[i];
            roots[w] = MerkleMath.TensorRoot(model.Weight(w).Span);
            Report(model.Weights[w].Length);
        });
        if (progress is not null && total >= BigWeight)
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  weight roots: {count} weights, {total / 1048576.0:F1} MiB in {sw.Elapsed.TotalSeconds:F2} s"));
        return roots;
    }

    /// <summary>Roots of an in-memory model (no cache).</summary>
    public static ModelRoots Compute(IModel model, TextWriter? progress = null) =>
        new(ComputeWeightRoots(model, progress), DescriptorRootsOf(model));

    /// <summary>
    /// Roots of a model file, using the sidecar `&lt;model&gt;.roots` when its key (file length, last-write time, keccak of
    /// the metadata = everything before the weight bytes) matches; otherwise computes and rewrites the sidecar.
    /// </summary>
    public static ModelRoots Load(ModelReader model, TextWriter? progress = null, bool useCache = true)
    {
        var descRoots = DescriptorRootsOf(model);
        var key = CacheKey(model);
        string sidecar = SidecarPath(model.Path);
        if (useCache && TryReadSidecar(sidecar, key, model.Weights.Count) is { } cached)
            return new ModelRoots(cached, descRoots) { FromCache = true };
        var roots = ComputeWeightRoots(model, progress);
        if (useCache)
        {
            try { WriteSidecar(sidecar, key, roots); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { progress?.WriteLine($"  note: could not write {sidecar}: {e.Message}"); }
        }
        return new ModelRoots(roots, descRoots);
    }

    private readonly record struct Key(long Length, long MtimeTicks, Hash256 MetadataHash);

    private static Key CacheKey(ModelReader model) =>
        new(model.FileLength, File.GetLastWriteTimeUtc(model.Path).Ticks, Keccak256.Hash(model.Metadata));

    private static Hash256[]? TryReadSidecar(string path, Key key, int count)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var b = File.ReadAllBytes(path);
            if (b.Length != SidecarHeader + 32L * count || !b.AsSpan(0, 8).SequenceEqual(SidecarMagic)) return null;
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)) != SidecarVersion) return null;
            if (BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(12)) != key.Length) return null;
            if (BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(20)) != key.MtimeTicks) return null;
            if (new Hash256(b.AsSpan(28, 32)) != key.MetadataHash) return null;
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(60)) != (uint)count) return null;
            return MemoryMarshal.Cast<byte, Hash256>(b.AsSpan(SidecarHeader)).ToArray();
        }
        catch (IOException) { return null; }
    }

    private static void WriteSidecar(string path, Key key, Hash256[] roots)
    {
        var b = new byte[SidecarHeader + 32L * roots.Length];
        SidecarMagic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), SidecarVersion);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(12), key.Length);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(20), key.MtimeTicks);
        key.MetadataHash.CopyTo(b.AsSpan(28));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(60), (uint)roots.Length);
        MemoryMarshal.AsBytes(roots.AsSpan()).CopyTo(b.AsSpan(SidecarHeader));
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, b);
        File.Move(tmp, path, overwrite: true);
    }
}
