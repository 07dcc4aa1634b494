using System.Buffers.Binary;
using System.Text.Json;
using OpmlNode.Crypto;
using OpmlNode.Inference.Graphs;
using OpmlNode.Merkle;
using OpmlNode.Storage;
using OpmlNode.Vm;

namespace OpmlNode.Dispute.Storage;

/// <summary>What a stored graph trace was computed from and what it holds besides the slot roots.</summary>
public sealed record StoredGraphMeta(string WeightsRoot, string DescriptorsRoot, string InputRoot, int Passes, long SlotCount, long OutputSlot,
    string OutputHex, int CheckpointInterval);

/// <summary>
/// One task's honest traces on disk (docs/OPS.md is silent on this; it is node-local). In <see cref="DbColumn.SlotRoots"/>,
/// keys task ‖ tag ‖ index: 'r' i → slot root r_i, 's' i → S_i, 'c' p → the native checkpoint of pass p, 'm' → the
/// <see cref="StoredGraphMeta"/>, written last, so a trace without it is incomplete and computed again. Interior nodes of
/// every S_i go to <see cref="DbColumn.MerkleNodes"/> by content under the task's prefix (task ‖ keccak → preimage). In
/// <see cref="DbColumn.VmCheckpoints"/>: 'T' ‖ task ‖ slot ‖ 'h' → a slot's VM run header, … ‖ 'c' ‖ n → its n-th
/// checkpoint (registers, and the hashes of the pages that differ from checkpoint n − 1: a node's weights are listed once,
/// not in each of its thousands of checkpoints), and 'P' ‖ task ‖ keccak(page) → the page's 4096 bytes, shared by every
/// checkpoint of the task holding the same page. Content is shared within a task only (where nearly all of the sharing
/// is: S_{i+1} differs from S_i in 32 nodes), so <see cref="Clear"/> deletes a task's trace by its prefixes.
/// </summary>
public sealed class TaskTraceStore(IColumnsDb<DbColumn> db, ulong taskId)
{
    private const int SlotsPerBatch = 4096;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly IKeyValueStore _slots = db.GetColumn(DbColumn.SlotRoots);
    private readonly IKeyValueStore _vm = db.GetColumn(DbColumn.VmCheckpoints);

    public ulong TaskId { get; } = taskId;
    public ContentAddressedNodes Nodes { get; } = new(new KeyPrefixedStore(db.GetColumn(DbColumn.MerkleNodes), Keys.U64(taskId)));

    // ---------------------------------------------------------------- graph trace

    /// <summary>The stored trace's description, or null when none is complete.</summary>
    public StoredGraphMeta? Meta => _slots.Get(SlotKey('m', 0)) is { } v ? JsonSerializer.Deserialize<StoredGraphMeta>(v, Json) : null;

    /// <summary>The stored slot roots r_0..r_{N−1} (call only when <see cref="Meta"/> is set).</summary>
    public Hash256[] SlotRoots(long count)
    {
        var roots = new Hash256[count];
        long i = 0;
        foreach (var kv in _slots.Iterate(SlotPrefix('r')))
        {
            long k = (long)Keys.ReadU64(kv.Key, 9);
            if (k != i || kv.Value.Length != Hash256.Size) throw new StorageException(StorageErrorKind.Corrupted, $"storage: slot roots of task {TaskId} are damaged at slot {i}");
            roots[i++] = new Hash256(kv.Value);
        }
        if (i != count) throw new StorageException(StorageErrorKind.Corrupted, $"storage: task {TaskId} has {i} of its {count} slot roots");
        return roots;
    }

    public Hash256? StateRoot(long i) => _slots.Get(SlotKey('s', (ulong)i)) is { Length: Hash256.Size } v ? new Hash256(v) : null;

    public ISlotTree Tree(long slotCount) => new StoredSlotTree(this, Nodes, slotCount);

    /// <summary>Stores the native checkpoint of its pass (idempotent: the same pass always has the same checkpoint).</summary>
    public void PutCheckpoint(PassCheckpoint checkpoint) => _slots.Put(SlotKey('c', (ulong)checkpoint.Pass), checkpoint.Encode());

    /// <summary>The nearest stored checkpoint at or before <paramref name="pass"/> on the interval's grid, or null (start from pass 0).</summary>
    public PassCheckpoint? CheckpointAtOrBefore(int pass, int interval)
    {
        for (int q = pass - pass % interval; q > 0; q -= interval)
            if (_slots.Get(SlotKey('c', (ulong)q)) is { } v) return PassCheckpoint.Decode(v);
        return null;
    }

    /// <summary>
    /// Writes the slot roots, every S_i, the interior nodes of every S_i, then the meta (last: it marks the trace complete),
    /// in batches of <see cref="SlotsPerBatch"/> slots.
    /// </summary>
    public void PutGraph(ReadOnlySpan<Hash256> slotRoots, StoredGraphMeta meta)
    {
        var tree = new SlotTreeWriter();
        var batch = db.StartWriteBatch();
        try
        {
            batch.Put(DbColumn.SlotRoots, SlotKey('s', 0), tree.Root.Bytes);
            var nodes = KeyPrefixedStore.Writer(batch.Column(DbColumn.MerkleNodes), Keys.U64(TaskId));
            for (int i = 0; i < slotRoots.Length; i++)
            {
                var s = tree.Append(slotRoots[i], nodes);
                batch.Put(DbColumn.SlotRoots, SlotKey('r', (ulong)i), slotRoots[i].Bytes);
                batch.Put(DbColumn.SlotRoots, SlotKey('s', (ulong)i + 1), s.Bytes);
                if ((i + 1) % SlotsPerBatch == 0)
                {
                    batch.Commit();
                    batch.Dispose();
                    batch = db.StartWriteBatch();
                    nodes = KeyPrefixedStore.Writer(batch.Column(DbColumn.MerkleNodes), Keys.U64(TaskId));
                }
            }
            batch.Put(DbColumn.SlotRoots, SlotKey('m', 0), JsonSerializer.SerializeToUtf8Bytes(meta, Json));
            batch.Commit();
        }
        finally
        {
            batch.Dispose();
        }
    }

    /// <summary>Removes everything stored for this task: slot roots, checkpoints, Merkle nodes, VM runs and pages. Returns the keys deleted.</summary>
    public int Clear()
    {
        using var b = db.StartWriteBatch();
        foreach (var kv in _slots.Iterate(Keys.U64(TaskId))) b.Delete(DbColumn.SlotRoots, kv.Key);
        foreach (var kv in db.GetColumn(DbColumn.MerkleNodes).Iterate(Keys.U64(TaskId))) b.Delete(DbColumn.MerkleNodes, kv.Key);
        foreach (var kv in _vm.Iterate(VmTaskPrefix())) b.Delete(DbColumn.VmCheckpoints, kv.Key);
        foreach (var kv in _vm.Iterate(PagePrefix())) b.Delete(DbColumn.VmCheckpoints, kv.Key);
        int deleted = b.Count;
        b.Commit();
        return deleted;
    }

    // ---------------------------------------------------------------- VM runs

    // A VM checkpoint record: step u64, pc u32, 32 registers, pages in the checkpoint i32, pages listed i32, then per
    // listed page its index u32 and hash.
    private const int CheckpointHeader = 148;

    /// <summary>Stores a slot's VM run: its pages by content, its checkpoints, then its header (last: it marks the run complete).</summary>
    public void PutVmRun(VmRun run)
    {
        using var b = db.StartWriteBatch();
        // Consecutive checkpoints share the arrays of pages not written between them (copy-on-write snapshots): each
        // array is hashed and written once, and a checkpoint lists only the pages whose array changed since the last.
        var hashes = new Dictionary<byte[], Hash256>(ReferenceEqualityComparer.Instance);
        var previous = new Dictionary<uint, byte[]>();
        for (int n = 0; n < run.Checkpoints.Count; n++)
        {
            var cp = run.Checkpoints[n];
            var changed = cp.Memory.Pages.Where(p => !previous.TryGetValue(p.Page, out var was) || !ReferenceEquals(was, p.Bytes)).ToList();
            if (previous.Count + changed.Count(p => !previous.ContainsKey(p.Page)) != cp.Memory.Pages.Count)
                throw new InvalidOperationException($"VM run of slot {run.Slot}: checkpoint {n} lost pages of checkpoint {n - 1}; pages are never freed");
            var value = new byte[CheckpointHeader + changed.Count * (4 + Hash256.Size)];
            var s = value.AsSpan();
            BinaryPrimitives.WriteUInt64LittleEndian(s, cp.Step);
            BinaryPrimitives.WriteUInt32LittleEndian(s[8..], cp.Pc);
            for (int r = 0; r < 32; r++) BinaryPrimitives.WriteUInt32LittleEndian(s[(12 + 4 * r)..], cp.Regs[r]);
            BinaryPrimitives.WriteInt32LittleEndian(s[140..], cp.Memory.Pages.Count);
            BinaryPrimitives.WriteInt32LittleEndian(s[144..], changed.Count);
            int o = CheckpointHeader;
            foreach (var (page, bytes) in changed)
            {
                if (!hashes.TryGetValue(bytes, out var h))
                {
                    h = Keccak256.Hash(bytes);
                    hashes[bytes] = h;
                    b.Put(DbColumn.VmCheckpoints, PageKey(h), bytes);
                }
                BinaryPrimitives.WriteUInt32LittleEndian(s[o..], page);
                h.CopyTo(s[(o + 4)..]);
                o += 4 + Hash256.Size;
                previous[page] = bytes;
            }
            b.Put(DbColumn.VmCheckpoints, VmKey(run.Slot, 'c', (ulong)n), value);
        }
        var header = new byte[4 + 8 + Hash256.Size + VmState.Size + 16 * Hash256.Size + 4];
        var hs = header.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(hs, run.CheckpointInterval);
        BinaryPrimitives.WriteUInt64LittleEndian(hs[4..], run.Steps);
        run.StartHash.CopyTo(hs[12..]);
        run.FinalState.CopyTo(hs[44..]);
        for (int r = 0; r < 16; r++) run.FinalRegions[r].CopyTo(hs[(44 + VmState.Size + 32 * r)..]);
        BinaryPrimitives.WriteInt32LittleEndian(hs[^4..], run.Checkpoints.Count);
        b.Put(DbColumn.VmCheckpoints, VmKey(run.Slot, 'h', 0), header);
        b.Commit();
    }

    /// <summary>Slot <paramref name="slot"/>'s stored VM run, or null when none is complete.</summary>
    public VmRun? VmRun(long slot)
    {
        if (_vm.Get(VmKey(slot, 'h', 0)) is not { } h) return null;
        if (h.Length != 4 + 8 + Hash256.Size + VmState.Size + 16 * Hash256.Size + 4) throw Damaged(slot, "header");
        int interval = BinaryPrimitives.ReadInt32LittleEndian(h);
        ulong steps = BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(4));
        var startHash = new Hash256(h.AsSpan(12, 32));
        var final = h.AsSpan(44, VmState.Size).ToArray();
        var regions = new Hash256[16];
        for (int r = 0; r < 16; r++) regions[r] = new Hash256(h.AsSpan(44 + VmState.Size + 32 * r, 32));
        int count = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(h.Length - 4));
        var checkpoints = new List<VmRun.Checkpoint>(count);
        var read = new Dictionary<Hash256, byte[]>(); // a page shared by checkpoints is read, checked and held once
        var memory = new Dictionary<uint, byte[]>(); // checkpoint n's pages: n − 1's with n's changes
        for (int n = 0; n < count; n++)
        {
            var v = _vm.Get(VmKey(slot, 'c', (ulong)n)) ?? throw Damaged(slot, $"checkpoint {n}");
            if (v.Length < CheckpointHeader) throw Damaged(slot, $"checkpoint {n}");
            var regs = new uint[32];
            for (int r = 0; r < 32; r++) regs[r] = BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(12 + 4 * r));
            int total = BinaryPrimitives.ReadInt32LittleEndian(v.AsSpan(140)), changed = BinaryPrimitives.ReadInt32LittleEndian(v.AsSpan(144));
            if (changed < 0 || v.Length != CheckpointHeader + (long)changed * (4 + Hash256.Size)) throw Damaged(slot, $"checkpoint {n}");
            for (int p = 0; p < changed; p++)
            {
                int o = CheckpointHeader + p * (4 + Hash256.Size);
                var hash = new Hash256(v.AsSpan(o + 4, Hash256.Size));
                if (!read.TryGetValue(hash, out var bytes))
                {
                    bytes = _vm.Get(PageKey(hash));
                    if (bytes is not { Length: PagedMemory.PageSize } || Keccak256.Hash(bytes) != hash) throw Damaged(slot, $"page {hash}");
                    read[hash] = bytes;
                }
                memory[BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(o))] = bytes;
            }
            if (memory.Count != total) throw Damaged(slot, $"checkpoint {n} (it holds {memory.Count} pages, not {total})");
            var list = memory.Select(kv => (kv.Key, kv.Value)).ToList();
            checkpoints.Add(new VmRun.Checkpoint(BinaryPrimitives.ReadUInt64LittleEndian(v), BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(8)), regs, new MemorySnapshot(list)));
        }
        return new VmRun(slot, interval, steps, startHash, final, regions, checkpoints);
    }

    private StorageException Damaged(long slot, string what) =>
        new(StorageErrorKind.Corrupted, $"storage: the VM run of task {TaskId} slot {slot} is damaged ({what})");

    private byte[] SlotKey(char tag, ulong index)
    {
        var k = new byte[17];
        BinaryPrimitives.WriteUInt64BigEndian(k, TaskId);
        k[8] = (byte)tag;
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(9), index);
        return k;
    }

    private byte[] SlotPrefix(char tag) => [.. Keys.U64(TaskId), (byte)tag];

    private byte[] VmTaskPrefix() => [(byte)'T', .. Keys.U64(TaskId)];

    private byte[] VmKey(long slot, char tag, ulong index) => [.. VmTaskPrefix(), .. Keys.U64((ulong)slot), (byte)tag, .. Keys.U64(index)];

    private byte[] PagePrefix() => [(byte)'P', .. Keys.U64(TaskId)];

    private byte[] PageKey(in Hash256 hash) => [.. PagePrefix(), .. hash.Bytes];
}
