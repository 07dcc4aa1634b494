namespace OpmlNode.Dispute;

/// <summary>
/// Plays a whole game between two parties off chain, through <see cref="Solver"/> and refereed by
/// <see cref="GameState"/> (the contract's rules in C#). Used for fixtures (the move list a forge test replays on the
/// real contract) and to test the solver's soundness exhaustively.
/// </summary>
public static class LocalDispute
{
    public sealed record Result(Role Winner, IReadOnlyList<(Role By, Move Move)> Moves, GameState Game);

    public static Result Play(RegisteredModel model, DisputeParty submitter, DisputeParty challenger, int k, int maxMoves = 10_000)
    {
        var game = new GameState(model, submitter.Graph.InputRoot, submitter.Graph.Passes, submitter.Graph.FinalRoot, k);
        var moves = new List<(Role, Move)>();
        while (game.Phase != GamePhase.Resolved)
        {
            if (moves.Count >= maxMoves) throw new InvalidOperationException($"game did not end within {maxMoves} moves");
            var role = game.ToMove!.Value;
            var me = role == Role.Submitter ? submitter : challenger;
            Move? move;
            try { move = Solver.NextMove(game, role, me); }
            catch (InvalidOperationException) when (role == Role.Submitter && game.Phase == GamePhase.ClaimFinal)
            {
                move = null; // a submitter that cannot produce a valid final state cannot move: its clock runs out
            }
            if (move is null) { game.Timeout(); break; }
            try { game.Apply(move); }
            catch (InvalidMoveException) { game.Timeout(); break; } // a move the contract rejects is no move: the clock decides
            moves.Add((role, move));
        }
        return new Result(game.Winner!.Value, moves, game);
    }
}
