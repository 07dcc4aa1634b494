namespace OpmlNode.Dispute;

/// <summary>
/// How a node lies, for tests and demos (never set in production). A lying submitter posts a wrong root for slot
/// <see cref="LieSlot"/> (the first wrong slot) and, in phase 2, a VM trace that is honest before <see cref="LieStep"/>
/// (default: only its final state is forged to match the wrong root). A lying challenger believes the same about a
/// correct result and disputes it.
/// </summary>
public sealed record FaultInjection(long LieSlot, ulong? LieStep = null, bool ClaimTrap = false)
{
    /// <summary>The wrong output root a liar claims for a slot whose honest output is <paramref name="honestOutput"/>.</summary>
    public static byte[] CorruptOutput(ReadOnlySpan<byte> honestOutput)
    {
        var bytes = honestOutput.ToArray();
        bytes[0] ^= 0x01; // one flipped bit: a different tensor of the same shape
        return bytes;
    }
}
