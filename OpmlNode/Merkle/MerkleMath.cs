using System.Runtime.InteropServices;
using OpmlNode.Crypto;

namespace OpmlNode.Merkle;

/// <summary>Merkle roots and proofs over 32-byte leaves (PROTOCOL §2).</summary>
public static class MerkleMath
{
    public const int MaxDepth = ZeroHashes.MaxHeight;

    /// <summary>Depth of a tensor (one memory region, 2^28 bytes), PROTOCOL §2.2.</summary>
    public const int TensorDepth = 23;

    // Subtrees up to this height (2^ChunkHeight leaves = 8 KiB of data) are reduced iteratively in a stack buffer;
    // above it we recurse, which costs one call per node but only over the data's extent.
    private const int ChunkHeight = 8;

    /// <summary>Largest byte length with a root at <paramref name="depth"/> (32·2^depth), saturated to long.MaxValue.</summary>
    public static long MaxBytes(int depth)
    {
        CheckDepth(depth);
        return depth + 5 >= 63 ? long.MaxValue : 32L << depth;
    }

    /// <summary><c>root(bytes, depth)</c>, PROTOCOL §2.2: 32-byte leaves (last zero-padded), zero leaves up to 2^depth.</summary>
    /// <exception cref="ArgumentException">data is longer than 32·2^depth bytes.</exception>
    public static Hash256 RootOfBytes(ReadOnlySpan<byte> data, int depth)
    {
        CheckLength(data.Length, depth);
        return Subtree(data, depth);
    }

    /// <summary>Tensor root = <c>root(bytes, 23)</c>.</summary>
    public static Hash256 TensorRoot(ReadOnlySpan<byte> data) => RootOfBytes(data, TensorDepth);

    /// <summary>
    /// Height of the smallest subtree holding <paramref name="length"/> bytes: the least h with length ≤ 32·2^h
    /// (0 for lengths 0..32).
    /// </summary>
    public static int NaturalHeight(long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        long leaves = (length + 31) / 32;
        return leaves <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(leaves - 1));
    }

    /// <summary>
    /// Root of the smallest subtree holding <paramref name="data"/> (height <see cref="NaturalHeight"/>, zero-padded);
    /// lifting it with <see cref="LiftToDepth"/> to depth d gives <c>root(data, d)</c>. An empty input is Z[0] at height 0.
    /// </summary>
    public static Hash256 NaturalRoot(ReadOnlySpan<byte> data, out int height)
    {
        height = NaturalHeight(data.Length);
        CheckDepth(height);
        return Subtree(data, height);
    }

    /// <summary>
    /// Lifts each <c>roots[i]</c>, the root of a height-<c>heights[i]</c> subtree, to the root of the depth-<paramref name="depth"/>
    /// tree holding that subtree leftmost and zeros elsewhere: <c>H(…H(H(r, Z[h]), Z[h+1])…, Z[depth−1])</c>, in place.
    /// All roots are lifted together level by level, so each level is one batched <see cref="Keccak256.HashPairs"/> call
    /// instead of a chain of single hashes per root. Roots already at <paramref name="depth"/> are left as they are.
    /// </summary>
    public static void LiftToDepth(Span<Hash256> roots, ReadOnlySpan<int> heights, int depth)
    {
        CheckDepth(depth);
        if (heights.Length != roots.Length) throw new ArgumentException($"{roots.Length} roots but {heights.Length} heights", nameof(heights));
        int n = roots.Length;
        if (n == 0) return;
        // Indices sorted by height: at level h the roots to lift (height ≤ h) are a prefix.
        int[] order = System.Buffers.ArrayPool<int>.Shared.Rent(n);
        int[] keys = System.Buffers.ArrayPool<int>.Shared.Rent(n);
        Hash256[] pairs = System.Buffers.ArrayPool<Hash256>.Shared.Rent(2 * n);
        try
        {
            int minHeight = depth;
            for (int i = 0; i < n; i++)
            {
                if ((uint)heights[i] > (uint)depth)
                    throw new ArgumentOutOfRangeException(nameof(heights), heights[i], $"height must be 0..{depth}");
                order[i] = i;
                keys[i] = heights[i];
                minHeight = Math.Min(minHeight, heights[i]);
            }
            Array.Sort(keys, order, 0, n);
            int active = 0;
            var zeros = ZeroHashes.All;
            for (int h = minHeight; h < depth; h++)
            {
                while (active < n && keys[active] <= h) active++;
                for (int k = 0; k < active; k++)
                {
                    pairs[2 * k] = roots[order[k]];
                    pairs[2 * k + 1] = zeros[h];
                }
                var lifted = pairs.AsSpan(0, active); // HashPairs in place: batch k reads [16k, 16k+16) before writing [8k, 8k+8)
                Keccak256.HashPairs(pairs.AsSpan(0, 2 * active), lifted);
                for (int k = 0; k < active; k++) roots[order[k]] = lifted[k];
            }
        }
        finally
        {
            System.Buffers.ArrayPool<int>.Shared.Return(order);
            System.Buffers.ArrayPool<int>.Shared.Return(keys);
            System.Buffers.ArrayPool<Hash256>.Shared.Return(pairs);
        }
    }

    /// <summary>Root of a list of 32-byte leaves at <paramref name="depth"/>, padded with Z[0] (PROTOCOL §2.4).</summary>
    public static Hash256 RootOfList(ReadOnlySpan<Hash256> leaves, int depth)
    {
        // Leaves are raw 32-byte data, so a list of them is exactly the byte string of their concatenation.
        CheckDepth(depth);
        if (depth < 63 && (ulong)leaves.Length > 1UL << depth)
            throw new ArgumentException($"{leaves.Length} leaves do not fit a depth-{depth} tree", nameof(leaves));
        return Subtree(MemoryMarshal.AsBytes(leaves), depth);
    }

    /// <summary>
    /// Same result as <see cref="RootOfBytes"/>, computing independent subtrees on the thread pool. Worth it from about a
    /// megabyte; smaller inputs take the sequential path.
    /// </summary>
    public static unsafe Hash256 RootOfBytesParallel(ReadOnlySpan<byte> data, int depth, int maxDegreeOfParallelism = -1)
    {
        CheckLength(data.Length, depth);
        int workers = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        const int minChunkHeight = 15; // 1 MiB per task keeps scheduling overhead negligible
        if (workers <= 1 || depth <= minChunkHeight || data.Length <= (32 << minChunkHeight))
            return Subtree(data, depth);

        // Smallest chunk height ≥ minChunkHeight giving at most ~4 chunks per worker (load balance without tiny tasks).
        int chunkHeight = minChunkHeight;
        while (chunkHeight < depth && chunkHeight < 30 && (data.Length - 1L) / (32L << chunkHeight) + 1 > 4L * workers) chunkHeight++;
        long chunkBytes = 32L << chunkHeight;
        int chunks = (int)((data.Length - 1L) / chunkBytes + 1);
        var roots = new Hash256[chunks];
        fixed (byte* p = data)
        {
            nint basePtr = (nint)p;
            int length = data.Length;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
            {
                long start = i * chunkBytes;
                int len = (int)Math.Min(chunkBytes, length - start);
                roots[i] = Subtree(new ReadOnlySpan<byte>((byte*)basePtr + start, len), chunkHeight);
            });
        }
        return RootOfNodes(roots, chunkHeight, depth);
    }

    /// <summary>
    /// Root at height <paramref name="topHeight"/> of a tree whose nodes at <paramref name="baseHeight"/> are
    /// <paramref name="nodes"/> (index 0 leftmost), the rest being empty subtrees Z[baseHeight].
    /// </summary>
    public static Hash256 RootOfNodes(ReadOnlySpan<Hash256> nodes, int baseHeight, int topHeight)
    {
        CheckDepth(topHeight);
        if ((uint)baseHeight > (uint)topHeight) throw new ArgumentOutOfRangeException(nameof(baseHeight));
        int levels = topHeight - baseHeight;
        if (levels < 63 && (ulong)nodes.Length > 1UL << levels)
            throw new ArgumentException($"{nodes.Length} nodes do not fit {levels} levels", nameof(nodes));
        if (nodes.IsEmpty) return ZeroHashes.At(topHeight);
        var buf = nodes.ToArray();
        return Reduce(buf, buf.Length, baseHeight, topHeight);
    }

    /// <summary>
    /// Proof of leaf <paramref name="index"/> in the list root of <paramref name="leaves"/> at <paramref name="depth"/>
    /// (PROTOCOL §2.4); an index at or past the end proves an empty (Z[0]) leaf.
    /// </summary>
    public static MerkleProof ListProof(ReadOnlySpan<Hash256> leaves, long index, int depth)
    {
        if (index < 0 || index >= 1L << depth) throw new ArgumentOutOfRangeException(nameof(index), index, $"index outside a depth-{depth} tree");
        var sib = new Hash256[depth];
        for (int h = 0; h < depth; h++)
        {
            long s = (index >> h) ^ 1;
            long start = s << h, end = Math.Min(leaves.Length, (s + 1) << h);
            sib[h] = start >= leaves.Length ? ZeroHashes.At(h) : RootOfNodes(leaves[(int)start..(int)end], 0, h);
        }
        return new MerkleProof(index < leaves.Length ? leaves[(int)index] : Hash256.Zero, sib);
    }

    /// <summary>Recomputes the root from a leaf and its bottom-up siblings (PROTOCOL §2.3); depth = siblings.Length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">index ≥ 2^depth.</exception>
    public static Hash256 RootFromProof(in Hash256 leaf, ulong index, ReadOnlySpan<Hash256> siblings)
    {
        if (siblings.Length > MaxDepth) throw new ArgumentException($"a proof has at most {MaxDepth} siblings", nameof(siblings));
        if (siblings.Length < 64 && index >> siblings.Length != 0)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"leaf index out of range for depth {siblings.Length}");
        Hash256 node = leaf;
        for (int k = 0; k < siblings.Length; k++)
        {
            node = ((index >> k) & 1) == 0
                ? Keccak256.HashPair(node, siblings[k])
                : Keccak256.HashPair(siblings[k], node);
        }
        return node;
    }

    /// <summary>Root from an encoded proof <c>leaf ‖ sib[0] ‖ … ‖ sib[d−1]</c>, without copying it.</summary>
    public static Hash256 RootFromProof(ReadOnlySpan<byte> encodedProof, ulong index)
    {
        var nodes = AsNodes(encodedProof);
        return RootFromProof(nodes[0], index, nodes[1..]);
    }

    /// <summary>True when the leaf with these siblings at <paramref name="index"/> hashes to <paramref name="root"/>; false for an out-of-range index.</summary>
    public static bool Verify(in Hash256 root, in Hash256 leaf, ulong index, ReadOnlySpan<Hash256> siblings)
    {
        if (siblings.Length > MaxDepth || (siblings.Length < 64 && index >> siblings.Length != 0)) return false;
        return RootFromProof(leaf, index, siblings) == root;
    }

    /// <summary>Verifies an encoded proof of exactly <paramref name="depth"/> siblings; false for any malformed length.</summary>
    public static bool Verify(in Hash256 root, ulong index, ReadOnlySpan<byte> encodedProof, int depth)
    {
        if ((uint)depth > MaxDepth || encodedProof.Length != ProofSize(depth)) return false;
        var nodes = MemoryMarshal.Cast<byte, Hash256>(encodedProof);
        return Verify(root, nodes[0], index, nodes[1..]);
    }

    /// <summary>Encoded proof size for <paramref name="depth"/>: 32·(depth+1) bytes.</summary>
    public static int ProofSize(int depth)
    {
        CheckDepth(depth);
        return Hash256.Size * (depth + 1);
    }

    /// <summary>Writes <c>leaf ‖ sib[0] ‖ … ‖ sib[d−1]</c> to <paramref name="destination"/> (exactly ProofSize(d) bytes).</summary>
    public static void EncodeProof(in Hash256 leaf, ReadOnlySpan<Hash256> siblings, Span<byte> destination)
    {
        int size = ProofSize(siblings.Length);
        if (destination.Length != size) throw new ArgumentException($"an encoded depth-{siblings.Length} proof is {size} bytes, got {destination.Length}", nameof(destination));
        leaf.CopyTo(destination);
        MemoryMarshal.AsBytes(siblings).CopyTo(destination[Hash256.Size..]);
    }

    public static byte[] EncodeProof(in Hash256 leaf, ReadOnlySpan<Hash256> siblings)
    {
        var bytes = new byte[ProofSize(siblings.Length)];
        EncodeProof(leaf, siblings, bytes);
        return bytes;
    }

    /// <summary>Decodes <c>leaf ‖ sib[0] ‖ …</c>; the depth is implied by the length (a positive multiple of 32, at most 65 nodes).</summary>
    public static MerkleProof DecodeProof(ReadOnlySpan<byte> encodedProof)
    {
        var nodes = AsNodes(encodedProof);
        return new MerkleProof(nodes[0], nodes[1..].ToArray());
    }

    /// <summary>Decodes a proof that must have exactly <paramref name="depth"/> siblings.</summary>
    public static MerkleProof DecodeProof(ReadOnlySpan<byte> encodedProof, int depth)
    {
        if (encodedProof.Length != ProofSize(depth))
            throw new ArgumentException($"a depth-{depth} proof is {ProofSize(depth)} bytes, got {encodedProof.Length}", nameof(encodedProof));
        return DecodeProof(encodedProof);
    }

    private static ReadOnlySpan<Hash256> AsNodes(ReadOnlySpan<byte> encodedProof)
    {
        if (encodedProof.Length == 0 || encodedProof.Length % Hash256.Size != 0 || encodedProof.Length > Hash256.Size * (MaxDepth + 1))
            throw new ArgumentException($"an encoded proof is a positive multiple of 32 bytes, at most {Hash256.Size * (MaxDepth + 1)}; got {encodedProof.Length}", nameof(encodedProof));
        return MemoryMarshal.Cast<byte, Hash256>(encodedProof);
    }

    // Root of a subtree of `height` over `data` (which the caller guarantees fits: data.Length ≤ 32·2^height).
    private static Hash256 Subtree(ReadOnlySpan<byte> data, int height)
    {
        if (data.IsEmpty) return ZeroHashes.At(height);
        if (height <= ChunkHeight) return SmallSubtree(data, height);
        long half = height - 1 >= 58 ? long.MaxValue : 32L << (height - 1); // avoid shift overflow near depth 64
        if (data.Length <= half) return Keccak256.HashPair(Subtree(data, height - 1), ZeroHashes.At(height - 1));
        return Keccak256.HashPair(Subtree(data[..(int)half], height - 1), Subtree(data[(int)half..], height - 1));
    }

    private static Hash256 SmallSubtree(ReadOnlySpan<byte> data, int height)
    {
        // All-zero chunks (sparse memory, padded tensors) are common and scanning is far cheaper than hashing.
        if (!data.ContainsAnyExcept((byte)0)) return ZeroHashes.At(height);
        if (height == 0)
        {
            Span<byte> leaf = stackalloc byte[32];
            leaf.Clear();
            data.CopyTo(leaf);
            return new Hash256(leaf);
        }
        // Level 1 straight from the data: each parent is keccak of 64 contiguous bytes.
        Span<Hash256> level = stackalloc Hash256[1 << (ChunkHeight - 1)];
        int full = data.Length / 64;
        Keccak256.HashPairs(MemoryMarshal.Cast<byte, Hash256>(data[..(64 * full)]), level[..full]);
        int count = full;
        if (data.Length % 64 != 0)
        {
            Span<byte> tail = stackalloc byte[64];
            tail.Clear();
            data[(64 * full)..].CopyTo(tail);
            level[count++] = Keccak256.Hash64(tail);
        }
        return Reduce(level, count, 1, height);
    }

    // In-place reduction of nodes[0..count) at baseHeight up to topHeight, padding on the right with zero hashes.
    private static Hash256 Reduce(Span<Hash256> nodes, int count, int baseHeight, int topHeight)
    {
        for (int h = baseHeight; h < topHeight; h++)
        {
            // Full pairs go through the batched hasher (in place is safe, see HashPairs); an odd last node pairs with Z[h].
            int pairs = count / 2;
            Keccak256.HashPairs(nodes[..(2 * pairs)], nodes[..pairs]);
            if (count % 2 != 0) nodes[pairs] = Keccak256.HashPair(nodes[count - 1], ZeroHashes.At(h));
            count = (count + 1) / 2;
        }
        return nodes[0];
    }

    private static void CheckLength(long length, int depth)
    {
        if (length > MaxBytes(depth))
            throw new ArgumentException($"{length} bytes exceed a depth-{depth} tree ({MaxBytes(depth)} bytes)", "data");
    }

    private static void CheckDepth(int depth)
    {
        if ((uint)depth > MaxDepth) throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be 0..{MaxDepth}");
    }
}
