using System.Numerics;
using Nethereum.Contracts;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Dispute;

namespace OpmlNode.Chain;

/// <summary>Sends one typed contract message (a transaction to DisputeGame).</summary>
public interface IGameMessageSink
{
    Task SendAsync<TFunction>(TFunction message) where TFunction : FunctionMessage, new();
}

/// <summary>The one mapping from a solver <see cref="Move"/> to the DisputeGame call that makes it, naming the turn it answers.</summary>
public static class GameMoveMessages
{
    /// <param name="posted">The last bisect's roots, which a choose hands back (the contract keeps only their hash).</param>
    public static Task SendAsync(Move move, BigInteger gameId, BigInteger turn, IReadOnlyList<Hash256>? posted, IGameMessageSink sink) => move switch
    {
        BisectMove b => sink.SendAsync(new BisectFunction { GameId = gameId, ExpectedTurn = turn, Roots = Bytes(b.Roots) }),
        ChooseMove c => sink.SendAsync(new ChooseFunction
        {
            GameId = gameId,
            ExpectedTurn = turn,
            C = c.Index,
            Posted = Bytes(posted ?? throw new ArgumentException("a choose needs the posted roots", nameof(posted))),
        }),
        TransitionMove t => sink.SendAsync(new ProveTransitionFunction { GameId = gameId, ExpectedTurn = turn, OutRoot = t.OutRoot.ToArray(), Siblings = Bytes(t.Siblings) }),
        LinkMove l => sink.SendAsync(new LinkFunction
        {
            GameId = gameId,
            ExpectedTurn = turn,
            Descriptor = l.Descriptor,
            DescriptorProof = Bytes(l.DescriptorProof),
            InputRoots = Bytes(l.InputRoots),
            InputProofs = [.. l.InputProofs.Select(Bytes)],
        }),
        ClaimFinalMove f => sink.SendAsync(new ClaimFinalFunction { GameId = gameId, ExpectedTurn = turn, FinalState = f.FinalState, OutputProof = Bytes(f.OutputProof) }),
        StepMove s => sink.SendAsync(new GameStepFunction { GameId = gameId, ExpectedTurn = turn, State = s.State, Proofs = s.Proofs }),
        _ => throw new ArgumentException($"unknown move {move.GetType().Name}", nameof(move)),
    };

    private static List<byte[]> Bytes(IEnumerable<Hash256> roots) => [.. roots.Select(r => r.ToArray())];
}
