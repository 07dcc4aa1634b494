using System.Diagnostics.CodeAnalysis;
using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Storage;

/// <summary>
/// Merkle interior nodes stored by content: key = the node's 32 hash bytes, value = its 64-byte preimage
/// (left child ‖ right child). Every put checks keccak256(preimage) == hash (one permutation, far cheaper than the
/// write), so a wrong node can never be stored under a hash and read back as a valid proof step.
/// </summary>
public sealed class ContentAddressedNodes(IKeyValueStore store)
{
    public const int PreimageSize = 2 * Hash256.Size;

    /// <summary>Stores <paramref name="preimage64"/> under <paramref name="hash"/>; storing the same node again is harmless.</summary>
    /// <exception cref="ArgumentException">the preimage is not 64 bytes, or does not hash to <paramref name="hash"/>.</exception>
    public void Put(in Hash256 hash, ReadOnlySpan<byte> preimage64) => Put(store, hash, preimage64);

    /// <summary>Same as <see cref="Put(in Hash256, ReadOnlySpan{byte})"/>, into any writer (a batch's column, for instance).</summary>
    public static void Put(IKeyValueWriter writer, in Hash256 hash, ReadOnlySpan<byte> preimage64)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Check(hash, preimage64);
        writer.Put(hash.Bytes, preimage64);
    }

    /// <summary>Stores the node whose children are <paramref name="left"/> and <paramref name="right"/>; returns its hash.</summary>
    public Hash256 PutPair(in Hash256 left, in Hash256 right)
    {
        var hash = Keccak256.HashPair(left, right);
        Span<byte> preimage = stackalloc byte[PreimageSize];
        left.CopyTo(preimage);
        right.CopyTo(preimage[Hash256.Size..]);
        store.Put(hash.Bytes, preimage);
        return hash;
    }

    /// <summary>Copies the preimage of <paramref name="hash"/> into <paramref name="preimage"/> (exactly 64 bytes); false when not stored.</summary>
    /// <exception cref="StorageException">the stored value is not 64 bytes (damaged column).</exception>
    public bool TryGet(in Hash256 hash, Span<byte> preimage)
    {
        if (preimage.Length != PreimageSize)
            throw new ArgumentException($"a preimage buffer is {PreimageSize} bytes, got {preimage.Length}", nameof(preimage));
        var value = store.Get(hash.Bytes);
        if (value is null) return false;
        if (value.Length != PreimageSize)
            throw new StorageException(StorageErrorKind.Corrupted, $"storage: Merkle node {hash} has a {value.Length}-byte preimage, expected {PreimageSize}");
        value.CopyTo(preimage);
        return true;
    }

    /// <summary>The two children of <paramref name="hash"/>; false when the node is not stored.</summary>
    public bool TryGetChildren(in Hash256 hash, out Hash256 left, out Hash256 right)
    {
        Span<byte> preimage = stackalloc byte[PreimageSize];
        if (!TryGet(hash, preimage))
        {
            left = right = default;
            return false;
        }
        left = new Hash256(preimage[..Hash256.Size]);
        right = new Hash256(preimage[Hash256.Size..]);
        return true;
    }

    public bool Contains(in Hash256 hash) => store.Has(hash.Bytes);

    /// <summary>
    /// Reads the proof of leaf <paramref name="index"/> under <paramref name="root"/> (a depth-<paramref name="depth"/>
    /// tree) by walking stored nodes from the root down. All-zero subtrees (<see cref="ZeroHashes"/>) need not be stored.
    /// False when a node on the path is missing.
    /// </summary>
    public bool TryReadProof(in Hash256 root, ulong index, int depth, [NotNullWhen(true)] out MerkleProof? proof)
    {
        if ((uint)depth > MerkleMath.MaxDepth) throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be 0..{MerkleMath.MaxDepth}");
        if (depth < 64 && index >> depth != 0) throw new ArgumentOutOfRangeException(nameof(index), index, $"leaf index out of range for depth {depth}");
        var siblings = new Hash256[depth];
        var node = root;
        for (int h = depth; h > 0; h--)
        {
            Hash256 left, right;
            if (node == ZeroHashes.At(h))
            {
                left = right = ZeroHashes.At(h - 1);
            }
            else if (!TryGetChildren(node, out left, out right))
            {
                proof = null;
                return false;
            }
            bool goRight = ((index >> (h - 1)) & 1) != 0;
            siblings[h - 1] = goRight ? left : right;
            node = goRight ? right : left;
        }
        proof = new MerkleProof(node, siblings);
        return true;
    }

    private static void Check(in Hash256 hash, ReadOnlySpan<byte> preimage64)
    {
        if (preimage64.Length != PreimageSize)
            throw new ArgumentException($"a Merkle node preimage is {PreimageSize} bytes, got {preimage64.Length}", nameof(preimage64));
        var actual = Keccak256.Hash64(preimage64);
        if (actual != hash)
            throw new ArgumentException($"the preimage hashes to {actual}, not {hash}: refusing to store it under the wrong key", nameof(preimage64));
    }
}
