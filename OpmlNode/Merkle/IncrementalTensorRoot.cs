using System.Runtime.InteropServices;
using OpmlNode.Crypto;

namespace OpmlNode.Merkle;

/// <summary>
/// A cache for the tensor root (<see cref="MerkleMath.TensorRoot"/>, PROTOCOL §2.2) of a buffer that is rehashed over and
/// over with few bytes changing between calls, such as a KV cache that gains one row per decode pass. It keeps a copy of
/// the last bytes (the leaves) and the dense Merkle levels above them; <see cref="Update"/> compares the new bytes with
/// the copy (per 4 KiB block, then per 32-byte leaf), rehashes only the changed leaves' paths (contiguous runs of a
/// level through the batched <see cref="Keccak256.HashPairs"/>), and tops the dense tree up to height 23 with zero
/// hashes. When many leaves changed, or the length differs from the previous call, it rebuilds all levels instead.
/// The result is always equal to <c>MerkleMath.TensorRoot(bytes)</c>: this is a cache, not a different commitment.
/// <para>
/// Memory: for an n-byte buffer, the leaf copy takes n rounded up to 64 bytes and the levels above it just under n
/// bytes more (level h holds ⌈n/2^h/32⌉ hashes, padded to even), so about 2·n bytes per instance, plus a dirty-index
/// list of at most n/32 ints, allocated on the first incremental update. Not thread-safe.
/// </para>
/// </summary>
public sealed class IncrementalTensorRoot
{
    private const int TopHeight = MerkleMath.TensorDepth;
    private const int BlockBytes = 4096;          // first-pass compare granularity (128 leaves)
    private const int ParallelBytes = 4 << 20;    // full rebuilds from here split the bottom levels over cores
    private const int ParallelChunkHeight = 15;   // 2^15 leaves = 1 MiB per parallel task

    private byte[] _leafBytes = [];    // last bytes, zero-padded to an even number of 32-byte leaves (level 0)
    private Hash256[][] _levels = [];  // _levels[h] for h ≥ 1: level h, padded with Z[h] to even length (except the top)
    private int[] _count = [];         // _count[h]: real nodes at level h (h = 0: leaves)
    private int _length = -1;          // byte length of the cached bytes; −1 = nothing cached
    private int _height;               // height of the dense tree (its top level holds one node)
    private Hash256 _root;
    private int[] _dirty = [];         // scratch: sorted indices of changed nodes at the current level

    /// <summary>Below this fraction of changed leaves (1/FullRebuildDivisor) the paths are rehashed; above it, all levels.</summary>
    public const int FullRebuildDivisor = 4;

    /// <summary>Calls answered by rehashing only changed paths (or nothing, when no byte changed).</summary>
    public long IncrementalUpdates { get; private set; }
    /// <summary>Calls that rebuilt every level (first call, length change, or too many changed leaves).</summary>
    public long FullRebuilds { get; private set; }

    /// <summary>Bytes this instance holds (leaf copy + levels + scratch).</summary>
    public long RetainedBytes
    {
        get
        {
            long b = _leafBytes.Length + 4L * _dirty.Length + 4L * _count.Length;
            foreach (var l in _levels) if (l is not null) b += (long)l.Length * Hash256.Size;
            return b;
        }
    }

    /// <summary>Forgets the cached bytes and frees the levels; the next <see cref="Update"/> rebuilds.</summary>
    public void Reset()
    {
        _leafBytes = [];
        _levels = [];
        _count = [];
        _dirty = [];
        _length = -1;
    }

    /// <summary>Tensor root of <paramref name="data"/> (= <c>MerkleMath.TensorRoot(data)</c>); remembers data for the next call.</summary>
    /// <exception cref="ArgumentException">data is longer than a tensor (2^28 bytes).</exception>
    public Hash256 Update(ReadOnlySpan<byte> data)
    {
        if (data.Length > MerkleMath.MaxBytes(TopHeight))
            throw new ArgumentException($"{data.Length} bytes exceed a depth-{TopHeight} tree", nameof(data));
        if (data.Length == 0)
        {
            Reset();
            return ZeroHashes.At(TopHeight);
        }
        if (data.Length != _length)
        {
            Allocate(data.Length);
            data.CopyTo(_leafBytes);
            Rebuild();
            return _root;
        }

        int leaves = _count[0];
        var old = _leafBytes.AsSpan(0, data.Length);
        if (_dirty.Length < leaves) _dirty = new int[leaves];
        int limit = leaves / FullRebuildDivisor; // more changed leaves than this → rebuild
        int changed = 0;
        bool tooMany = false;
        var oldLeaves = MemoryMarshal.Cast<byte, Hash256>(_leafBytes.AsSpan());
        for (int start = 0; start < data.Length && !tooMany; start += BlockBytes)
        {
            int len = Math.Min(BlockBytes, data.Length - start);
            var nb = data.Slice(start, len);
            var ob = old.Slice(start, len);
            if (nb.SequenceEqual(ob)) continue;
            int firstLeaf = start / Hash256.Size;
            int fullLeaves = len / Hash256.Size;
            var nl = MemoryMarshal.Cast<byte, Hash256>(nb[..(fullLeaves * Hash256.Size)]);
            for (int i = 0; i < fullLeaves; i++)
            {
                if (nl[i] == oldLeaves[firstLeaf + i]) continue;
                if (changed == limit) { tooMany = true; break; }
                _dirty[changed++] = firstLeaf + i;
            }
            if (!tooMany && len % Hash256.Size != 0 && !nb[(fullLeaves * Hash256.Size)..].SequenceEqual(ob[(fullLeaves * Hash256.Size)..]))
            {
                if (changed == limit) tooMany = true;
                else _dirty[changed++] = firstLeaf + fullLeaves;
            }
        }
        if (tooMany)
        {
            data.CopyTo(_leafBytes);
            Rebuild();
            return _root;
        }
        IncrementalUpdates++;
        if (changed == 0) return _root;

        // Copy the changed leaves (a partial last leaf only over the data; its zero padding stays).
        for (int k = 0; k < changed; k++)
        {
            int off = _dirty[k] * Hash256.Size;
            data.Slice(off, Math.Min(Hash256.Size, data.Length - off)).CopyTo(_leafBytes.AsSpan(off));
        }
        // Level by level: parents of the dirty nodes (sorted, deduplicated), rehashed in contiguous runs.
        for (int h = 0; h < _height; h++)
        {
            var below = Level(h);
            var above = _levels[h + 1];
            int parents = 0;
            for (int k = 0; k < changed; k++)
            {
                int p = _dirty[k] >> 1;
                if (parents == 0 || _dirty[parents - 1] != p) _dirty[parents++] = p; // in place: parents ≤ k
            }
            changed = parents;
            for (int k = 0; k < changed;)
            {
                int runStart = _dirty[k];
                int end = k + 1;
                while (end < changed && _dirty[end] == _dirty[end - 1] + 1) end++;
                int runLength = end - k;
                if (runLength == 1) above[runStart] = Keccak256.HashPair(below[2 * runStart], below[2 * runStart + 1]);
                else Keccak256.HashPairs(below.Slice(2 * runStart, 2 * runLength), above.AsSpan(runStart, runLength));
                k = end;
            }
        }
        _root = TopUp();
        return _root;
    }

    private ReadOnlySpan<Hash256> Level(int h) =>
        h == 0 ? MemoryMarshal.Cast<byte, Hash256>(_leafBytes.AsSpan()) : _levels[h];

    private void Allocate(int length)
    {
        int leaves = (int)(((long)length + Hash256.Size - 1) / Hash256.Size);
        int height = 0;
        while ((1L << height) < leaves) height++;
        _leafBytes = new byte[RoundEven(leaves) * Hash256.Size];
        _levels = new Hash256[height + 1][];
        _count = new int[height + 1];
        _count[0] = leaves;
        _height = height;
        for (int h = 1; h <= height; h++)
        {
            _count[h] = (_count[h - 1] + 1) / 2;
            _levels[h] = new Hash256[h == height ? 1 : RoundEven(_count[h])];
            PadLevel(h);
        }
        _length = length;
        _dirty = [];
    }

    private static int RoundEven(int n) => n + (n & 1);

    // An odd level's last node pairs with the empty subtree of that height. Set once: updates write only real nodes
    // (indices < _count[h]), and level 0's padding is the zero tail of _leafBytes, which only data bytes overwrite.
    private void PadLevel(int h)
    {
        if (h < _height && (_count[h] & 1) != 0) _levels[h][_count[h]] = ZeroHashes.At(h);
    }

    private void Rebuild()
    {
        FullRebuilds++;
        int firstSequential = 0;
        if (_length >= ParallelBytes && Environment.ProcessorCount > 1 && _height > ParallelChunkHeight)
        {
            // Subtrees of 2^ParallelChunkHeight leaves are independent up to that height; their ranges at every level
            // start at even indices, so each task's HashPairs reads and writes only its own range.
            int chunks = (_count[0] + (1 << ParallelChunkHeight) - 1) >> ParallelChunkHeight;
            Parallel.For(0, chunks, c =>
            {
                for (int h = 0; h < ParallelChunkHeight; h++)
                {
                    int span = 1 << (ParallelChunkHeight - h - 1); // parents per chunk at level h + 1
                    int lo = c * span, hi = Math.Min(lo + span, _count[h + 1]);
                    Keccak256.HashPairs(Level(h).Slice(2 * lo, 2 * (hi - lo)), _levels[h + 1].AsSpan(lo, hi - lo));
                }
            });
            firstSequential = ParallelChunkHeight;
        }
        for (int h = firstSequential; h < _height; h++)
        {
            Keccak256.HashPairs(Level(h)[..(2 * _count[h + 1])], _levels[h + 1].AsSpan(0, _count[h + 1]));
        }
        _root = TopUp();
    }

    private Hash256 TopUp()
    {
        Hash256 node = _height == 0 ? MemoryMarshal.Cast<byte, Hash256>(_leafBytes.AsSpan())[0] : _levels[_height][0];
        for (int h = _height; h < TopHeight; h++) node = Keccak256.HashPair(node, ZeroHashes.At(h));
        return node;
    }
}
