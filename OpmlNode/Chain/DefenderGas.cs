using System.Numerics;

namespace OpmlNode.Chain;

/// <summary>
/// An upper bound on the gas an honest submitter spends defending one game to the end (PROTOCOL §5.8), from the per-move
/// figures of <c>forge test --match-contract GameGas</c> (docs/BENCHMARKS.md) with margin, each transaction counted
/// whole (21,000 intrinsic, calldata, execution). The worst case takes the deepest game the contracts allow: 2^32 slots
/// in phase 1 and 2^64 steps in phase 2, so it holds for every model a deployment may register.
/// </summary>
public static class DefenderGas
{
    /// <summary>One bisect of k − 1 roots: measured 59k (k = 2) to 100k (k = 64, first bisect) execution, plus 32
    /// calldata bytes per root at 16 gas and 21,000 intrinsic; here 83,000 + 1,300 per root.</summary>
    public static BigInteger Bisect(int k) => 21_000 + 62_000 + (k - 1) * 1_300;

    /// <summary>The turn after the phase-1 pin: proveTransition (measured 79k), link (145k with 2 inputs; up to 8 inputs,
    /// each a 32-sibling proof) and claimFinal (80k), each a transaction with its calldata.</summary>
    public const int PinTurn = 800_000;

    /// <summary>Bisections to narrow 2^bits points to one at arity k: ⌈bits / log2 k⌉, rounded up for a non-power k.</summary>
    public static int Rounds(int bits, int k)
    {
        int r = 0;
        for (BigInteger len = BigInteger.One << bits; len > 1; r++) len = (len + k - 1) / k;
        return r;
    }

    /// <summary>Every bisect of both phases at their deepest, and the pin turn.</summary>
    public static BigInteger WorstCaseGame(int k) => (Rounds(32, k) + Rounds(64, k)) * Bisect(k) + PinTurn;
}
