using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

// Hand-written Nethereum typed DTOs for contracts/src/dispute/DisputeGame.sol (PROTOCOL §5.3–§5.5). Errors: DisputeErrors.cs
// and RiscvStepContract.cs (step). ContractBindingAbiTests checks every DTO against forge's artifact
// (out/DisputeGame.sol/DisputeGame.json). The game is created by OpmlTasks' constructor (OpmlTasksService.GameAsync);
// the deployment DTO only documents/checks the constructor.

/// <summary><c>constructor(address tasks_, address registry_, address riscv_, uint256 k_, uint64 clockBudget_, uint64 extension_)</c>.</summary>
[ContractAbi(ContractNames.DisputeGame)]
public sealed class DisputeGameDeployment : ContractDeploymentMessage
{
    public DisputeGameDeployment() : base("") { }
    public DisputeGameDeployment(string bytecode) : base(bytecode) { }

    [Parameter("address", "tasks_", 1)] public string Tasks { get; set; } = "";
    [Parameter("address", "registry_", 2)] public string Registry { get; set; } = "";
    [Parameter("address", "riscv_", 3)] public string Riscv { get; set; } = "";
    [Parameter("uint256", "k_", 4)] public BigInteger K { get; set; }
    [Parameter("uint64", "clockBudget_", 5)] public ulong ClockBudget { get; set; }
    [Parameter("uint64", "extension_", 6)] public ulong Extension { get; set; }
}

// ---------------------------------------------------------------- functions

/// <summary><c>game(uint256 gameId) view returns (Game)</c> (all zero for an unknown id).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("game", typeof(GameOutput))]
public sealed class GameFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

[FunctionOutput]
public sealed class GameOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "", 1)] public GameInfo G { get; set; } = new();
}

/// <summary><c>bisect(uint256 gameId, uint256 expectedTurn, bytes32[] roots)</c>. Submitter: the m − 1 roots at p_1..p_{m−1} of the current interval.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("bisect")]
public sealed class BisectFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
    [Parameter("bytes32[]", "roots", 3)] public List<byte[]> Roots { get; set; } = [];
}

/// <summary><c>choose(uint256 gameId, uint256 expectedTurn, uint256 c)</c>. Challenger: picks sub-interval c (&lt; m).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("choose")]
public sealed class ChooseFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
    [Parameter("uint256", "c", 3)] public BigInteger C { get; set; }
    /// <summary>The last bisect's roots handed back (the contract keeps only their hash, PROTOCOL §5.3).</summary>
    [Parameter("bytes32[]", "posted", 4)] public List<byte[]> Posted { get; set; } = [];
}

/// <summary><c>proveTransition(uint256 gameId, uint256 expectedTurn, bytes32 outRoot, bytes32[] siblings)</c>. Submitter: the 32 siblings of leaf j (S_j with leaf 0, S_{j+1} with outRoot).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("proveTransition")]
public sealed class ProveTransitionFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
    [Parameter("bytes32", "outRoot", 3)] public byte[] OutRoot { get; set; } = [];
    [Parameter("bytes32[]", "siblings", 4)] public List<byte[]> Siblings { get; set; } = [];
}

/// <summary><c>link(uint256 gameId, uint256 expectedTurn, bytes descriptor, bytes32[] descriptorProof, bytes32[] inputRoots, bytes32[][] inputProofs)</c>. Submitter: composes the VM start state of slot j (GRAPH §4). inputProofs is bytes32[][] (one proof per input).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("link")]
public sealed class LinkFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
    [Parameter("bytes", "descriptor", 3)] public byte[] Descriptor { get; set; } = [];
    [Parameter("bytes32[]", "descriptorProof", 4)] public List<byte[]> DescriptorProof { get; set; } = [];
    [Parameter("bytes32[]", "inputRoots", 5)] public List<byte[]> InputRoots { get; set; } = [];
    [Parameter("bytes32[][]", "inputProofs", 6)] public List<List<byte[]>> InputProofs { get; set; } = [];
}

/// <summary><c>claimFinal(uint256 gameId, uint256 expectedTurn, bytes finalState, bytes32[] outputProof)</c>. Submitter: the final VM state (h_T), bound to out_j.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("claimFinal")]
public sealed class ClaimFinalFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
    [Parameter("bytes", "finalState", 3)] public byte[] FinalState { get; set; } = [];
    [Parameter("bytes32[]", "outputProof", 4)] public List<byte[]> OutputProof { get; set; } = [];
}

/// <summary><c>step(uint256 gameId, uint256 expectedTurn, bytes state, bytes proofs)</c>. Anyone: executes the disputed step with RiscvStep (its errors bubble up). Named GameStep: RiscvStep's own step is StepFunction.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("step")]
public sealed class GameStepFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
    [Parameter("bytes", "state", 3)] public byte[] State { get; set; } = [];
    [Parameter("bytes", "proofs", 4)] public byte[] Proofs { get; set; } = [];
}

/// <summary><c>timeout(uint256 gameId, uint256 expectedTurn)</c>. Anyone: resolves the game against the side whose clock ran out.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("timeout")]
public sealed class TimeoutFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "expectedTurn", 2)] public BigInteger ExpectedTurn { get; set; }
}

/// <summary><c>cancel(uint256 gameId)</c>. Anyone: cancels a game whose submission another game rejected (challenger refunded).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("cancel")]
public sealed class CancelFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

/// <summary><c>open(uint256 taskId, uint256 submissionId, uint256 modelId, uint64 slots, bytes32 finalRoot, address submitter, address challenger) returns (uint256)</c>. Tasks contract only (called by OpmlTasks.challenge); anyone else gets OnlyTasks.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("open", "uint256")]
public sealed class OpenFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "submissionId", 2)] public BigInteger SubmissionId { get; set; }
    [Parameter("uint256", "modelId", 3)] public BigInteger ModelId { get; set; }
    [Parameter("uint64", "slots", 4)] public ulong Slots { get; set; }
    [Parameter("bytes32", "finalRoot", 5)] public byte[] FinalRoot { get; set; } = [];
    [Parameter("address", "submitter", 6)] public string Submitter { get; set; } = "";
    [Parameter("address", "challenger", 7)] public string Challenger { get; set; } = "";
}

/// <summary><c>gameCount() returns (uint256)</c></summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("gameCount", "uint256")]
public sealed class GameCountFunction : FunctionMessage;

/// <summary><c>deadline(uint256 gameId) returns (uint64)</c>. When the side to move runs out of time.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("deadline", "uint64")]
public sealed class DeadlineFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

/// <summary><c>postedHash(uint256 gameId) returns (bytes32)</c>. keccak256 of the last bisect's roots, packed.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("postedHash", "bytes32")]
public sealed class PostedHashFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

/// <summary><c>splitPoints(uint64 lo, uint64 hi) returns (uint64[])</c>. The split points p_0..p_m of [lo, hi] (PROTOCOL §5.3).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("splitPoints", "uint64[]")]
public sealed class SplitPointsFunction : FunctionMessage
{
    [Parameter("uint64", "lo", 1)] public ulong Lo { get; set; }
    [Parameter("uint64", "hi", 2)] public ulong Hi { get; set; }
}

/// <summary><c>submissionRejected(uint256) returns (bool)</c></summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("submissionRejected", "bool")]
public sealed class SubmissionRejectedFunction : FunctionMessage
{
    [Parameter("uint256", "", 1)] public BigInteger SubmissionId { get; set; }
}

/// <summary><c>k() returns (uint256)</c>. Bisection arity.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("k", "uint256")]
public sealed class KFunction : FunctionMessage;

/// <summary><c>clockBudget() returns (uint64)</c></summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("clockBudget", "uint64")]
public sealed class ClockBudgetFunction : FunctionMessage;

/// <summary><c>extension() returns (uint64)</c></summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("extension", "uint64")]
public sealed class ExtensionFunction : FunctionMessage;

/// <summary><c>tasks() returns (address)</c>. The OpmlTasks contract.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("tasks", "address")]
public sealed class TasksFunction : FunctionMessage;

/// <summary><c>riscv() returns (address)</c>. The RiscvStep contract.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("riscv", "address")]
public sealed class RiscvFunction : FunctionMessage;

/// <summary><c>registry() returns (address)</c>. DisputeGame's registry(); OpmlTasks' is TasksRegistryFunction.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Function("registry", "address")]
public sealed class GameRegistryFunction : FunctionMessage;

// ---------------------------------------------------------------- events

[ContractAbi(ContractNames.DisputeGame)]
[Event("GameStarted")]
public sealed class GameStartedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "taskId", 2, true)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "submissionId", 3, true)] public BigInteger SubmissionId { get; set; }
    [Parameter("address", "submitter", 4, false)] public string Submitter { get; set; } = "";
    [Parameter("address", "challenger", 5, false)] public string Challenger { get; set; } = "";
    [Parameter("uint64", "slots", 6, false)] public ulong Slots { get; set; }
    [Parameter("bytes32", "finalRoot", 7, false)] public byte[] FinalRoot { get; set; } = [];
}

/// <summary>Emitted after every move and at the start: the whole state a follower needs.</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Event("GameProgress")]
public sealed class GameProgressEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "nextTurn", 2, false)] public uint NextTurn { get; set; }
    [Parameter("uint8", "stage", 3, false)] public Stage Stage { get; set; }
    [Parameter("uint8", "toMove", 4, false)] public Side ToMove { get; set; }
    [Parameter("uint64", "lo", 5, false)] public ulong Lo { get; set; }
    [Parameter("uint64", "hi", 6, false)] public ulong Hi { get; set; }
    [Parameter("bytes32", "rootLo", 7, false)] public byte[] RootLo { get; set; } = [];
    [Parameter("bytes32", "rootHi", 8, false)] public byte[] RootHi { get; set; } = [];
    [Parameter("uint64", "submitterClock", 9, false)] public ulong SubmitterClock { get; set; }
    [Parameter("uint64", "challengerClock", 10, false)] public ulong ChallengerClock { get; set; }
    [Parameter("uint64", "deadline", 11, false)] public ulong Deadline { get; set; }
}

/// <summary>roots[i-1] is the submitter's root at point p_i = lo + i·(hi−lo)/m; phase is 1 (slots) or 2 (steps).</summary>
[ContractAbi(ContractNames.DisputeGame)]
[Event("Bisected")]
public sealed class BisectedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("uint8", "phase", 3, false)] public byte Phase { get; set; }
    [Parameter("uint64", "lo", 4, false)] public ulong Lo { get; set; }
    [Parameter("uint64", "hi", 5, false)] public ulong Hi { get; set; }
    [Parameter("bytes32[]", "roots", 6, false)] public List<byte[]> Roots { get; set; } = [];
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("Chosen")]
public sealed class ChosenEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("uint8", "phase", 3, false)] public byte Phase { get; set; }
    [Parameter("uint256", "choice", 4, false)] public BigInteger Choice { get; set; }
    [Parameter("uint64", "lo", 5, false)] public ulong Lo { get; set; }
    [Parameter("uint64", "hi", 6, false)] public ulong Hi { get; set; }
    [Parameter("bytes32", "rootLo", 7, false)] public byte[] RootLo { get; set; } = [];
    [Parameter("bytes32", "rootHi", 8, false)] public byte[] RootHi { get; set; } = [];
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("TransitionProved")]
public sealed class TransitionProvedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("uint64", "slot", 3, false)] public ulong Slot { get; set; }
    [Parameter("bytes32", "outRoot", 4, false)] public byte[] OutRoot { get; set; } = [];
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("Linked")]
public sealed class LinkedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("uint64", "slot", 3, false)] public ulong Slot { get; set; }
    [Parameter("uint32", "node", 4, false)] public uint Node { get; set; }
    [Parameter("uint64", "pass", 5, false)] public ulong Pass { get; set; }
    [Parameter("bytes32", "descriptorRoot", 6, false)] public byte[] DescriptorRoot { get; set; } = [];
    [Parameter("bytes32[]", "inputRoots", 7, false)] public List<byte[]> InputRoots { get; set; } = [];
    [Parameter("bytes32", "memRoot", 8, false)] public byte[] MemRoot { get; set; } = [];
    [Parameter("bytes32", "startStateHash", 9, false)] public byte[] StartStateHash { get; set; } = [];
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("FinalClaimed")]
public sealed class FinalClaimedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("uint64", "steps", 3, false)] public ulong Steps { get; set; }
    [Parameter("bytes32", "finalMemRoot", 4, false)] public byte[] FinalMemRoot { get; set; } = [];
    [Parameter("bytes32", "finalStateHash", 5, false)] public byte[] FinalStateHash { get; set; } = [];
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("Stepped")]
public sealed class SteppedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("address", "caller", 3, false)] public string Caller { get; set; } = "";
    [Parameter("uint64", "stepIndex", 4, false)] public ulong StepIndex { get; set; }
    [Parameter("bytes32", "preStateHash", 5, false)] public byte[] PreStateHash { get; set; } = [];
    [Parameter("bytes32", "postStateHash", 6, false)] public byte[] PostStateHash { get; set; } = [];
    [Parameter("bytes32", "claimedPostStateHash", 7, false)] public byte[] ClaimedPostStateHash { get; set; } = [];
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("GameResolved")]
public sealed class GameResolvedEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint32", "turn", 2, false)] public uint Turn { get; set; }
    [Parameter("uint8", "winner", 3, false)] public Side Winner { get; set; }
    [Parameter("uint8", "how", 4, false)] public Resolution How { get; set; }
    [Parameter("address", "winnerAccount", 5, false)] public string WinnerAccount { get; set; } = "";
}

[ContractAbi(ContractNames.DisputeGame)]
[Event("GameCancelled")]
public sealed class GameCancelledEvent : IEventDTO
{
    [Parameter("uint256", "gameId", 1, true)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "submissionId", 2, true)] public BigInteger SubmissionId { get; set; }
    [Parameter("address", "challenger", 3, false)] public string Challenger { get; set; } = "";
}

// ---------------------------------------------------------------- service

/// <summary>Typed access to the DisputeGame created by OpmlTasks. Moves wait for their receipt and return the move's
/// event; reverts (including RiscvStep's errors from <c>step</c>) throw <see cref="ContractRevertException"/>.</summary>
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
    /// (the contract stores only their hash) and checked against <c>postedHash</c>.</summary>
    public async Task<List<byte[]>> PostedRootsAsync(BigInteger gameId, uint turn, CancellationToken ct = default)
    {
        var ev = Web3.Eth.GetEvent<BisectedEvent>(ContractAddress);
        var logs = await ev.GetAllChangesAsync(ev.CreateFilterInput(gameId, BlockParameter.CreateEarliest(), BlockParameter.CreateLatest()))
            .ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var last = logs.LastOrDefault(l => l.Event.Turn == turn)
            ?? throw new InvalidOperationException($"game {gameId}: no Bisected event for turn {turn}");
        var roots = last.Event.Roots;
        var packed = new byte[roots.Count * 32];
        for (int i = 0; i < roots.Count; i++) roots[i].CopyTo(packed, i * 32);
        var onChain = new Crypto.Hash256(await PostedHashAsync(gameId).ConfigureAwait(false));
        if (Crypto.Keccak256.Hash(packed) != onChain)
            throw new InvalidOperationException($"game {gameId}: the Bisected roots of turn {turn} do not hash to postedHash {onChain} (a reorg?)");
        return roots;
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
