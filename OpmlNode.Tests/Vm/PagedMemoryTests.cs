using OpmlNode.Crypto;
using OpmlNode.Merkle;
using OpmlNode.Vm;

namespace OpmlNode.Tests.Vm;

public class PagedMemoryTests
{
    [Fact]
    public void EmptyMemoryRootIsTheDepth27ZeroHash() => Assert.Equal(ZeroHashes.At(27), new PagedMemory().Root());

    [Fact]
    public void OneLeafRootEqualsRootFromZeroSiblings()
    {
        var mem = new PagedMemory();
        var addr = 0xA0001234u;
        mem.WriteUInt32(addr, 0xDEADBEEF);
        var leafBytes = new byte[32];
        leafBytes[addr & 31] = 0xEF; leafBytes[(addr & 31) + 1] = 0xBE; leafBytes[(addr & 31) + 2] = 0xAD; leafBytes[(addr & 31) + 3] = 0xDE;
        var siblings = Enumerable.Range(0, 27).Select(h => ZeroHashes.At(h)).ToArray();
        Assert.Equal(MerkleMath.RootFromProof(new Hash256(leafBytes), addr >> 5, siblings), mem.Root());
    }

    [Fact]
    public void RootIsTheDepth4TreeOfRegionRootsAndRegionRootIsTheRootOfItsBytes()
    {
        var rng = new Random(7);
        var mem = new PagedMemory();
        var region2 = new byte[5000];
        rng.NextBytes(region2);
        mem.Write(0x2000_0000, region2);
        mem.WriteUInt32(0x0000_1000, 1);
        mem.WriteUInt32(0xFFFF_FFFC, 2);
        Assert.Equal(MerkleMath.RootOfBytes(region2, 23), mem.RegionRoot(2));
        var level = Enumerable.Range(0, 16).Select(mem.RegionRoot).ToArray();
        while (level.Length > 1) level = Enumerable.Range(0, level.Length / 2).Select(i => Keccak256.HashPair(level[2 * i], level[2 * i + 1])).ToArray();
        Assert.Equal(level[0], mem.Root());
    }

    [Fact]
    public void ProofsVerifyAfterIncrementalWrites()
    {
        var rng = new Random(11);
        var mem = new PagedMemory();
        var addrs = new List<uint>();
        for (var round = 0; round < 40; round++)
        {
            var a = (uint)rng.NextInt64(0, 1L << 32) & ~3u;
            addrs.Add(a);
            mem.WriteUInt32(a, (uint)rng.Next());
            var root = mem.Root();
            foreach (var probe in addrs.TakeLast(5).Append((uint)rng.NextInt64(0, 1L << 32)))
            {
                var proof = mem.Proof(probe);
                Assert.Equal(mem.LeafAt(probe), proof.Leaf);
                Assert.Equal(root, proof.ComputeRoot());
            }
        }
    }

    [Fact]
    public void RootAfterWritesEqualsRootOfAFreshCopy()
    {
        var rng = new Random(3);
        var a = new PagedMemory();
        var touched = new SortedSet<uint>();
        for (var i = 0; i < 500; i++)
        {
            var addr = 0x0001_0000u + (uint)rng.Next(0, 1 << 16) * 4;
            a.WriteUInt32(addr, (uint)rng.Next());
            touched.Add(addr);
            if (i % 50 == 0) a.Root(); // interleave incremental flushes
        }
        var b = new PagedMemory();
        foreach (var addr in touched) b.WriteUInt32(addr, a.ReadUInt32(addr));
        Assert.Equal(b.Root(), a.Root());
    }

    [Fact]
    public void WritingZerosBackRestoresTheEmptyRoot()
    {
        var mem = new PagedMemory();
        mem.WriteUInt32(0x5000_0000, 9);
        Assert.NotEqual(ZeroHashes.At(27), mem.Root());
        mem.WriteUInt32(0x5000_0000, 0);
        Assert.Equal(ZeroHashes.At(27), mem.Root());
    }

    [Fact]
    public void ReadsAndWritesCrossPageBoundaries()
    {
        var mem = new PagedMemory();
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        mem.Write(0x0000_0FF0, data);
        var back = new byte[data.Length];
        mem.Read(0x0000_0FF0, back);
        Assert.Equal(data, back);
        Assert.Equal(BitConverter.ToUInt32(data, 14), mem.ReadUInt32(0x0000_0FFE));
    }

    /// <summary>A memory with the same bytes, written one page at a time through <see cref="PagedMemory.Write"/> (no array shared).</summary>
    private static PagedMemory CopiedByBytes(PagedMemory m)
    {
        var copy = new PagedMemory();
        var buf = new byte[PagedMemory.PageSize];
        foreach (var (page, _) in m.Snapshot().Pages)
        {
            m.Read(page << PagedMemory.PageBits, buf);
            copy.Write(page << PagedMemory.PageBits, buf);
        }
        return copy;
    }

    /// <summary>Snapshots are copy-on-write: writes after a snapshot (to the memory, or to one restored from it) never
    /// show in it; a restored memory equals the snapshot's in bytes and root; unchanged pages are shared, not copied.
    /// Random writes (seeded) against a flat model of the bytes.</summary>
    [Fact]
    public void SnapshotsAreCopyOnWriteAndRestoreToTheSameBytesAndRoot()
    {
        var rng = new Random(2026);
        var mem = new PagedMemory();
        var model = new Dictionary<uint, byte>();
        var taken = new List<(MemorySnapshot Snapshot, Dictionary<uint, byte> Bytes, Hash256 Root)>();
        uint[] bases = [0x0000_0000, 0x0001_0000, 0x8000_0000, 0xFFFF_F000];
        void WriteSome(PagedMemory m, Dictionary<uint, byte>? into, int count)
        {
            for (int i = 0; i < count; i++)
            {
                uint a = bases[rng.Next(bases.Length)] + (uint)rng.Next(3 * PagedMemory.PageSize) % 0x1000_0000;
                byte v = (byte)rng.Next(256);
                m.Write(a, [v]);
                if (into is not null) into[a] = v;
            }
        }
        for (int round = 0; round < 20; round++)
        {
            WriteSome(mem, model, rng.Next(1, 200));
            taken.Add((mem.Snapshot(), new Dictionary<uint, byte>(model), mem.Root()));
        }
        WriteSome(mem, model, 500);
        foreach (var (snapshot, bytes, root) in taken)
        {
            var restored = PagedMemory.Restore(snapshot);
            Assert.Equal(root, restored.Root());
            foreach (var (a, v) in bytes) Assert.Equal(v, restored.ReadByte(a));
            WriteSome(restored, null, 300); // writes to the restored memory stay there
            Assert.Equal(CopiedByBytes(restored).Root(), restored.Root()); // its root, shared pages' cached roots and all, is its bytes'
        }
        foreach (var (snapshot, bytes, root) in taken) Assert.Equal(root, PagedMemory.Restore(snapshot).Root());
        foreach (var (a, v) in model) Assert.Equal(v, mem.ReadByte(a));

        Assert.Equal(CopiedByBytes(mem).Root(), mem.Root());

        // Consecutive snapshots share the arrays of the pages not written between them.
        var a1 = mem.Snapshot();
        mem.Write(0x0001_0000, [1]);
        var a2 = mem.Snapshot();
        var shared = a1.Pages.Zip(a2.Pages).Count(p => ReferenceEquals(p.First.Bytes, p.Second.Bytes));
        Assert.Equal(a1.Pages.Count - 1, shared);
    }
}
