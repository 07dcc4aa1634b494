using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

public sealed class DisputeGameService(IWeb3 web3, string contractAddress)
    : ContractService(web3, contractAddress, ContractNames.DisputeGame)
{
    public Task<Mined<BisectedEvent>> BisectAsync(BigInteger gameId, BigInteger expectedTurn, IReadOnlyList<byte[]> roots, CancellationToken ct = default) =>
        SendForEventAsync<BisectFunction, BisectedEvent>(new BisectFunction { GameId = gameId, ExpectedTurn = expectedTurn, Roots = [.. roots] }, ct);

    public Task<Mined<ChosenEvent>> ChooseAsync(BigInteger gameId, BigInteger expectedTurn, BigInteger c, IReadOnlyList<byte[]> posted,
        CancellationToken ct = default) =>
        SendForEventAsync<ChooseFunction, ChosenEvent>(new ChooseFunction { GameId = gameId, ExpectedTurn = expectedTurn, C = c, Posted = [.. posted] }, ct);

    public Task<Mined<TransitionProvedEvent>> ProveTransitionAsync(BigInteger gameId, BigInteger expectedTurn, byte[] outRoot,
        IReadOnlyList<byte[]> siblings, CancellationToken ct = default) =>
        SendForEventAsync<ProveTransitionFunction, TransitionProvedEvent>(new ProveTransitionFunction
        {
            GameId = gameId,
            ExpectedTurn = expectedTurn,
            OutRoot = outRoot,
            Siblings = [.. siblings],
        }, ct);

    public Task<Mined<LinkedEvent>> LinkAsync(LinkFunction fn, CancellationToken ct = default) =>
        SendForEventAsync<LinkFunction, LinkedEvent>(fn, ct);

    public Task<Mined<FinalClaimedEvent>> ClaimFinalAsync(BigInteger gameId, BigInteger expectedTurn, byte[] finalState,
        IReadOnlyList<byte[]> outputProof, CancellationToken ct = default) =>
        SendForEventAsync<ClaimFinalFunction, FinalClaimedEvent>(new ClaimFinalFunction
        {
            GameId = gameId,
            ExpectedTurn = expectedTurn,
            FinalState = finalState,
            OutputProof = [.. outputProof],
        }, ct);

    /// <summary>The on-chain step; the receipt also holds <see cref="GameResolvedEvent"/> (see <see cref="ContractService.Events{TEvent}"/>).</summary>
    public Task<Mined<SteppedEvent>> StepAsync(BigInteger gameId, BigInteger expectedTurn, byte[] state, byte[] proofs, CancellationToken ct = default) =>
        SendForEventAsync<GameStepFunction, SteppedEvent>(new GameStepFunction { GameId = gameId, ExpectedTurn = expectedTurn, State = state, Proofs = proofs }, ct);

    public Task<Mined<GameResolvedEvent>> TimeoutAsync(BigInteger gameId, BigInteger expectedTurn, CancellationToken ct = default) =>
        SendForEventAsync<TimeoutFunction, GameResolvedEvent>(new TimeoutFunction { GameId = gameId, ExpectedTurn = expectedTurn }, ct);

    public Task<Mined<GameCancelledEvent>> CancelAsync(BigInteger gameId, CancellationToken ct = default) =>
        SendForEventAsync<CancelFunction, GameCancelledEvent>(new CancelFunction { GameId = gameId }, ct);

    /// <summary>Tasks-contract-only entry point (anyone else gets "OnlyTasks").</summary>
    public Task<Mined<GameStartedEvent>> OpenAsync(OpenFunction fn, CancellationToken ct = default) =>
        SendForEventAsync<OpenFunction, GameStartedEvent>(fn, ct);

    public async Task<GameInfo> GetGameAsync(BigInteger gameId, BlockParameter? block = null) =>
        (await QueryOutputAsync<GameFunction, GameOutput>(new GameFunction { GameId = gameId }, block).ConfigureAwait(false)).G;

    public Task<BigInteger> GameCountAsync(BlockParameter? block = null) =>
        QueryAsync<GameCountFunction, BigInteger>(new GameCountFunction(), block);

    public Task<ulong> DeadlineAsync(BigInteger gameId, BlockParameter? block = null) =>
        QueryAsync<DeadlineFunction, ulong>(new DeadlineFunction { GameId = gameId }, block);

    public Task<byte[]> PostedHashAsync(BigInteger gameId, BlockParameter? block = null) =>
        QueryAsync<PostedHashFunction, byte[]>(new PostedHashFunction { GameId = gameId }, block);

    /// <summary>The roots of the game's last bisect (turn <paramref name="turn"/>), read back from its <c>Bisected</c> event
    /// (the contract stores only their hash): the last log of that turn whose roots hash to <c>postedHash</c>. Logs the
    /// provider sends that are not the event's shape, or do not hash to it, are passed over.</summary>
    public async Task<List<byte[]>> PostedRootsAsync(BigInteger gameId, uint turn, CancellationToken ct = default)
    {
        var ev = Web3.Eth.GetEvent<BisectedEvent>(ContractAddress);
        var logs = await new LogCheck<BisectedEvent>(ContractAddress)
            .BelievedAsync(Web3, ev.CreateFilterInput(gameId, BlockParameter.CreateEarliest(), BlockParameter.CreateLatest())).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var onChain = new Crypto.Hash256(await PostedHashAsync(gameId).ConfigureAwait(false));
        var ofTurn = logs.Where(l => l.Event.Turn == turn).ToList();
        for (int j = ofTurn.Count - 1; j >= 0; j--)
        {
            var roots = ofTurn[j].Event.Roots;
            if (roots.Any(r => r is not { Length: 32 })) continue;
            var packed = new byte[roots.Count * 32];
            for (int i = 0; i < roots.Count; i++) roots[i].CopyTo(packed, i * 32);
            if (Crypto.Keccak256.Hash(packed) == onChain) return roots;
        }
        throw new InvalidOperationException(ofTurn.Count == 0
            ? $"game {gameId}: no Bisected event for turn {turn}"
            : $"game {gameId}: no Bisected roots of turn {turn} hash to postedHash {onChain} (a reorg?)");
    }

    public Task<List<ulong>> SplitPointsAsync(ulong lo, ulong hi, BlockParameter? block = null) =>
        QueryAsync<SplitPointsFunction, List<ulong>>(new SplitPointsFunction { Lo = lo, Hi = hi }, block);

    public Task<bool> SubmissionRejectedAsync(BigInteger submissionId, BlockParameter? block = null) =>
        QueryAsync<SubmissionRejectedFunction, bool>(new SubmissionRejectedFunction { SubmissionId = submissionId }, block);

    public Task<BigInteger> KAsync(BlockParameter? block = null) => QueryAsync<KFunction, BigInteger>(new KFunction(), block);

    public Task<ulong> ClockBudgetAsync(BlockParameter? block = null) =>
        QueryAsync<ClockBudgetFunction, ulong>(new ClockBudgetFunction(), block);

    public Task<ulong> ExtensionAsync(BlockParameter? block = null) =>
        QueryAsync<ExtensionFunction, ulong>(new ExtensionFunction(), block);

    public Task<string> TasksAsync(BlockParameter? block = null) => QueryAsync<TasksFunction, string>(new TasksFunction(), block);

    public Task<string> RiscvAsync(BlockParameter? block = null) => QueryAsync<RiscvFunction, string>(new RiscvFunction(), block);

    public Task<string> RegistryAsync(BlockParameter? block = null) =>
        QueryAsync<GameRegistryFunction, string>(new GameRegistryFunction(), block);
}
