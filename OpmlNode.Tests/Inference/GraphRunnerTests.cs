using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OpmlNode.Crypto;
using OpmlNode.Inference;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using OpmlNode.Inference.Ops;
using OpmlNode.Merkle;
using OpmlNode.Vm;

namespace OpmlNode.Tests.Inference;

public class GraphRunnerTests : IDisposable
{
    private readonly ModelTempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static byte[] InputFor(IModel m, ArchitectureKind arch) => arch switch
    {
        ArchitectureKind.Llama => ModelSynth.PromptInput([3, 17, 42]),
        ArchitectureKind.Bert => ModelSynth.IdsInput([1, 5, 9, 33, 2]),
        _ => ModelSynth.RandomInput(m, 3),
    };

    [Theory]
    [InlineData(ArchitectureKind.Mlp, 1)]
    [InlineData(ArchitectureKind.Llama, 6)]
    [InlineData(ArchitectureKind.Bert, 1)]
    public void ScalarAndCpuBackendsAgreeOnEverySlot(ArchitectureKind arch, int passes)
    {
        using var m = ModelReader.Open(_dir.Synth(arch));
        var input = InputFor(m, arch);
        var scalar = new GraphRunner(m, ScalarBackend.Instance).Run(input, passes);
        var cpu = new GraphRunner(m, CpuBackend.Instance).Run(input, passes);
        Assert.Equal((long)passes * m.Nodes.Count, scalar.SlotCount);
        Assert.True(scalar.SlotRoots.SequenceEqual(cpu.SlotRoots));
        Assert.Equal(scalar.FinalRoot, cpu.FinalRoot);
        Assert.Equal(scalar.Output.Data, cpu.Output.Data);
        Assert.Equal(MerkleMath.TensorRoot(scalar.Output.Data), scalar.SlotRoot(scalar.OutputSlot));
        // Deterministic: a second run gives the same root; another input gives another one.
        Assert.Equal(cpu.FinalRoot, new GraphRunner(m).Run(input, passes).FinalRoot);
        var other = arch == ArchitectureKind.Mlp ? ModelSynth.RandomInput(m, 4) : arch == ArchitectureKind.Llama ? ModelSynth.PromptInput([5]) : ModelSynth.IdsInput([1, 7]);
        Assert.NotEqual(cpu.FinalRoot, new GraphRunner(m).Run(other, passes).FinalRoot);
    }

    [Fact]
    public void StateRootsAndSlotProofs()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Llama));
        var run = new GraphRunner(m).Run(InputFor(m, ArchitectureKind.Llama), 3);
        long N = run.SlotCount;
        Assert.Equal(ZeroHashes.At(GraphRunner.SlotDepth), run.StateRoot(0));
        Assert.Equal(run.FinalRoot, run.StateRoot(N));
        var tree = new MerkleTree(GraphRunner.SlotDepth);
        var rng = new Random(5);
        var check = new HashSet<long> { 0, 1, N / 2, N - 1 };
        while (check.Count < 12) check.Add(rng.NextInt64(N));
        for (long i = 0; i < N; i++)
        {
            if (check.Contains(i))
            {
                Assert.Equal(tree.Root, run.StateRoot(i));
                var proof = run.TransitionProof(i);
                Assert.Equal(Hash256.Zero, proof.Leaf);
                Assert.True(proof.Verify(run.StateRoot(i), (ulong)i));
                Assert.Equal(run.StateRoot(i + 1), proof.ComputeRoot((ulong)i, run.SlotRoot(i)));
                Assert.False(proof.Verify(run.StateRoot(i + 1), (ulong)i));
                // An earlier slot proved against S_i (input linking).
                if (i > 0)
                {
                    long k = rng.NextInt64(i);
                    var pk = run.SlotProof(k, i);
                    Assert.Equal(run.SlotRoot(k), pk.Leaf);
                    Assert.True(pk.Verify(run.StateRoot(i), (ulong)k));
                }
            }
            tree.SetLeaf((ulong)i, run.SlotRoot(i));
        }
        Assert.Equal(tree.Root, run.FinalRoot);
    }

    [Fact]
    public void LagSemanticsPositionCounterAndKvCacheRows()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Llama));
        int n = m.Nodes.Count, passes = 5;
        int posNode = Enumerable.Range(0, n).Single(j => m.Nodes[j].Op == OpCode.Position);
        int kvNode = Enumerable.Range(0, n).First(j => m.Nodes[j].Op == OpCode.ScatterRow && m.Nodes[j].Output.Type == ElemType.I8);
        int tokNode = Enumerable.Range(0, n).Single(j => m.Nodes[j].Op == OpCode.TokenSelect);
        int argNode = Enumerable.Range(0, n).Single(j => m.Nodes[j].Op == OpCode.Argmax);
        var positions = new List<int[]>();
        var kv = new List<byte[]>();
        var toks = new List<int>();
        var preds = new List<int>();
        var opts = new GraphRunOptions
        {
            SlotCompleted = (g, output) =>
            {
                int j = (int)(g % n);
                if (j == posNode) positions.Add(MemoryMarshal.Cast<byte, int>(output).ToArray());
                if (j == kvNode) kv.Add(output.ToArray());
                if (j == tokNode) toks.Add(BinaryPrimitives.ReadInt32LittleEndian(output));
                if (j == argNode) preds.Add(BinaryPrimitives.ReadInt32LittleEndian(output));
            },
        };
        var prompt = new[] { 3, 17, 42 };
        var run = new GraphRunner(m).Run(ModelSynth.PromptInput(prompt), passes, opts);
        for (int p = 0; p < passes; p++) Assert.Equal([p, p + 1], positions[p]);
        // TokenSelect: prompt tokens first, then the previous pass's prediction.
        for (int p = 0; p < passes; p++) Assert.Equal(p < prompt.Length ? prompt[p] : preds[p - 1], toks[p]);
        int cols = m.Nodes[kvNode].Output.Cols, rows = m.Nodes[kvNode].Output.Rows;
        for (int p = 0; p < passes; p++)
            for (int r = 0; r < rows; r++)
            {
                bool filled = kv[p].AsSpan(r * cols, cols).ContainsAnyExcept((byte)0);
                if (r > p) Assert.False(filled, $"pass {p}: row {r} must still be zero");
                else Assert.True(filled, $"pass {p}: row {r} must be filled");
                if (r < p) Assert.True(kv[p].AsSpan(r * cols, cols).SequenceEqual(kv[p - 1].AsSpan(r * cols, cols)), "earlier rows are kept");
            }
        // The output (token buffer) holds the prediction of pass p at row p.
        var buf = run.Output.ToInts();
        for (int p = 0; p < passes; p++) Assert.Equal(preds[p], buf[p]);
        Assert.All(buf[passes..], v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData("tiny", 10)]
    [InlineData("small", 5)]
    public void IncrementalSlotRootsEqualFullRoots(string preset, int passes)
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Llama, preset));
        int n = m.Nodes.Count;
        var input = ModelSynth.PromptInput([3, 17]);
        // Threshold 0: every self-reading node (KV caches, token buffer) goes through IncrementalTensorRoot.
        Assert.Contains(Enumerable.Range(0, n), j => m.Nodes[j].Inputs.Any(r => r.Kind == RefKind.Node && r.Index == j));
        var observed = new List<Hash256>();
        var cached = new GraphRunner(m).Run(input, passes, new GraphRunOptions
        {
            IncrementalRootMinBytes = 0,
            SlotCompleted = (g, output) => observed.Add(MerkleMath.TensorRoot(output)),
        });
        var full = new GraphRunner(m).Run(input, passes, new GraphRunOptions { IncrementalRootMinBytes = int.MaxValue });
        var byDefault = new GraphRunner(m).Run(input, passes);
        Assert.True(observed.SequenceEqual(cached.SlotRoots.ToArray()), "each slot root is the tensor root of its output");
        Assert.True(full.SlotRoots.SequenceEqual(cached.SlotRoots));
        Assert.Equal(full.FinalRoot, cached.FinalRoot);
        Assert.Equal(full.FinalRoot, byDefault.FinalRoot);
        Assert.Equal(full.StateRoot(n * passes / 2 + 1), cached.StateRoot(n * passes / 2 + 1));
    }

    [Theory]
    [InlineData(ArchitectureKind.Llama, "tiny", 8)]
    [InlineData(ArchitectureKind.Llama, "small", 6)]
    [InlineData(ArchitectureKind.Bert, "tiny", 1)]
    [InlineData(ArchitectureKind.Bert, "small", 1)]
    [InlineData(ArchitectureKind.Mlp, "tiny", 1)]
    [InlineData(ArchitectureKind.Mlp, "small", 1)]
    public void ActivationsAreNeitherSaturatedNorDeadAndLogitsVary(ArchitectureKind arch, string preset, int passes)
    {
        using var m = ModelReader.Open(_dir.Synth(arch, preset, seed: 11));
        int n = m.Nodes.Count;
        var logits = new List<int[]>();
        long i8Count = 0, saturated = 0, zero = 0, signedCount = 0;
        int logitNode = Enumerable.Range(0, n).Single(j => m.Nodes[j].Op == OpCode.Argmax) - 1;
        var opts = new GraphRunOptions
        {
            SlotCompleted = (g, output) =>
            {
                int j = (int)(g % n);
                var d = m.Nodes[j];
                if (j == logitNode) logits.Add(MemoryMarshal.Cast<byte, int>(output).ToArray());
                // ReLU outputs (qmin = 0) are zero about half the time by design: zeros are counted for signed outputs only.
                if (d.Output.Type == ElemType.I8 && d.Op is OpCode.MatMul or OpCode.Norm or OpCode.Add or OpCode.Attention or OpCode.Mul)
                    foreach (sbyte v in MemoryMarshal.Cast<byte, sbyte>(output))
                    {
                        i8Count++;
                        if (v is 127 or -128) saturated++;
                        if (QMin(d) < 0) signedCount++;
                        if (v == 0 && QMin(d) < 0) zero++;
                    }
            },
        };
        var input = arch == ArchitectureKind.Llama ? ModelSynth.PromptInput([1, 2, 3, 4]) : ModelSynth.RandomInput(m, 5);
        var run = new GraphRunner(m).Run(input, passes, opts);
        Assert.Equal(ElemType.I32, m.Nodes[logitNode].Output.Type);
        Assert.True(i8Count > 0);
        Assert.True(saturated < i8Count / 20, $"{saturated}/{i8Count} activations saturated");
        Assert.True(zero <= signedCount / 4, $"{zero}/{signedCount} signed activations zero");
        foreach (var l in logits) Assert.True(l.Distinct().Count() > l.Length / 2, "logits are (nearly) constant");
        Assert.True(logits.Select(l => string.Join(",", l)).Distinct().Count() == logits.Count, "logits differ between passes");
        if (arch == ArchitectureKind.Llama) Assert.True(run.Output.ToInts().Take(passes).Distinct().Count() > 1, "the model predicts more than one token");
        else
        {
            // Another input gives other logits.
            var other = new List<int[]>();
            new GraphRunner(m).Run(ModelSynth.RandomInput(m, 6), 1, new GraphRunOptions
            {
                SlotCompleted = (g, output) => { if (g == logitNode) other.Add(MemoryMarshal.Cast<byte, int>(output).ToArray()); },
            });
            Assert.NotEqual(logits[0], other[0]);
        }
    }

    [Fact]
    public void SlotStartComposition()
    {
        var path = _dir.Synth(ArchitectureKind.Llama);
        using var m = ModelReader.Open(path);
        var roots = ModelRoots.Load(m);
        var input = ModelSynth.PromptInput([3, 17, 42]);
        var runner = new GraphRunner(m);
        var run = runner.Run(input, 3);
        int n = m.Nodes.Count;
        var vm = VmBackend.Embedded();
        var program = vm.ProgramRoot();
        // Every node of pass 0 (lag reads before pass 0) and pass 2 (lag reads of pass 1).
        foreach (long g in Enumerable.Range(0, n).Select(j => (long)j).Concat(Enumerable.Range(2 * n, n).Select(j => (long)j)))
        {
            var s = runner.ComposeSlotStart(input, 3, g, roots);
            int j = (int)(g % n), p = (int)(g / n);
            Assert.Equal(m.DescriptorBytes(j).ToArray(), s.Descriptor);
            Assert.True(s.DescriptorProof.Verify(roots.DescriptorsRoot, (ulong)j));
            Assert.Equal(s.DescriptorRoot, s.DescriptorProof.Leaf);
            Assert.Equal(run.StateRoot(g), s.StateRoot);
            Assert.Equal(run.InputRoot, s.InputRoot);
            var outBytes = new byte[m.Nodes[j].Output.ByteLength];
            ScalarBackend.Instance.Execute(m.Nodes[j], s.Inputs.Select(i => (ReadOnlyMemory<byte>)i.Bytes).ToArray(), outBytes);
            Assert.Equal(run.SlotRoot(g), MerkleMath.TensorRoot(outBytes)); // the inputs reproduce the slot's output
            foreach (var inp in s.Inputs)
            {
                Assert.Equal(MerkleMath.TensorRoot(inp.Bytes), inp.Root);
                Assert.Equal(inp.Ref.Spec.ByteLength, inp.Bytes.Length);
                switch (inp.Ref.Kind)
                {
                    case RefKind.Weight:
                        Assert.Equal(roots.WeightRoots[(int)inp.Ref.Index], inp.Root);
                        Assert.True(inp.Proof!.Verify(roots.WeightsRoot, inp.Ref.Index));
                        break;
                    case RefKind.TaskInput:
                        Assert.Equal(run.InputRoot, inp.Root);
                        break;
                    default:
                        if (p < inp.Ref.Lag)
                        {
                            Assert.Equal(-1, inp.SourceSlot);
                            Assert.Equal(ZeroHashes.At(MerkleMath.TensorDepth), inp.Root);
                        }
                        else
                        {
                            Assert.Equal((p - inp.Ref.Lag) * n + inp.Ref.Index, inp.SourceSlot);
                            Assert.Equal(run.SlotRoot(inp.SourceSlot), inp.Root);
                            Assert.True(inp.Proof!.Verify(s.StateRoot, (ulong)inp.SourceSlot));
                        }
                        break;
                }
            }
            // The root the contract composes from roots alone is the root of the memory the VM actually starts from.
            var memory = new PagedMemory();
            vm.LoadStartMemory(memory, s.Descriptor, s.Inputs.Select(i => (ReadOnlyMemory<byte>)i.Bytes).ToArray());
            Assert.Equal(memory.Root(), s.MemoryRoot(program));
        }
    }

    [Fact]
    public void TaskInputLongerThanTheLimitIsRejected()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Mlp));
        Assert.Throws<ArgumentException>(() => new GraphRunner(m).Run(new byte[m.InputSizeLimit + 1], 1));
        // Shorter is zero-padded, which is the same as explicit zeros (same root).
        var shortIn = new byte[10];
        shortIn[3] = 9;
        var full = new byte[m.InputSizeLimit];
        full[3] = 9;
        Assert.Equal(new GraphRunner(m).Run(full, 1).FinalRoot, new GraphRunner(m).Run(shortIn, 1).FinalRoot);
    }

    [Fact]
    public void LagsBeyondThePassCountReadZerosWithoutAllocatingRings()
    {
        // counter = Position(NODE(self, 1)); echo = Add(NODE(counter, 3), NODE(counter, uint.MaxValue)) reads counter
        // three passes back (zeros in passes 0..2) and zeros forever from the huge lag.
        var i32x2 = new TensorSpec(ElemType.I32, 2);
        var pos = new NodeDescriptor(OpCode.Position, i32x2, [InputRef.Node(0, 1, i32x2)]);
        var echo = new NodeDescriptor(OpCode.Add, i32x2, [InputRef.Node(0, 3, i32x2), InputRef.Node(0, uint.MaxValue, i32x2)], [1 << 14, 14, int.MinValue, int.MaxValue, 1 << 14]);
        var path = _dir.File("lag.opml");
        ModelWriter.Write(path, new ModelDefinition("test/lag", [pos, echo], [], 1, 0, 1));
        using var m = ModelReader.Open(path);
        var outs = new List<int[]>();
        new GraphRunner(m).Run(Array.Empty<byte>(), 6, new GraphRunOptions
        {
            SlotCompleted = (g, o) => { if (g % 2 == 1) outs.Add(MemoryMarshal.Cast<byte, int>(o).ToArray()); },
        });
        for (int p = 0; p < 6; p++) Assert.Equal(p < 3 ? [0, 0] : new[] { p - 3, p - 2 }, outs[p]);
    }

    private static int QMin(NodeDescriptor d) => d.Parameters switch
    {
        MatMulParams p => p.QMin,
        NormParams p => p.QMin,
        AddParams p => p.QMin,
        AttentionParams p => p.QMin,
        MulParams p => p.QMin,
        _ => throw new ArgumentException($"{d.Op} has no clamp"),
    };
}
