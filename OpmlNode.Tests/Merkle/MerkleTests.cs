using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Tests.Merkle;

public class MerkleTests
{
    // Naive reference straight from PROTOCOL §2.2: materialize all 2^depth leaves, hash level by level.
    private static Hash256 NaiveRoot(byte[] data, int depth)
    {
        var padded = new byte[32 << depth];
        data.CopyTo(padded, 0);
        var level = new Hash256[1 << depth];
        for (int i = 0; i < level.Length; i++) level[i] = new Hash256(padded.AsSpan(32 * i, 32));
        while (level.Length > 1)
        {
            var up = new Hash256[level.Length / 2];
            for (int i = 0; i < up.Length; i++) up[i] = Keccak256.Hash([.. level[2 * i].Bytes, .. level[2 * i + 1].Bytes]);
            level = up;
        }
        return level[0];
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static Hash256 RandomHash(Random rng) => new(RandomBytes(rng, 32));

    [Fact]
    public void ZeroHashesFollowTheRecurrence()
    {
        Assert.Equal(Hash256.Zero, ZeroHashes.At(0));
        Assert.Equal(Hash256.FromHex("ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"), ZeroHashes.At(1));
        Assert.Equal(Keccak256.Hash(new byte[64]), ZeroHashes.At(1));
        for (int h = 0; h < 64; h++)
            Assert.Equal(Keccak256.Hash([.. ZeroHashes.At(h).Bytes, .. ZeroHashes.At(h).Bytes]), ZeroHashes.At(h + 1));
        Assert.Equal(65, ZeroHashes.All.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => ZeroHashes.At(65));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZeroHashes.At(-1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(8191)]
    [InlineData(8192)]
    [InlineData(8193)]
    [InlineData(20000)]
    [InlineData(32768)]
    public void RootOfBytesMatchesNaiveReference(int length)
    {
        var rng = new Random(length);
        var data = RandomBytes(rng, length);
        for (int depth = 0; depth <= 11; depth++)
        {
            if (length > 32 << depth)
            {
                Assert.Throws<ArgumentException>(() => MerkleMath.RootOfBytes(data, depth));
                continue;
            }
            Assert.Equal(NaiveRoot(data, depth), MerkleMath.RootOfBytes(data, depth));
        }
    }

    [Fact]
    public void RootOfBytesWithZeroRunsMatchesNaiveReference()
    {
        // Zero chunks take the shortcut; mixing them with data checks the shortcut returns the right Z[h].
        var rng = new Random(7);
        var data = new byte[40000];
        RandomBytes(rng, 100).CopyTo(data, 9000);
        RandomBytes(rng, 5).CopyTo(data, 39990);
        Assert.Equal(NaiveRoot(data, 11), MerkleMath.RootOfBytes(data, 11));
    }

    [Fact]
    public void EmptyAndZeroDataGiveZeroHashes()
    {
        for (int depth = 0; depth <= 64; depth++) Assert.Equal(ZeroHashes.At(depth), MerkleMath.RootOfBytes([], depth));
        Assert.Equal(ZeroHashes.At(23), MerkleMath.TensorRoot(new byte[12345]));
    }

    [Fact]
    public void TrailingZerosDoNotChangeTheRoot()
    {
        var rng = new Random(3);
        foreach (int len in new[] { 1, 31, 32, 33, 100, 5000 })
        {
            var data = RandomBytes(rng, len);
            data[^1] = 0xFF; // make the tail non-zero so padding actually adds zeros
            var root = MerkleMath.RootOfBytes(data, 16);
            foreach (int pad in new[] { 1, 31, 32, 64, 9000 })
                Assert.Equal(root, MerkleMath.RootOfBytes([.. data, .. new byte[pad]], 16));
            Assert.Equal(MerkleMath.RootOfBytes(data, 17), MerkleMath.RootOfBytesParallel([.. data, .. new byte[2 << 20]], 17));
        }
    }

    [Fact]
    public void DifferentDataGivesDifferentRoots()
    {
        var data = new byte[100];
        var r0 = MerkleMath.RootOfBytes(data, 10);
        data[99] = 1;
        var r1 = MerkleMath.RootOfBytes(data, 10);
        Assert.NotEqual(r0, r1);
        Assert.NotEqual(r1, MerkleMath.RootOfBytes(data, 11));
    }

    [Fact]
    public void DeepTreesOfSmallDataUseZeroHashes()
    {
        var rng = new Random(11);
        var data = RandomBytes(rng, 50);
        var expected = NaiveRoot(data, 2);
        for (int h = 2; h < 64; h++) expected = Keccak256.HashPair(expected, ZeroHashes.At(h));
        Assert.Equal(expected, MerkleMath.RootOfBytes(data, 64));
        Assert.Equal(expected, MerkleMath.RootOfBytesParallel(data, 64));
    }

    [Fact]
    public void TooLongDataThrows()
    {
        Assert.Throws<ArgumentException>(() => MerkleMath.RootOfBytes(new byte[33], 0));
        Assert.Throws<ArgumentException>(() => MerkleMath.RootOfBytes(new byte[32 * 16 + 1], 4));
        Assert.Throws<ArgumentException>(() => MerkleMath.RootOfBytesParallel(new byte[32 * 16 + 1], 4));
        Assert.Throws<ArgumentException>(() => MerkleMath.RootOfList(new Hash256[17], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleMath.RootOfBytes([], 65));
        Assert.Equal(NaiveRoot(new byte[32 * 16], 4), MerkleMath.RootOfBytes(new byte[32 * 16], 4)); // exactly full is fine
    }

    [Fact]
    public void RootOfListEqualsRootOfConcatenatedBytes()
    {
        var rng = new Random(5);
        var leaves = Enumerable.Range(0, 37).Select(_ => RandomHash(rng)).ToArray();
        var bytes = leaves.SelectMany(l => l.ToArray()).ToArray();
        Assert.Equal(NaiveRoot(bytes, 6), MerkleMath.RootOfList(leaves, 6));
    }

    [Fact]
    public void RootOfNodesPadsWithZeroHashOfBaseHeight()
    {
        var rng = new Random(13);
        var data = RandomBytes(rng, 32 * 5);
        var leaves = Enumerable.Range(0, 5).Select(i => new Hash256(data.AsSpan(32 * i, 32))).ToArray();
        var pairs = new Hash256[3];
        for (int i = 0; i < 3; i++) pairs[i] = Keccak256.HashPair(leaves[2 * i], i == 2 ? Hash256.Zero : leaves[2 * i + 1]);
        Assert.Equal(MerkleMath.RootOfBytes(data, 7), MerkleMath.RootOfNodes(pairs, 1, 7));
        Assert.Equal(ZeroHashes.At(9), MerkleMath.RootOfNodes([], 3, 9));
    }

    [Fact]
    public void ParallelMatchesSequentialOnLargeData()
    {
        var rng = new Random(17);
        var data = RandomBytes(rng, (3 << 20) + 12345); // > 1 MiB so chunks actually run in parallel
        Assert.Equal(MerkleMath.RootOfBytes(data, 20), MerkleMath.RootOfBytesParallel(data, 20));
        Assert.Equal(MerkleMath.TensorRoot(data), MerkleMath.RootOfBytesParallel(data, MerkleMath.TensorDepth, 2));
    }

    [Fact]
    public void ProofsRoundTripAndVerify()
    {
        var rng = new Random(19);
        const int depth = 8;
        var data = RandomBytes(rng, 32 * 200 + 7);
        var root = MerkleMath.RootOfBytes(data, depth);
        var tree = new MerkleTree(depth);
        tree.SetLeaves(0, data);
        Assert.Equal(root, tree.Root);
        foreach (ulong index in new ulong[] { 0, 1, 2, 100, 199, 200, 201, 255 })
        {
            var proof = tree.GetProof(index);
            Assert.Equal(depth, proof.Depth);
            Assert.Equal(root, proof.ComputeRoot(index));
            Assert.True(proof.Verify(root, index));
            var encoded = proof.Encode();
            Assert.Equal(32 * (depth + 1), encoded.Length);
            Assert.Equal(proof.Leaf.ToArray(), encoded[..32]);
            Assert.Equal(proof.Siblings[0].ToArray(), encoded[32..64]);
            Assert.True(MerkleMath.Verify(root, index, encoded, depth));
            Assert.Equal(root, MerkleMath.RootFromProof(encoded, index));
            var decoded = MerkleMath.DecodeProof(encoded, depth);
            Assert.Equal(proof.Leaf, decoded.Leaf);
            Assert.Equal(proof.Siblings, decoded.Siblings);

            // Wrong index, wrong sibling, wrong leaf, wrong root, wrong depth all fail.
            // (Swapping with the sibling leaf is only detectable when the two differ; beyond the data both are zero.)
            Assert.Equal(proof.Leaf == proof.Siblings[0], MerkleMath.Verify(root, index ^ 1, encoded, depth));
            Assert.False(MerkleMath.Verify(root, index ^ 128, encoded, depth));
            Assert.False(MerkleMath.Verify(root, index | 256, encoded, depth)); // out of range
            for (int k = 0; k < depth; k++)
            {
                var bad = (byte[])encoded.Clone();
                bad[32 * (k + 1) + 5] ^= 1;
                Assert.False(MerkleMath.Verify(root, index, bad, depth), $"sibling {k} tampered");
            }
            var badLeaf = (byte[])encoded.Clone();
            badLeaf[0] ^= 0x80;
            Assert.False(MerkleMath.Verify(root, index, badLeaf, depth));
            Assert.False(MerkleMath.Verify(ZeroHashes.At(depth), index, encoded, depth));
            Assert.False(MerkleMath.Verify(root, index, encoded, depth - 1));
            Assert.False(MerkleMath.Verify(root, index, encoded[..^1], depth));
        }
    }

    [Fact]
    public void RootFromProofWithNewLeafGivesUpdatedRoot()
    {
        var rng = new Random(23);
        var data = RandomBytes(rng, 32 * 50);
        var tree = new MerkleTree(10);
        tree.SetLeaves(0, data);
        var proof = tree.GetProof(17);
        var newLeaf = RandomHash(rng);
        newLeaf.CopyTo(data.AsSpan(32 * 17));
        Assert.Equal(MerkleMath.RootOfBytes(data, 10), proof.ComputeRoot(17, newLeaf));
    }

    [Fact]
    public void RootFromProofRejectsOutOfRangeIndexAndBadEncodings()
    {
        var sibs = new Hash256[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleMath.RootFromProof(Hash256.Zero, 16, sibs));
        Assert.Equal(ZeroHashes.At(4), MerkleMath.RootFromProof(Hash256.Zero, 15, ZeroHashes.All[..4]));
        Assert.Throws<ArgumentException>(() => MerkleMath.DecodeProof(new byte[33]));
        Assert.Throws<ArgumentException>(() => MerkleMath.DecodeProof(Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => MerkleMath.DecodeProof(new byte[32 * 5], 5));
    }

    [Fact]
    public void MerkleTreeMatchesRootOfListUnderRandomUpdates()
    {
        var rng = new Random(29);
        const int depth = 7;
        var leaves = new Hash256[1 << depth];
        var tree = new MerkleTree(depth);
        Assert.Equal(ZeroHashes.At(depth), tree.Root);
        for (int step = 0; step < 300; step++)
        {
            int writes = rng.Next(1, 6);
            for (int w = 0; w < writes; w++)
            {
                var i = rng.Next(leaves.Length);
                // Some writes clear leaves back to zero so the sparse store must drop nodes correctly.
                leaves[i] = rng.Next(4) == 0 ? Hash256.Zero : RandomHash(rng);
                tree.SetLeaf((ulong)i, leaves[i]);
            }
            var expected = MerkleMath.RootOfList(leaves, depth);
            Assert.Equal(expected, tree.Root);
            var probe = (ulong)rng.Next(leaves.Length);
            var proof = tree.GetProof(probe);
            Assert.Equal(leaves[probe], proof.Leaf);
            Assert.True(proof.Verify(expected, probe));
            Assert.Equal(leaves[probe], tree.GetLeaf(probe));
        }
        Assert.Equal(leaves.Count(l => !l.IsZero), tree.NonZeroLeafCount);
    }

    [Fact]
    public void SparseDeepTreeIsCheapAndCorrect()
    {
        var tree = new MerkleTree(27);
        var a = Keccak256.Hash("a"u8);
        var b = Keccak256.Hash("b"u8);
        tree.SetLeaf(0, a);
        tree.SetLeaf((1UL << 27) - 1, b);
        var proofA = tree.GetProof(0);
        Assert.True(proofA.Verify(tree.Root, 0));
        Assert.Equal(tree.Root, tree.GetProof((1UL << 27) - 1).ComputeRoot((1UL << 27) - 1));
        // Left half is a alone at leaf 0; right half is b alone at its last leaf.
        var left = MerkleMath.RootFromProof(a, 0, ZeroHashes.All[..26]);
        var right = MerkleMath.RootFromProof(b, (1UL << 26) - 1, ZeroHashes.All[..26]);
        Assert.Equal(Keccak256.HashPair(left, right), tree.Root);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SetLeaf(1UL << 27, a));

        var full = new MerkleTree(64);
        full.SetLeaf(ulong.MaxValue, a);
        Assert.True(full.GetProof(ulong.MaxValue).Verify(full.Root, ulong.MaxValue));
        Assert.Equal(MerkleMath.RootFromProof(a, ulong.MaxValue, ZeroHashes.All[..64]), full.Root);
    }
}
