using OpmlNode.Crypto;
using OpmlNode.Dispute;
using OpmlNode.Dispute.Storage;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Graphs;
using OpmlNode.Inference.Models;
using OpmlNode.Merkle;
using OpmlNode.Storage;
using OpmlNode.Tests.Inference;
using OpmlNode.Tests.Storage;

namespace OpmlNode.Tests.Dispute;

/// <summary>
/// A task's traces on disk: the stored slot tree gives every S_i and every proof the in-memory computation gives; native
/// pass checkpoints rebuild each slot's inputs exactly as a run from pass 0 does; a trace and a VM run read back after
/// reopening the database answer every query as the computed ones; a stale trace under the same task id is replaced.
/// </summary>
public sealed class TraceStorageTests : IDisposable
{
    private readonly ModelTempDir _dir = new();
    private static readonly VmBackend Vm = VmBackend.Embedded();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void TheStoredSlotTreeGivesEveryStateRootAndEveryProofExhaustively(string kind)
    {
        using var db = TestDbs.Create(kind);
        var rng = new Random(11);
        var roots = new Hash256[37];
        for (int i = 0; i < roots.Length; i++)
        {
            var b = new byte[32];
            rng.NextBytes(b);
            roots[i] = new Hash256(b);
        }
        var store = new TaskTraceStore(db.Db, 5);
        store.PutGraph(roots, new StoredGraphMeta("w", "d", "i", 1, roots.Length, 0, "", 1));
        var tree = store.Tree(roots.Length);
        var memory = new MemorySlotTree(roots);
        for (long i = 0; i <= roots.Length; i++)
        {
            Assert.Equal(memory.StateRoot(i), tree.StateRoot(i));
            for (long k = 0; k <= i && k < roots.Length; k++)
            {
                var (want, got) = (memory.Proof(k, i), tree.Proof(k, i));
                Assert.Equal(want.Leaf, got.Leaf);
                Assert.Equal(want.Siblings.ToArray(), got.Siblings.ToArray());
            }
        }
        Assert.Equal(roots, store.SlotRoots(roots.Length));
        Assert.Equal(32 * roots.Length, db[DbColumn.MerkleNodes].Iterate([]).Count()); // 32 path nodes per slot, no more
    }

    [Fact]
    public void AMissingMerkleNodeIsReportedAsDamageNotAWrongProof()
    {
        using var db = TestDbs.Create(TestDbs.Mem);
        var roots = Enumerable.Range(1, 4).Select(i => Keccak256.Hash([(byte)i])).ToArray();
        var store = new TaskTraceStore(db.Db, 1);
        store.PutGraph(roots, new StoredGraphMeta("w", "d", "i", 1, roots.Length, 0, "", 1));
        var first = db[DbColumn.MerkleNodes].Iterate([]).First().Key;
        db[DbColumn.MerkleNodes].Delete(first);
        var e = Assert.Throws<StorageException>(() => Enumerable.Range(0, 5).SelectMany(i => Enumerable.Range(0, i + 1).Where(k => k < 4).Select(k => store.Tree(4).Proof(k, i))).ToList());
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void PassCheckpointsRebuildEverySlotsInputsAsARunFromPassZero()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Llama));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var input = ModelSynth.PromptInput([3, 17, 42]);
        const int passes = 4;
        var checkpoints = new List<PassCheckpoint>();
        var runner = new GraphRunner(m);
        var run = runner.Run(input, passes, new GraphRunOptions { PassStarting = checkpoints.Add });
        Assert.Equal(passes, checkpoints.Count);
        Assert.Empty(checkpoints[0].Entries);
        Assert.NotEmpty(checkpoints[2].Entries); // the KV caches and the token buffer
        int n = m.Nodes.Count;
        for (long g = 0; g < passes * n; g++)
        {
            var cp = PassCheckpoint.Decode(checkpoints[(int)(g / n)].Encode()); // through its encoding, as stored
            var fromZero = runner.ComposeSlotStart(input, passes, g, roots);
            var fromCheckpoint = runner.ComposeSlotStart(input, passes, g, roots, run, cp);
            Assert.Equal(fromZero.StateRoot, fromCheckpoint.StateRoot);
            Assert.Equal(fromZero.Inputs.Select(i => i.Bytes), fromCheckpoint.Inputs.Select(i => i.Bytes));
            Assert.Equal(fromZero.Inputs.Select(i => i.Proof?.Siblings.ToArray()), fromCheckpoint.Inputs.Select(i => i.Proof?.Siblings.ToArray()));
            Assert.Equal(run.SlotRoot(g), MerkleMath.TensorRoot(runner.SlotOutput(input, passes, g, cp)));
        }
        // A checkpoint of a later pass cannot serve an earlier slot.
        Assert.Throws<ArgumentException>(() => runner.SlotInputs(input, passes, 0, checkpoints[2]));

        // The size a stored trace plans its checkpoint interval with is the full checkpoints' size; only the passes asked
        // for are checkpointed at all.
        Assert.Equal(checkpoints[^1].ByteCount, runner.CheckpointBytes(passes));
        Assert.Equal(1, GraphTrace.EffectiveCheckpointInterval(runner, passes, 1));
        Assert.Equal(3, GraphTrace.EffectiveCheckpointInterval(runner, passes, 3));
        var some = new List<int>();
        runner.Run(input, passes, new GraphRunOptions { PassStarting = cp => some.Add(cp.Pass), CheckpointPass = p => p % 2 == 1 });
        Assert.Equal([1, 3], some);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01000000")]
    [InlineData("0000000001000000000000000000000009000000")] // an entry longer than the data
    public void ADamagedCheckpointIsAFormatError(string hex) =>
        Assert.Throws<FormatException>(() => PassCheckpoint.Decode(Convert.FromHexString(hex)));

    [Fact]
    public void AStoredTraceReadBackAfterReopeningAnswersAsTheComputedOne()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Llama));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var input = ModelSynth.PromptInput([5, 9]);
        const int passes = 3;
        var reference = new DisputeTask(m, roots, Vm, input, passes, 200_000_000);
        var expect = reference.HonestGraph;
        string dir = TestDbs.NewDirectory();
        try
        {
            long slot = expect.Length - 2;
            using (var db = RocksColumnsDb.Open(new StorageOptions { Path = dir }))
            {
                var first = new DisputeTask(m, roots, Vm, input, passes, 200_000_000, store: new TaskTraceStore(db, 9));
                Assert.False(first.HonestGraph.FromStore);
                first.VmRun(slot);
            }
            using (var db = RocksColumnsDb.Open(new StorageOptions { Path = dir }))
            {
                var store = new TaskTraceStore(db, 9);
                Assert.NotNull(store.VmRun(slot));
                var again = new DisputeTask(m, roots, Vm, input, passes, 200_000_000, store: store);
                var got = again.HonestGraph;
                Assert.True(got.FromStore);
                Assert.Equal(expect.Output, got.Output);
                Assert.Equal(expect.OutputSlot, got.OutputSlot);
                for (long i = 0; i <= expect.Length; i++) Assert.Equal(expect.RootAt(i), got.RootAt(i));
                Assert.Equal(expect.OutputSlotProof().Siblings.ToArray(), got.OutputSlotProof().Siblings.ToArray());
                for (long g = 0; g < expect.Length; g++)
                {
                    Assert.Equal(expect.TransitionProof(g).Siblings.ToArray(), got.TransitionProof(g).Siblings.ToArray());
                    Assert.Equal(expect.Link(g).MemoryRoot(Vm.ProgramRoot()), got.Link(g).MemoryRoot(Vm.ProgramRoot()));
                }
                // The VM run comes from disk and answers as the executed one, honest and lying.
                var (vmWant, vmGot) = (reference.Party().Vm(slot), again.Party().Vm(slot));
                Assert.Equal(vmWant.Steps, vmGot.Steps);
                foreach (long i in new long[] { 0, 1, 65_535, 65_536, 100_000, vmWant.Length - 1, vmWant.Length })
                    if (i <= vmWant.Length) Assert.Equal(vmWant.RootAt(i), vmGot.RootAt(i));
                var (wWant, wGot) = (vmWant.Witness(vmWant.Length / 2), vmGot.Witness(vmGot.Length / 2));
                Assert.Equal(wWant.State, wGot.State);
                Assert.Equal(wWant.Proofs, wGot.Proofs);
                var lie = new FaultInjection(slot);
                Assert.Equal(reference.Party(lie).Graph.FinalRoot, again.Party(lie).Graph.FinalRoot);
                Assert.Equal(reference.Party(lie).Vm(slot).FinalState.ToArray(), again.Party(lie).Vm(slot).FinalState.ToArray());
            }
        }
        finally
        {
            TestDbs.DeleteDirectory(dir);
        }
    }

    [Fact]
    public void WithACheckpointEveryThreePassesEverySlotsLinkIsStillTheSame()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Llama));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        var input = ModelSynth.PromptInput([4, 8]);
        const int passes = 7;
        using var db = TestDbs.Create(TestDbs.Mem);
        var stored = GraphTrace.Honest(m, roots, input, passes, null, new TaskTraceStore(db.Db, 2), checkpointInterval: 3);
        var memory = new GraphTrace(m, roots, input, passes);
        var checkpointPasses = db[DbColumn.SlotRoots].Iterate([.. Keys.U64(2), (byte)'c']).Select(kv => Keys.ReadU64(kv.Key, 9)).ToArray();
        Assert.Equal(new ulong[] { 3, 6 }, checkpointPasses);
        var program = Vm.ProgramRoot();
        for (long g = 0; g < memory.Length; g++)
            Assert.Equal(memory.Link(g).MemoryRoot(program), stored.Link(g).MemoryRoot(program));
    }

    [Fact]
    public void AStaleTraceUnderTheSameTaskIdIsReplaced()
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Mlp));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        using var db = TestDbs.Create(TestDbs.Mem);
        var (a, b) = (TaskInput.Random(m, 1).Bytes, TaskInput.Random(m, 2).Bytes);
        var firstRoot = GraphTrace.Honest(m, roots, a, 1, null, new TaskTraceStore(db.Db, 3)).FinalRoot;
        new DisputeTask(m, roots, Vm, a, 1, 200_000_000, store: new TaskTraceStore(db.Db, 3)).VmRun(0);
        var second = GraphTrace.Honest(m, roots, b, 1, null, new TaskTraceStore(db.Db, 3)); // a reorganisation replaced the request
        Assert.False(second.FromStore);
        Assert.Equal(new GraphTrace(m, roots, b, 1).FinalRoot, second.FinalRoot);
        Assert.NotEqual(firstRoot, second.FinalRoot);
        Assert.Null(new TaskTraceStore(db.Db, 3).VmRun(0)); // the old task's VM run went with it
        Assert.True(GraphTrace.Honest(m, roots, b, 1, null, new TaskTraceStore(db.Db, 3)).FromStore);
    }

    /// <summary>
    /// Deleting a task's traces removes every key of it in the three trace columns, Merkle nodes and VM pages included,
    /// and leaves another task with the same model and input (the same content) whole.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void DeletingATasksTracesLeavesNothingOfItAndAnotherTaskWhole(string kind)
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Mlp));
        var roots = ModelRoots.Load(m, TextWriter.Null);
        using var db = TestDbs.Create(kind);
        var input = TaskInput.Random(m, 4).Bytes;
        DisputeTask Task(ulong id) => new(m, roots, Vm, input, 1, 200_000_000, store: new TaskTraceStore(db.Db, id));
        foreach (ulong id in new ulong[] { 7, 8 })
        {
            var t = Task(id);
            Assert.False(t.HonestGraph.FromStore);
            t.VmRun(0);
        }
        int KeysOf(ulong id) => DbSchema.TraceColumns.Sum(c => db[c].Iterate([]).Count(kv => kv.Key.AsSpan().IndexOf(Keys.U64(id)) is 0 or 1));
        int before = DbSchema.TraceColumns.Sum(c => db[c].Iterate([]).Count());
        Assert.True(KeysOf(7) > 32 * m.Nodes.Count && KeysOf(7) == KeysOf(8), $"{KeysOf(7)} and {KeysOf(8)} keys");

        int deleted = new TaskTraceStore(db.Db, 7).Clear();
        Assert.Equal(before / 2, deleted);
        Assert.Equal(0, KeysOf(7));
        Assert.Equal(before - deleted, DbSchema.TraceColumns.Sum(c => db[c].Iterate([]).Count()));
        Assert.Null(new TaskTraceStore(db.Db, 7).Meta);
        var eight = Task(8);
        Assert.True(eight.HonestGraph.FromStore);
        var memory = new GraphTrace(m, roots, input, 1);
        for (long i = 0; i <= memory.Length; i++) Assert.Equal(memory.RootAt(i), eight.HonestGraph.RootAt(i));
        for (long g = 0; g < memory.Length; g++) Assert.Equal(memory.TransitionProof(g).Siblings.ToArray(), eight.HonestGraph.TransitionProof(g).Siblings.ToArray());
        Assert.NotNull(new TaskTraceStore(db.Db, 8).VmRun(0));
        Assert.False(Task(7).HonestGraph.FromStore); // computed again when needed again
    }
}
