using OpmlNode.Crypto;

namespace OpmlNode.Dispute;

/// <summary>What the solver reads of a game: the local referee (<see cref="GameState"/>) or a snapshot of the contract.</summary>
public interface IGameView
{
    GamePhase Phase { get; }
    int K { get; }
    long Lo { get; }
    long Hi { get; }
    Hash256 HiRoot { get; }

    /// <summary>The submitter's roots at the interior split points, once posted and until the challenger chooses.</summary>
    IReadOnlyList<Hash256>? Posted { get; }

    /// <summary>The slot phase 1 pinned (−1 before).</summary>
    long Slot { get; }

    Role? ToMove { get; }
}
