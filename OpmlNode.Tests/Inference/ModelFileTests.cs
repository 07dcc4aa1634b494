using System.Buffers.Binary;
using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Inference.Models;
using OpmlNode.Merkle;

namespace OpmlNode.Tests.Inference;

public class ModelFileTests : IDisposable
{
    private readonly ModelTempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(ArchitectureKind.Mlp)]
    [InlineData(ArchitectureKind.Llama)]
    [InlineData(ArchitectureKind.Bert)]
    public void WriteReadRoundTrip(ArchitectureKind arch)
    {
        var def = ModelSynth.Build(arch, "tiny", 7);
        var path = _dir.File("m.opml");
        ModelWriter.Write(path, def);
        using var m = ModelReader.Open(path);
        Assert.Equal(def.Architecture, m.Architecture);
        Assert.Equal(def.OutputNode, m.OutputNode);
        Assert.Equal(def.InputSizeLimit, m.InputSizeLimit);
        Assert.Equal(def.DefaultPasses, m.DefaultPasses);
        Assert.Equal(def.Nodes.Count, m.Nodes.Count);
        for (int j = 0; j < def.Nodes.Count; j++)
        {
            Assert.Equal(def.Nodes[j].Encode(), m.DescriptorBytes(j).ToArray());
            Assert.Equal(def.Nodes[j].Encode(), m.Nodes[j].Encode());
        }
        Assert.Equal(def.Weights.Count, m.Weights.Count);
        for (int w = 0; w < def.Weights.Count; w++)
        {
            Assert.Equal(def.Weights[w].Spec, m.Weights[w].Spec);
            Assert.Equal(0, m.Weights[w].Offset % ModelFormat.WeightAlignment);
            var expected = new byte[def.Weights[w].Spec.ByteLength];
            def.Weights[w].Fill(expected);
            Assert.Equal(expected, m.Weight(w).ToArray());
            Assert.True(m.WeightSpan(w).SequenceEqual(expected));
        }
        // Same seed, same file bytes; another seed, other weights.
        var path2 = _dir.File("m2.opml");
        ModelWriter.Write(path2, ModelSynth.Build(arch, "tiny", 7));
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(path2));
        ModelWriter.Write(path2, ModelSynth.Build(arch, "tiny", 8));
        Assert.NotEqual(File.ReadAllBytes(path), File.ReadAllBytes(path2));
    }

    [Fact]
    public void RootsMatchDefinitionsAndListDepths()
    {
        var path = _dir.Synth(ArchitectureKind.Llama);
        using var m = ModelReader.Open(path);
        var roots = ModelRoots.Load(m);
        for (int w = 0; w < m.Weights.Count; w++) Assert.Equal(MerkleMath.TensorRoot(m.WeightSpan(w)), roots.WeightRoots[w]);
        Assert.Equal(MerkleMath.RootOfList(roots.WeightRoots.ToArray(), 16), roots.WeightsRoot);
        Assert.Equal(MerkleMath.RootOfList(roots.DescriptorRoots.ToArray(), 16), roots.DescriptorsRoot);
        var desc = ModelRoots.DescriptorRootsOf(m);
        Assert.Equal(MerkleMath.TensorRoot(m.DescriptorBytes(3)), desc[3]);
        for (int w = 0; w < m.Weights.Count; w++) Assert.True(roots.WeightProof(w).Verify(roots.WeightsRoot, (ulong)w));
        for (int j = 0; j < m.Nodes.Count; j++) Assert.True(roots.DescriptorProof(j).Verify(roots.DescriptorsRoot, (ulong)j));
    }

    [Fact]
    public void RootCacheIsReusedAndInvalidated()
    {
        var path = _dir.Synth(ArchitectureKind.Mlp);
        ModelRoots first;
        using (var m = ModelReader.Open(path)) first = ModelRoots.Load(m);
        Assert.False(first.FromCache);
        Assert.True(File.Exists(ModelRoots.SidecarPath(path)));
        using (var m = ModelReader.Open(path))
        {
            var again = ModelRoots.Load(m);
            Assert.True(again.FromCache);
            Assert.Equal(first.WeightsRoot, again.WeightsRoot);
        }
        // Weight bytes changed in place (same length): the mtime changes, so the cache is stale.
        using (var m = ModelReader.Open(path)) { }
        long off;
        using (var m = ModelReader.Open(path)) off = m.Weights[0].Offset;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite)) { fs.Position = off; fs.WriteByte(0x55); fs.WriteByte(0x66); }
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        using (var m = ModelReader.Open(path))
        {
            var changed = ModelRoots.Load(m);
            Assert.False(changed.FromCache);
            Assert.NotEqual(first.WeightsRoot, changed.WeightsRoot);
            Assert.Equal(MerkleMath.TensorRoot(m.WeightSpan(0)), changed.WeightRoots[0]);
        }
        // A corrupt sidecar is ignored and rewritten.
        File.WriteAllBytes(ModelRoots.SidecarPath(path), [1, 2, 3]);
        using (var m = ModelReader.Open(path))
        {
            Assert.False(ModelRoots.Load(m).FromCache);
            Assert.True(ModelRoots.Load(m).FromCache);
        }
    }

    private static string Error(string path) => Assert.Throws<InvalidModelException>(() => { using var _ = ModelReader.Open(path); }).Message;

    private string Patched(string src, Action<byte[]> patch)
    {
        var b = File.ReadAllBytes(src);
        patch(b);
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".opml");
        File.WriteAllBytes(path, b);
        return path;
    }

    [Fact]
    public void BadFilesGiveClearErrors()
    {
        var good = _dir.Synth(ArchitectureKind.Llama);
        var bytes = File.ReadAllBytes(good);
        using var m = ModelReader.Open(good);
        int n = m.Nodes.Count;

        Assert.Contains("truncated", Error(WriteTruncated(bytes, 100)));
        Assert.Contains("truncated", Error(WriteTruncated(bytes, bytes.Length - 10)));
        Assert.Contains("no such file", Error(_dir.File("missing.opml")));
        Assert.Contains("wrong magic", Error(Patched(good, b => b[0] = (byte)'X')));
        Assert.Contains("version", Error(Patched(good, b => b[8] = 9)));
        Assert.Contains("output node", Error(Patched(good, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(52), (uint)n))));
        // Descriptor bytes broken: unknown op code in node 2.
        Assert.Contains("node 2: invalid descriptor", Error(Patched(good, b => b[256 + 2 * 352 + 6] = 99)));
        // A weight offset pointing past the end; another one overlapping its neighbour.
        long table = 256 + (long)n * 352;
        Assert.Contains("outside", Error(Patched(good, b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan((int)table + 24), bytes.Length + 4096L))));
        Assert.Contains("overlap", Error(Patched(good, b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan((int)table + 48 + 24), m.Weights[0].Offset))));
        Assert.Contains("aligned", Error(Patched(good, b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan((int)table + 24), m.Weights[0].Offset + 1))));
    }

    private string WriteTruncated(byte[] bytes, int length)
    {
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".opml");
        File.WriteAllBytes(path, bytes[..length]);
        return path;
    }

    // A hand-made three-node graph: x (task input I8[1,4]) → MatMul(W0) → Requant → Argmax.
    private static (List<NodeDescriptor> Nodes, List<WeightSource> Weights) Small()
    {
        var x = InputRef.TaskInput(new TensorSpec(ElemType.I8, 1, 4));
        var w = QTensor.I8([3, 4], 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        var mm = new NodeDescriptor(OpCode.MatMul, new TensorSpec(ElemType.I8, 1, 3), [x, InputRef.Weight(0, w.Spec)], [1 << 30, 31, -128, 127, 0, 0]);
        var rq = new NodeDescriptor(OpCode.Requant, new TensorSpec(ElemType.I8, 1, 3), [InputRef.Node(0, 0, mm.Output)], [1, 0, 0, 127]);
        var am = new NodeDescriptor(OpCode.Argmax, new TensorSpec(ElemType.I32, 1), [InputRef.Node(1, 0, rq.Output)]);
        return ([mm, rq, am], [WeightSource.FromTensor(w)]);
    }

    private string WriteUnchecked(List<NodeDescriptor> nodes, List<WeightSource> weights, int output = 2)
    {
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".opml");
        ModelWriter.Write(path, new ModelDefinition("test", nodes, weights, output, 4, 1), null, validate: false);
        return path;
    }

    [Fact]
    public void GraphInconsistenciesAreRejectedByReaderAndWriter()
    {
        var (nodes, weights) = Small();
        using (var ok = ModelReader.Open(WriteUnchecked(nodes, weights))) Assert.Equal(3, ok.Nodes.Count);

        // Reference to a later slot in the same pass: node 1 reads NODE(2, 0).
        var bad = nodes.ToList();
        bad[1] = new NodeDescriptor(OpCode.Requant, new TensorSpec(ElemType.I32, 1), [InputRef.Node(2, 0, nodes[2].Output)], [1, 0, 0, 127]);
        Assert.Contains("refers to a node at or after this one", Error(WriteUnchecked(bad, weights)));
        // Self reference with lag 0.
        bad = nodes.ToList();
        bad[1] = new NodeDescriptor(OpCode.Requant, new TensorSpec(ElemType.I8, 1, 3), [InputRef.Node(1, 0, nodes[1].Output)], [1, 0, 0, 127]);
        Assert.Contains("NODE(1, 0)", Error(WriteUnchecked(bad, weights)));
        // ... but with lag 1 it is fine.
        bad[1] = new NodeDescriptor(OpCode.Requant, new TensorSpec(ElemType.I8, 1, 3), [InputRef.Node(1, 1, nodes[1].Output)], [1, 0, 0, 127]);
        using (var ok = ModelReader.Open(WriteUnchecked(bad, weights))) Assert.Equal(1u, ok.Nodes[1].Inputs[0].Lag);
        // Missing weight.
        bad = nodes.ToList();
        bad[0] = new NodeDescriptor(OpCode.MatMul, nodes[0].Output, [nodes[0].Inputs[0], InputRef.Weight(5, nodes[0].In(1))], [1 << 30, 31, -128, 127, 0, 0]);
        Assert.Contains("WEIGHT(5) does not exist", Error(WriteUnchecked(bad, weights)));
        // Declared weight shape differs from the registered one.
        var w2 = QTensor.I8([2, 4], 1, 2, 3, 4, 5, 6, 7, 8);
        Assert.Contains("declares I8[3, 4] but WEIGHT(0) is I8[2, 4]", Error(WriteUnchecked(nodes, [WeightSource.FromTensor(w2)])));
        // Declared input shape differs from the producer's output (node 2 declares I8[3] where node 1 gives I8[1, 3]).
        bad = nodes.ToList();
        bad[2] = new NodeDescriptor(OpCode.Argmax, new TensorSpec(ElemType.I32, 1), [InputRef.Node(1, 0, new TensorSpec(ElemType.I8, 3))]);
        Assert.Contains("declares I8[3] but node 1 (Requant) outputs I8[1, 3]", Error(WriteUnchecked(bad, weights)));
        // Output node out of range.
        Assert.Contains("output node 3 out of range", Error(WriteUnchecked(nodes, weights, output: 3)));
        // The writer refuses the same graphs up front.
        bad = nodes.ToList();
        bad[1] = new NodeDescriptor(OpCode.Requant, new TensorSpec(ElemType.I32, 1), [InputRef.Node(2, 0, nodes[2].Output)], [1, 0, 0, 127]);
        Assert.Throws<InvalidModelException>(() => ModelWriter.Write(_dir.File("x.opml"), new ModelDefinition("test", bad, weights, 2, 4, 1)));
    }
}
