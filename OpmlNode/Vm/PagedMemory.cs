using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Vm;

/// <summary>
/// The VM's 4 GiB address space as sparse 4 KiB pages (PROTOCOL §3). Writes only mark pages dirty;
/// the Merkle root is brought up to date when asked, by re-hashing dirty pages and their paths to the root.
/// </summary>
public sealed class PagedMemory
{
    public const int PageBits = 12;
    public const int PageSize = 1 << PageBits;
    public const int PageCount = 1 << (32 - PageBits);
    /// <summary>Height of one page's subtree: 4096 bytes = 128 leaves = 2^7.</summary>
    public const int PageHeight = PageBits - 5;
    public const int TreeDepth = 27;
    private const int UpperHeight = TreeDepth - PageHeight; // 20 levels of pages above the page roots

    // Hot-path access from Machine: the page table itself (null = all-zero page, never written).
    internal readonly byte[]?[] Pages = new byte[]?[PageCount];
    // Per page: Dirty (written since the root was last computed) and Shared (its array also belongs to a snapshot, so
    // the next write copies it first). A page is written in place only when it is exactly Dirty.
    private const byte Dirty = 1, Shared = 2;
    private readonly byte[] _flags = new byte[PageCount];
    private readonly List<uint> _dirtyPages = [];
    private readonly List<uint> _allocated = [];
    // _upper[h][i]: node at height h above the page roots (h = 0 is the page root of page i). Absent = zero subtree.
    // Full subtrees (255 nodes) of pages that proofs were asked of, so repeated proofs cost no hashing.
    private readonly Dictionary<uint, Hash256[]> _pageTrees = [];
    // Roots of page arrays shared with a snapshot, by array identity. Such an array never changes (every memory holding
    // it copies before writing), so its root is hashed once: a memory restored from a checkpoint, as each bisection state
    // of phase 2 is, rehashes only the pages written since, not the megabytes of weights it shares with the checkpoint.
    private static readonly ConditionalWeakTable<byte[], StrongBox<Hash256>> SharedPageRoots = new();
    private readonly Dictionary<uint, Hash256>[] _upper = Enumerable.Range(0, UpperHeight + 1).Select(_ => new Dictionary<uint, Hash256>()).ToArray();

    public int AllocatedPages => _allocated.Count;

    /// <summary>Number of pages written since the root was last computed.</summary>
    public int DirtyPageCount => _dirtyPages.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte[] PageForWrite(uint pageIndex)
    {
        var page = Pages[pageIndex];
        return page is not null && _flags[pageIndex] == Dirty ? page : PageForWriteSlow(pageIndex);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] PageForWriteSlow(uint pageIndex)
    {
        var page = Pages[pageIndex];
        if (page is null)
        {
            page = new byte[PageSize];
            Pages[pageIndex] = page;
            _allocated.Add(pageIndex);
        }
        else if ((_flags[pageIndex] & Shared) != 0)
        {
            page = (byte[])page.Clone(); // the snapshot keeps the old array unchanged
            Pages[pageIndex] = page;
        }
        if ((_flags[pageIndex] & Dirty) == 0) _dirtyPages.Add(pageIndex);
        _flags[pageIndex] = Dirty;
        return page;
    }

    public byte ReadByte(uint address)
    {
        var page = Pages[address >> PageBits];
        return page is null ? (byte)0 : page[address & (PageSize - 1)];
    }

    /// <summary>Little-endian 32-bit read; any alignment (crossing pages is allowed here, unlike the ISA).</summary>
    public uint ReadUInt32(uint address)
    {
        if ((address & (PageSize - 1)) <= PageSize - 4)
        {
            var page = Pages[address >> PageBits];
            return page is null ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan((int)(address & (PageSize - 1))));
        }
        Span<byte> b = stackalloc byte[4];
        Read(address, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void Read(uint address, Span<byte> destination)
    {
        foreach (var (page, offset, done, count) in Chunks(address, (uint)destination.Length))
        {
            var p = Pages[page];
            if (p is null) destination.Slice(done, count).Clear();
            else p.AsSpan(offset, count).CopyTo(destination.Slice(done, count));
        }
    }

    public void Write(uint address, ReadOnlySpan<byte> source)
    {
        foreach (var (page, offset, done, count) in Chunks(address, (uint)source.Length))
            source.Slice(done, count).CopyTo(PageForWrite(page).AsSpan(offset, count));
    }

    /// <summary>Zeroes a range; pages never written stay unallocated (they already read as zero).</summary>
    public void Clear(uint address, uint length)
    {
        foreach (var (page, offset, _, count) in Chunks(address, length))
            if (Pages[page] is not null) PageForWrite(page).AsSpan(offset, count).Clear();
    }

    /// <summary>Splits [address, address + length) (wrapping at 4 GiB) into per-page pieces: page index, offset in the page,
    /// offset in the range, byte count.</summary>
    private static IEnumerable<(uint Page, int Offset, int Done, int Count)> Chunks(uint address, uint length)
    {
        for (var done = 0u; done < length;)
        {
            var a = unchecked(address + done);
            var offset = (int)(a & (PageSize - 1));
            var count = (int)Math.Min((uint)(PageSize - offset), length - done);
            yield return (a >> PageBits, offset, (int)done, count);
            done += (uint)count;
        }
    }

    public void WriteUInt32(uint address, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(address, b);
    }

    /// <summary>The 32-byte leaf holding <paramref name="address"/> (PROTOCOL §3: leaf a >> 5).</summary>
    public Hash256 LeafAt(uint address)
    {
        Span<byte> b = stackalloc byte[32];
        Read(address & ~31u, b);
        return new Hash256(b);
    }

    /// <summary>
    /// Every allocated page: the memory of a VM checkpoint. Copy-on-write: the snapshot holds the page arrays themselves
    /// and the memory copies a page before its next write, so a snapshot costs a pointer per page and consecutive
    /// snapshots share every page not written between them (a checkpoint every 2^16 steps of a node whose inputs are
    /// megabytes of weights no longer copies them each time).
    /// </summary>
    public MemorySnapshot Snapshot()
    {
        var pages = new List<(uint, byte[])>(_allocated.Count); // in allocation order
        foreach (var i in _allocated)
        {
            pages.Add((i, Pages[i]!));
            _flags[i] |= Shared;
        }
        return new MemorySnapshot(pages);
    }

    /// <summary>A memory equal to the one <paramref name="snapshot"/> was taken of (the snapshot stays unchanged: its
    /// pages are shared copy-on-write, as in <see cref="Snapshot"/>).</summary>
    public static PagedMemory Restore(MemorySnapshot snapshot)
    {
        var m = new PagedMemory();
        foreach (var (index, bytes) in snapshot.Pages)
        {
            if (bytes.Length != PageSize) throw new ArgumentException($"page {index} of the snapshot has {bytes.Length} bytes", nameof(snapshot));
            if (m.Pages[index] is null) m._allocated.Add(index);
            m.Pages[index] = bytes;
            if ((m._flags[index] & Dirty) == 0) m._dirtyPages.Add(index);
            m._flags[index] = Dirty | Shared;
        }
        return m;
    }

    /// <summary>The memory root (depth 27), after re-hashing only what changed since the last call.</summary>
    public Hash256 Root()
    {
        Flush();
        return NodeAt(UpperHeight, 0);
    }

    /// <summary>Root of region r (0..15), a depth-23 subtree.</summary>
    public Hash256 RegionRoot(int region)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual((uint)region < 16, true, nameof(region));
        Flush();
        return NodeAt(UpperHeight - 4, (uint)region);
    }

    /// <summary>Merkle proof for the leaf holding <paramref name="address"/>: the leaf and 27 bottom-up siblings.</summary>
    public MemoryProof Proof(uint address)
    {
        Flush();
        var pageIndex = address >> PageBits;
        var siblings = new Hash256[TreeDepth];
        var leafInPage = (int)((address & (PageSize - 1)) >> 5);
        if (Pages[pageIndex] is null)
        {
            for (var h = 0; h < PageHeight; h++) siblings[h] = ZeroHashes.At(h);
        }
        else
        {
            if (!_pageTrees.TryGetValue(pageIndex, out var tree))
            {
                tree = PageTree(Pages[pageIndex]!);
                _pageTrees[pageIndex] = tree;
            }
            // tree is heap-ordered: node n has children 2n+1, 2n+2; the 128 leaves start at 127.
            var node = 127 + leafInPage;
            for (var h = 0; h < PageHeight; h++)
            {
                siblings[h] = tree[(node & 1) == 1 ? node + 1 : node - 1];
                node = (node - 1) / 2;
            }
        }
        for (var h = 0; h < UpperHeight; h++) siblings[PageHeight + h] = NodeAt(h, (pageIndex >> h) ^ 1);
        return new MemoryProof(address >> 5, LeafAt(address), siblings);
    }

    private static Hash256[] PageTree(byte[] page)
    {
        var tree = new Hash256[2 * 128 - 1];
        MemoryMarshal.Cast<byte, Hash256>(page.AsSpan()).CopyTo(tree.AsSpan(127));
        // Heap order keeps each level contiguous: level h's parents of nodes [first, first+width) are [first/2, ...).
        for (int first = 127, width = 128; width > 1; first /= 2, width /= 2)
            Keccak256.HashPairs(tree.AsSpan(first, width), tree.AsSpan(first / 2, width / 2));
        return tree;
    }

    /// <summary>Re-hashes only the paths of leaves that differ from the cached tree (a store touches one leaf; 7 hashes, not 255).</summary>
    private static void UpdatePageTree(Hash256[] tree, byte[] page)
    {
        var leaves = MemoryMarshal.Cast<byte, Hash256>(page.AsSpan());
        Span<bool> stale = stackalloc bool[127];
        var any = false;
        for (var i = 0; i < 128; i++)
        {
            if (tree[127 + i] == leaves[i]) continue;
            tree[127 + i] = leaves[i];
            stale[(126 + i) / 2] = true;
            any = true;
        }
        if (!any) return;
        // Children have larger indices than parents, so one descending pass sees every child before its parent.
        for (var n = 126; n >= 0; n--)
        {
            if (!stale[n]) continue;
            tree[n] = Keccak256.HashPair(tree[2 * n + 1], tree[2 * n + 2]);
            if (n > 0) stale[(n - 1) / 2] = true;
        }
    }

    private Hash256 NodeAt(int height, uint index) =>
        _upper[height].TryGetValue(index, out var h) ? h : ZeroHashes.At(PageHeight + height);

    private void Flush()
    {
        if (_dirtyPages.Count == 0) return;
        var touched = new HashSet<uint>();
        foreach (var p in _dirtyPages)
        {
            _flags[p] &= unchecked((byte)~Dirty);
            if (_pageTrees.TryGetValue(p, out var tree))
            {
                UpdatePageTree(tree, Pages[p]!);
                _upper[0][p] = tree[0];
            }
            else if ((_flags[p] & Shared) != 0)
                _upper[0][p] = SharedPageRoots.GetValue(Pages[p]!, page => new StrongBox<Hash256>(MerkleMath.RootOfBytes(page, PageHeight))).Value!;
            else _upper[0][p] = MerkleMath.RootOfBytes(Pages[p], PageHeight);
            touched.Add(p >> 1);
        }
        _dirtyPages.Clear();
        for (var h = 1; h <= UpperHeight; h++)
        {
            var next = new HashSet<uint>();
            foreach (var i in touched)
            {
                var node = Keccak256.HashPair(NodeAt(h - 1, 2 * i), NodeAt(h - 1, 2 * i + 1));
                if (node == ZeroHashes.At(PageHeight + h)) _upper[h].Remove(i);
                else _upper[h][i] = node;
                next.Add(i >> 1);
            }
            touched = next;
        }
    }
}

/// <summary>A depth-27 memory proof (PROTOCOL §2.3): leaf index, leaf, bottom-up siblings.</summary>
public sealed record MemoryProof(uint LeafIndex, Hash256 Leaf, Hash256[] Siblings)
{
    public const int EncodedSize = 32 * (PagedMemory.TreeDepth + 1);

    public void Encode(Span<byte> destination)
    {
        Leaf.CopyTo(destination);
        for (var k = 0; k < Siblings.Length; k++) Siblings[k].CopyTo(destination[(32 * (k + 1))..]);
    }

    public Hash256 ComputeRoot() => MerkleMath.RootFromProof(Leaf, LeafIndex, Siblings);
}

/// <summary>The allocated pages of a <see cref="PagedMemory"/> at one moment (page index, 4096 bytes).</summary>
public sealed record MemorySnapshot(IReadOnlyList<(uint Page, byte[] Bytes)> Pages)
{
    public long Bytes => (long)Pages.Count * PagedMemory.PageSize;
}
