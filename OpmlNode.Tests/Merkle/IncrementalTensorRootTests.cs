using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Tests.Merkle;

public class IncrementalTensorRootTests
{
    private static void Check(IncrementalTensorRoot cache, byte[] data) =>
        Assert.Equal(MerkleMath.TensorRoot(data), cache.Update(data));

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(96)]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(65536)]
    [InlineData(65536 + 17)]
    [InlineData(200_003)]
    public void RandomEditSequencesMatchTheFullRoot(int length)
    {
        var rng = new Random(length);
        var data = new byte[length];
        rng.NextBytes(data);
        var cache = new IncrementalTensorRoot();
        Check(cache, data);
        for (int step = 0; step < 40; step++)
        {
            switch (step % 5)
            {
                case 0: break; // nothing changed
                case 1: data[rng.Next(length)] ^= (byte)(1 + rng.Next(255)); break; // one byte
                case 2: // a few scattered bytes
                    for (int k = 0; k < 5; k++) data[rng.Next(length)] = (byte)rng.Next(256);
                    break;
                case 3: // a contiguous "row", possibly crossing leaf and block boundaries
                    int start = rng.Next(length), len = Math.Min(length - start, 1 + rng.Next(300));
                    rng.NextBytes(data.AsSpan(start, len));
                    break;
                default: // most bytes
                    rng.NextBytes(data);
                    break;
            }
            Check(cache, data);
        }
        Assert.True(cache.IncrementalUpdates > 0);
    }

    [Fact]
    public void LastPartialLeafAndZeroingAreHandled()
    {
        var cache = new IncrementalTensorRoot();
        var data = new byte[32 * 100 + 5];
        Check(cache, data); // all zero
        data[^1] = 7;       // only the partial last leaf
        Check(cache, data);
        data[^1] = 0;       // back to all zero
        Check(cache, data);
        data[32 * 99] = 1;  // the last full leaf
        Check(cache, data);
        Array.Clear(data);
        Check(cache, data);
        Assert.Equal(ZeroHashes.At(MerkleMath.TensorDepth), cache.Update(data));
    }

    [Fact]
    public void LengthChangesRebuild()
    {
        var rng = new Random(7);
        var cache = new IncrementalTensorRoot();
        foreach (int length in new[] { 4096, 4096, 4000, 4001, 1, 0, 64, 65536, 65536, 33, 1 << 20, 1 << 20 })
        {
            var data = new byte[length];
            rng.NextBytes(data);
            Check(cache, data);
            if (length == 0) continue;
            data[length / 2] ^= 1;
            Check(cache, data); // same length: incremental
        }
        Assert.True(cache.FullRebuilds >= 9, $"{cache.FullRebuilds} rebuilds");
    }

    [Fact]
    public void FewChangesAreIncrementalAndManyRebuild()
    {
        var rng = new Random(3);
        var data = new byte[64 << 10];
        rng.NextBytes(data);
        var cache = new IncrementalTensorRoot();
        Check(cache, data);
        Assert.Equal(1, cache.FullRebuilds);
        rng.NextBytes(data.AsSpan(256 * 17, 256)); // one KV row
        Check(cache, data);
        Check(cache, data);
        Assert.Equal(1, cache.FullRebuilds);
        Assert.Equal(2, cache.IncrementalUpdates);
        rng.NextBytes(data);
        Check(cache, data);
        Assert.Equal(2, cache.FullRebuilds);
        // Memory bound: the leaf copy plus levels ≈ 2× the bytes, plus a dirty list of one int per leaf.
        Assert.InRange(cache.RetainedBytes, 2 * data.Length - 64, 2 * data.Length + data.Length / 8 + 256);
    }

    [Fact]
    public void LargeBuffersRebuildInParallelToTheSameRoot()
    {
        var rng = new Random(11);
        var data = new byte[(5 << 20) + 123]; // above the parallel rebuild size, partial last chunk and leaf
        rng.NextBytes(data.AsSpan(0, 1 << 20));
        var cache = new IncrementalTensorRoot();
        Assert.Equal(MerkleMath.RootOfBytesParallel(data, MerkleMath.TensorDepth), cache.Update(data));
        data[^1] = 9;
        data[3 << 20] ^= 0x55;
        Check(cache, data);
        rng.NextBytes(data);
        Check(cache, data);
    }

    [Fact]
    public void SingleLeaf()
    {
        var cache = new IncrementalTensorRoot();
        var one = new byte[32];
        one[0] = 1;
        Assert.Equal(MerkleMath.TensorRoot(one), cache.Update(one));
        Assert.NotEqual(Hash256.Zero, cache.Update(one));
    }
}
