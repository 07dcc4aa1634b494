using System.Text;
using OpmlNode.Crypto;
using Org.BouncyCastle.Crypto.Digests;

namespace OpmlNode.Tests.Crypto;

public class Keccak256Tests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static byte[] Reference(ReadOnlySpan<byte> input)
    {
        var d = new KeccakDigest(256);
        d.BlockUpdate(input);
        var o = new byte[32];
        d.DoFinal(o);
        return o;
    }

    private static byte[] Random(int seed, int length)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")]
    [InlineData("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")]
    [InlineData("hello", "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8")]
    [InlineData("The quick brown fox jumps over the lazy dog", "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")]
    public void EthereumVectors(string text, string expectedHex)
    {
        var input = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expectedHex, Keccak256.Hash(input).ToString()[2..]);
        var o = new byte[32];
        Keccak256.Hash(input, o);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(o));
    }

    [Fact]
    public void ZeroWordVectors()
    {
        // keccak256(bytes32(0)): Solidity's mapping/array slot-0 hash; keccak256(bytes32(0) ‖ bytes32(0)): the depth-1 zero hash.
        Assert.Equal("290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563", Convert.ToHexStringLower(Keccak256.Hash(new byte[32]).Bytes));
        Assert.Equal("ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5", Convert.ToHexStringLower(Keccak256.Hash(new byte[64]).Bytes));
        Assert.Equal(Keccak256.Hash(new byte[64]), Keccak256.HashPair(Hash256.Zero, Hash256.Zero));
    }

    [Fact]
    public void MatchesBouncyCastleForAllLengthsUpTo300()
    {
        for (int len = 0; len <= 300; len++)
        {
            var input = Random(1000 + len, len);
            Assert.True(Reference(input).AsSpan().SequenceEqual(Keccak256.Hash(input).Bytes), $"length {len}");
        }
    }

    [Theory]
    [InlineData(135)]
    [InlineData(136)]
    [InlineData(137)]
    [InlineData(271)]
    [InlineData(272)]
    [InlineData(273)]
    [InlineData(407)]
    [InlineData(408)]
    [InlineData(409)]
    [InlineData(4096)]
    [InlineData(100_003)]
    public void MatchesBouncyCastleAroundRateBoundaries(int len)
    {
        for (int seed = 0; seed < 8; seed++)
        {
            var input = Random(seed * 7919 + len, len);
            var ours = new byte[32];
            Keccak256.Hash(input, ours);
            Assert.Equal(Convert.ToHexString(Reference(input)), Convert.ToHexString(ours));
        }
    }

    [Fact]
    public void AllOnesAndAllZeroBlocksMatchBouncyCastle()
    {
        foreach (byte fill in new byte[] { 0x00, 0xFF, 0x80, 0x01 })
            foreach (int len in new[] { 135, 136, 272 })
            {
                var input = Enumerable.Repeat(fill, len).ToArray();
                Assert.Equal(Convert.ToHexString(Reference(input)), Convert.ToHexString(Keccak256.Hash(input).Bytes));
            }
    }

    [Fact]
    public void OutputSpanLongerThan32OnlyWritesFirst32()
    {
        var o = Enumerable.Repeat((byte)0xAA, 40).ToArray();
        Keccak256.Hash("abc"u8, o);
        Assert.Equal(Keccak256.Hash("abc"u8).ToArray(), o[..32]);
        Assert.All(o[32..], b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void OutputSpanTooShortThrows() => Assert.Throws<ArgumentException>(() => Keccak256.Hash("abc"u8, new byte[31]));

    [Fact]
    public void HashPairEqualsHashOfConcatenation()
    {
        var rng = new Random(42);
        var buf = new byte[64];
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(buf);
            var left = new Hash256(buf.AsSpan(0, 32));
            var right = new Hash256(buf.AsSpan(32, 32));
            var expected = Reference(buf);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Keccak256.HashPair(left, right).Bytes));
            Assert.Equal(Keccak256.Hash(buf), Keccak256.Hash64(buf));
        }
    }

    [Fact]
    public void HashPairIsOrderSensitive()
    {
        var a = Keccak256.Hash("a"u8);
        var b = Keccak256.Hash("b"u8);
        Assert.NotEqual(Keccak256.HashPair(a, b), Keccak256.HashPair(b, a));
    }

    [Fact]
    public void Hash64RejectsOtherLengths() => Assert.Throws<ArgumentException>(() => Keccak256.Hash64(new byte[63]));

    /// <summary>Every batch path this CPU runs (on an AVX-512 machine: scalar, AVX2 and AVX-512) against one
    /// <see cref="Keccak256.HashPair"/> at a time, for counts around each batch width, in place too, and 4099 random pairs.</summary>
    [Fact]
    public void HashPairsMatchesHashPairOnEveryBatchPathForAnyCountAndInPlace()
    {
        var paths = Enum.GetValues<Keccak256.BatchPath>().Where(Keccak256.Supports).ToList();
        Assert.Contains(Keccak256.BestBatchPath, paths);
        Assert.True(paths.Contains(Keccak256.BatchPath.Avx2x4) || !System.Runtime.Intrinsics.X86.Avx2.IsSupported, "an AVX2 CPU without the AVX2 path");
        output.WriteLine($"batch paths run on this CPU: {string.Join(", ", paths)}");
        foreach (var path in paths)
        {
            var rng = new Random(99);
            foreach (int count in new[] { 0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 33, 64, 100, 4099 })
            {
                var nodes = new Hash256[2 * count + 1]; // one spare node that must be ignored
                var buf = new byte[32];
                for (int i = 0; i < nodes.Length; i++) { rng.NextBytes(buf); nodes[i] = new Hash256(buf); }
                var expected = new Hash256[count];
                for (int i = 0; i < count; i++) expected[i] = Keccak256.HashPair(nodes[2 * i], nodes[2 * i + 1]);

                var result = new Hash256[count];
                Keccak256.HashPairs(nodes, result, path);
                Assert.Equal(expected, result);

                Keccak256.HashPairs(nodes, nodes.AsSpan(0, count), path); // in place, as a Merkle level reduction does
                Assert.Equal(expected, nodes[..count]);
            }
        }
        foreach (var missing in Enum.GetValues<Keccak256.BatchPath>().Where(p => !Keccak256.Supports(p)))
        {
            output.WriteLine($"batch path {missing}: not on this CPU, not run");
            Assert.Throws<PlatformNotSupportedException>(() => Keccak256.HashPairs(new Hash256[8], new Hash256[4], missing));
        }
        Assert.Throws<ArgumentException>(() => Keccak256.HashPairs(new Hash256[3], new Hash256[2]));
    }
}
