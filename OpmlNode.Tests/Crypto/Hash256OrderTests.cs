using OpmlNode.Crypto;

namespace OpmlNode.Tests.Crypto;

/// <summary>Hash256 orders like its bytes (so a sorted list of hashes is a sorted list of storage keys).</summary>
public class Hash256OrderTests
{
    [Fact]
    public void OrderIsTheUnsignedByteOrderOfTheHexString()
    {
        var r = new Random(11);
        var hashes = new List<Hash256>();
        for (int i = 0; i < 500; i++)
        {
            var b = new byte[32];
            r.NextBytes(b);
            if (i % 5 == 0) Array.Clear(b, 0, r.Next(1, 31)); // long shared prefixes reach the later words
            if (i % 7 == 0) b[r.Next(32)] = 0xff;
            hashes.Add(new Hash256(b));
        }
        hashes.Add(Hash256.Zero);
        var byCompare = hashes.OrderBy(h => h).ToList();
        var byBytes = hashes.OrderBy(h => h.ToString(), StringComparer.Ordinal).ToList();
        Assert.Equal(byBytes, byCompare);
        for (int i = 1; i < byCompare.Count; i++)
        {
            Assert.True(byCompare[i - 1] <= byCompare[i]);
            Assert.Equal(Math.Sign(byCompare[i - 1].ToArray().AsSpan().SequenceCompareTo(byCompare[i].ToArray())), Math.Sign(byCompare[i - 1].CompareTo(byCompare[i])));
        }
        Assert.Equal(0, hashes[3].CompareTo(new Hash256(hashes[3].ToArray())));
    }
}
