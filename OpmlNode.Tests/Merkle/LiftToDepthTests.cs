using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Tests.Merkle;

public class LiftToDepthTests
{
    private static readonly int[] Lengths = [0, 1, 31, 32, 33, 64, 100, 4096, 5000];

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(32, 0)]
    [InlineData(33, 1)]
    [InlineData(64, 1)]
    [InlineData(65, 2)]
    [InlineData(4096, 7)]
    [InlineData(5000, 8)]
    [InlineData(1L << 28, 23)]
    public void NaturalHeight_IsSmallestFittingSubtree(long length, int height) =>
        Assert.Equal(height, MerkleMath.NaturalHeight(length));

    [Fact]
    public void NaturalRoot_IsRootOfBytesAtNaturalHeight()
    {
        var rng = new Random(11);
        foreach (int len in Lengths)
        {
            var data = new byte[len];
            rng.NextBytes(data);
            var root = MerkleMath.NaturalRoot(data, out int h);
            Assert.Equal(MerkleMath.NaturalHeight(len), h);
            Assert.Equal(MerkleMath.RootOfBytes(data, h), root);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MixedBatch_EqualsTensorRoot(int seed)
    {
        var rng = new Random(seed);
        // Every length several times (random, all-zero and sparse contents), shuffled, plus roots already at depth 23.
        var items = new List<byte[]>();
        foreach (int len in Lengths)
            for (int rep = 0; rep < 3; rep++)
            {
                var data = new byte[len];
                if (rep == 0) rng.NextBytes(data);
                else if (rep == 2 && len > 0) data[rng.Next(len)] = (byte)(1 + rng.Next(255));
                items.Add(data);
            }
        for (int i = 0; i < 20; i++)
        {
            var data = new byte[Lengths[rng.Next(Lengths.Length)]];
            rng.NextBytes(data);
            items.Add(data);
        }
        items = items.OrderBy(_ => rng.Next()).ToList();

        var roots = new Hash256[items.Count + 2];
        var heights = new int[items.Count + 2];
        for (int i = 0; i < items.Count; i++) roots[i] = MerkleMath.NaturalRoot(items[i], out heights[i]);
        var big = new byte[70_000];
        rng.NextBytes(big);
        roots[^2] = MerkleMath.TensorRoot(big);
        heights[^2] = MerkleMath.TensorDepth;
        roots[^1] = MerkleMath.RootOfBytes(big, 13);
        heights[^1] = 13;

        MerkleMath.LiftToDepth(roots, heights, MerkleMath.TensorDepth);

        for (int i = 0; i < items.Count; i++) Assert.Equal(MerkleMath.TensorRoot(items[i]), roots[i]);
        Assert.Equal(MerkleMath.TensorRoot(big), roots[^2]);
        Assert.Equal(MerkleMath.TensorRoot(big), roots[^1]);
    }

    [Fact]
    public void EmptyTensor_LiftsToZ23()
    {
        var roots = new[] { MerkleMath.NaturalRoot([], out int h) };
        Assert.Equal(0, h);
        MerkleMath.LiftToDepth(roots, [h], MerkleMath.TensorDepth);
        Assert.Equal(ZeroHashes.At(MerkleMath.TensorDepth), roots[0]);
    }

    [Fact]
    public void SingleRoot_MatchesScalarChain()
    {
        var r = Keccak256.Hash([1, 2, 3]);
        var expected = r;
        for (int h = 4; h < 10; h++) expected = Keccak256.HashPair(expected, ZeroHashes.At(h));
        var roots = new[] { r };
        MerkleMath.LiftToDepth(roots, [4], 10);
        Assert.Equal(expected, roots[0]);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => MerkleMath.LiftToDepth(new Hash256[2], [0], 23));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleMath.LiftToDepth(new Hash256[1], [24], 23));
        MerkleMath.LiftToDepth([], [], 23); // no-op
    }
}
