using OpmlNode.Crypto;

namespace OpmlNode.Dispute;

/// <summary>One move of a dispute game (PROTOCOL §5), as the contract takes it.</summary>
public abstract record Move;

/// <summary>Submitter: the roots at the interior split points p_1..p_{m−1} of the disputed interval.</summary>
public sealed record BisectMove(Hash256[] Roots) : Move;

/// <summary>Challenger: the sub-interval (p_c, p_{c+1}) it disputes.</summary>
public sealed record ChooseMove(int Index) : Move;

/// <summary>Submitter, phase 1's end at slot j: out_j and the 32 siblings taking S_j (leaf Z[0]) to S_{j+1}.</summary>
public sealed record TransitionMove(Hash256 OutRoot, Hash256[] Siblings) : Move;

/// <summary>Submitter: node j's descriptor with its proof, and every input's root with its proof (GRAPH §4).</summary>
public sealed record LinkMove(byte[] Descriptor, Hash256[] DescriptorProof, Hash256[] InputRoots, Hash256[][] InputProofs) : Move;

/// <summary>Submitter: the final VM state (exited 0 after T steps) and the 4 siblings of its output region.</summary>
public sealed record ClaimFinalMove(byte[] FinalState, Hash256[] OutputProof) : Move;

/// <summary>Anyone: the witness of the agreed state s; the contract executes it and compares with h_{s+1}.</summary>
public sealed record StepMove(byte[] State, byte[] Proofs) : Move;

/// <summary>The two sides of a game.</summary>
public enum Role
{
    Submitter,
    Challenger,
}
