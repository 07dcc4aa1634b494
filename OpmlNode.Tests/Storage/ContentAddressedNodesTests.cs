using OpmlNode.Crypto;
using OpmlNode.Merkle;
using OpmlNode.Storage;

namespace OpmlNode.Tests.Storage;

public class ContentAddressedNodesTests
{
    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void RoundTrip(string kind)
    {
        using var t = TestDbs.Create(kind);
        var nodes = new ContentAddressedNodes(t[DbColumn.MerkleNodes]);
        var preimage = new byte[64];
        new Random(5).NextBytes(preimage);
        var hash = Keccak256.Hash64(preimage);
        Assert.False(nodes.Contains(hash));
        Assert.False(nodes.TryGet(hash, new byte[64]));
        nodes.Put(hash, preimage);
        nodes.Put(hash, preimage); // idempotent
        Assert.True(nodes.Contains(hash));
        var read = new byte[64];
        Assert.True(nodes.TryGet(hash, read));
        Assert.Equal(preimage, read);
        Assert.Equal(hash.ToArray(), t[DbColumn.MerkleNodes].Iterate([]).Single().Key); // key = the 32 hash bytes
        Assert.True(nodes.TryGetChildren(hash, out var left, out var right));
        Assert.Equal(hash, Keccak256.HashPair(left, right));
        Assert.Equal(hash, nodes.PutPair(left, right));
    }

    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void WrongPreimagesAreRejected(string kind)
    {
        using var t = TestDbs.Create(kind);
        var nodes = new ContentAddressedNodes(t[DbColumn.MerkleNodes]);
        var preimage = new byte[64];
        preimage[3] = 1;
        var hash = Keccak256.Hash64(preimage);
        Assert.Contains("64 bytes, got 63", Assert.Throws<ArgumentException>(() => nodes.Put(hash, preimage.AsSpan(0, 63))).Message);
        Assert.Contains("64 bytes, got 65", Assert.Throws<ArgumentException>(() => nodes.Put(hash, new byte[65])).Message);
        var other = (byte[])preimage.Clone();
        other[0] ^= 1;
        Assert.Contains("refusing", Assert.Throws<ArgumentException>(() => nodes.Put(hash, other)).Message);
        Assert.Throws<ArgumentException>(() => nodes.TryGet(hash, new byte[32]));
        Assert.Empty(t[DbColumn.MerkleNodes].Iterate([]));

        t[DbColumn.MerkleNodes].Put(hash.Bytes, new byte[10]); // a damaged entry
        Assert.Equal(StorageErrorKind.Corrupted, Assert.Throws<StorageException>(() => nodes.TryGet(hash, new byte[64])).Kind);
    }

    /// <summary>
    /// A tree of 300 leaves (depth 9) stored node by node in one batch, every interior node through its preimage; proofs
    /// read back from the store equal <see cref="MerkleMath.ListProof"/>, including an empty leaf past the end.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestDbs.Kinds), MemberType = typeof(TestDbs))]
    public void AStoredTreeGivesTheSameProofsAsMerkleMath(string kind)
    {
        using var t = TestDbs.Create(kind);
        const int depth = 9, count = 300;
        var rng = new Random(11);
        var leaves = new Hash256[count];
        var buf = new byte[32];
        for (int i = 0; i < count; i++)
        {
            rng.NextBytes(buf);
            leaves[i] = new Hash256(buf);
        }

        var level = leaves.Concat(Enumerable.Repeat(ZeroHashes.At(0), (1 << depth) - count)).ToArray();
        int stored = 0;
        using (var batch = t.Db.StartWriteBatch())
        {
            var writer = batch.Column(DbColumn.MerkleNodes);
            var preimage = new byte[64];
            for (int h = 0; h < depth; h++)
            {
                var parents = new Hash256[level.Length / 2];
                for (int i = 0; i < parents.Length; i++)
                {
                    level[2 * i].CopyTo(preimage);
                    level[2 * i + 1].CopyTo(preimage.AsSpan(32));
                    parents[i] = Keccak256.Hash64(preimage);
                    if (parents[i] != ZeroHashes.At(h + 1)) // all-zero subtrees are implied, not stored
                    {
                        ContentAddressedNodes.Put(writer, parents[i], preimage);
                        stored++;
                    }
                }
                level = parents;
            }
            batch.Commit();
        }
        var root = level.Single();
        Assert.Equal(MerkleMath.RootOfList(leaves, depth), root);
        Assert.True(stored > count / 2);

        var nodes = new ContentAddressedNodes(t[DbColumn.MerkleNodes]);
        foreach (long index in new long[] { 0, 1, 137, 298, 299, 300, 511 })
        {
            Assert.True(nodes.TryReadProof(root, (ulong)index, depth, out var proof));
            var expected = MerkleMath.ListProof(leaves, index, depth);
            Assert.Equal(expected.Leaf, proof.Leaf);
            Assert.Equal(expected.Siblings, proof.Siblings);
            Assert.True(proof.Verify(root, (ulong)index));
        }

        // A missing node is reported, not papered over.
        var someRoot = Keccak256.HashPair(leaves[0], leaves[1]);
        Assert.False(nodes.TryReadProof(Keccak256.HashPair(someRoot, someRoot), 0, 2, out _));
    }
}
