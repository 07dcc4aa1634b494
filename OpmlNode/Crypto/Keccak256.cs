using Org.BouncyCastle.Crypto.Digests;

namespace OpmlNode.Crypto;

/// <summary>Ethereum keccak256 (original Keccak padding, not NIST SHA3). TEMPORARY BouncyCastle-backed body: being replaced by a span-based unrolled keccak-f[1600].</summary>
public static class Keccak256
{
    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var d = new KeccakDigest(256);
        d.BlockUpdate(input);
        d.DoFinal(output);
    }

    public static Hash256 Hash(ReadOnlySpan<byte> input)
    {
        Span<byte> o = stackalloc byte[32];
        Hash(input, o);
        return new Hash256(o);
    }

    /// <summary>keccak256(left ‖ right): the Merkle parent of two 32-byte nodes.</summary>
    public static Hash256 HashPair(in Hash256 left, in Hash256 right)
    {
        Span<byte> buf = stackalloc byte[64];
        left.CopyTo(buf);
        right.CopyTo(buf[32..]);
        return Hash(buf);
    }
}
