using OpmlNode.Crypto;

namespace OpmlNode.Merkle;

/// <summary>
/// Fixed-depth sparse binary Merkle tree (PROTOCOL §2.1) with cached interior nodes. Only nodes that differ from the
/// zero hash of their height are stored, one dictionary per level, so a depth-27 tree with a few leaves is small.
/// Writes mark their leaf dirty; <see cref="Root"/> and <see cref="GetProof"/> rehash only the dirty paths.
/// </summary>
public sealed class MerkleTree
{
    // _levels[h] maps index → node at height h (0 = leaves, Depth = root); absent means Z[h].
    private readonly Dictionary<ulong, Hash256>[] _levels;
    private HashSet<ulong> _dirty = new();
    private HashSet<ulong> _nextDirty = new();

    public MerkleTree(int depth)
    {
        if ((uint)depth > MerkleMath.MaxDepth) throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be 0..{MerkleMath.MaxDepth}");
        Depth = depth;
        _levels = new Dictionary<ulong, Hash256>[depth + 1];
        for (int h = 0; h <= depth; h++) _levels[h] = new Dictionary<ulong, Hash256>();
    }

    public int Depth { get; }

    /// <summary>Number of leaves that are not zero.</summary>
    public int NonZeroLeafCount => _levels[0].Count;

    /// <summary>The root, after rehashing whatever paths were written since the last read.</summary>
    public Hash256 Root
    {
        get
        {
            Flush();
            return Get(Depth, 0);
        }
    }

    public Hash256 GetLeaf(ulong index)
    {
        CheckIndex(index);
        return Get(0, index);
    }

    public void SetLeaf(ulong index, Hash256 leaf)
    {
        CheckIndex(index);
        Set(0, index, leaf);
        if (Depth > 0) _dirty.Add(index);
    }

    /// <summary>Writes <paramref name="data"/> as consecutive leaves from <paramref name="firstIndex"/> (last leaf zero-padded).</summary>
    public void SetLeaves(ulong firstIndex, ReadOnlySpan<byte> data)
    {
        Span<byte> leaf = stackalloc byte[Hash256.Size];
        for (ulong i = 0; !data.IsEmpty; i++)
        {
            int n = Math.Min(Hash256.Size, data.Length);
            leaf.Clear();
            data[..n].CopyTo(leaf);
            SetLeaf(checked(firstIndex + i), new Hash256(leaf));
            data = data[n..];
        }
    }

    /// <summary>The leaf at <paramref name="index"/> and its <see cref="Depth"/> bottom-up siblings.</summary>
    public MerkleProof GetProof(ulong index)
    {
        CheckIndex(index);
        Flush();
        var siblings = new Hash256[Depth];
        for (int h = 0; h < Depth; h++) siblings[h] = Get(h, (index >> h) ^ 1);
        return new MerkleProof(Get(0, index), siblings);
    }

    private void Flush()
    {
        // Level by level: each dirty node's parent is rehashed once, however many of its descendants changed.
        for (int h = 0; h < Depth && _dirty.Count > 0; h++)
        {
            _nextDirty.Clear();
            foreach (var i in _dirty) _nextDirty.Add(i >> 1);
            foreach (var p in _nextDirty)
            {
                var left = Get(h, p << 1);
                var right = Get(h, (p << 1) | 1);
                Set(h + 1, p, Keccak256.HashPair(left, right));
            }
            (_dirty, _nextDirty) = (_nextDirty, _dirty);
        }
        _dirty.Clear();
    }

    private Hash256 Get(int height, ulong index) =>
        _levels[height].TryGetValue(index, out var v) ? v : ZeroHashes.At(height);

    private void Set(int height, ulong index, in Hash256 value)
    {
        if (value == ZeroHashes.At(height)) _levels[height].Remove(index);
        else _levels[height][index] = value;
    }

    private void CheckIndex(ulong index)
    {
        if (Depth < 64 && index >> Depth != 0)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"leaf index out of range for depth {Depth}");
    }
}
