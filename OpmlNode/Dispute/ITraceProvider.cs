using OpmlNode.Crypto;

namespace OpmlNode.Dispute;

/// <summary>
/// One party's view of a bisected sequence of commitments (op-challenger's TraceProvider): the graph state roots S_0..S_N
/// in phase 1, the VM state hashes h_0..h_T of one slot's run in phase 2. An honest provider computes them; a lying one
/// (fault injection) differs from some index on.
/// </summary>
public interface ITraceProvider
{
    /// <summary>The last index (N or T).</summary>
    long Length { get; }

    /// <summary>The commitment at index <paramref name="i"/> (0 ≤ i ≤ <see cref="Length"/>).</summary>
    Hash256 RootAt(long i);
}
