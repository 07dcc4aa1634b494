namespace OpmlNode.Dispute;

/// <summary>
/// The clock floor of each turn (PROTOCOL §5.4–5.5), as the contract applies it: a turn that may need <c>n</c>
/// transactions starts with at least <c>n·E</c>. The node sizes its low-clock warning by it; the fixture and on-chain
/// tests check it against the contract's clocks.
/// </summary>
public static class ClockRules
{
    /// <summary>The submitter's turn after the phase-1 pin: proveTransition, link, claimFinal and the first bisect.</summary>
    public const int PinTransactions = 4;

    /// <summary>The challenger's turn when its choose may pin a step: choose, step.</summary>
    public const int StepTransactions = 2;

    /// <summary>How many transactions the side to move in <paramref name="game"/> may still need in its current turn
    /// (at most: the pin turn's last bisect is not due when T = 1). A side that sends each within E of the last never
    /// has less than this many E left.</summary>
    public static int TransactionsDue(IGameView game) => game.Phase switch
    {
        GamePhase.Transition => PinTransactions,
        GamePhase.Link => PinTransactions - 1,
        GamePhase.ClaimFinal => PinTransactions - 2,
        GamePhase.Vm when game.Posted is not null => ChooseMayPinStep(game.Hi - game.Lo, game.K) ? StepTransactions : 1,
        _ => 1,
    };

    /// <summary>Whether some sub-interval of a split of length <paramref name="length"/> has length 1, so that the
    /// choose may pin a step: ⌊L/m⌋ = 1 with m = min(k, L), i.e. L &lt; 2m.</summary>
    public static bool ChooseMayPinStep(long length, int k) => length > 1 && length < 2 * Math.Min(k, length);
}
