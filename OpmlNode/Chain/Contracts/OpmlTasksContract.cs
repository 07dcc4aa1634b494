using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

// Hand-written Nethereum typed DTOs for contracts/src/dispute/OpmlTasks.sol (PROTOCOL §5.2, §5.6). Errors: DisputeErrors.cs.
// ContractBindingAbiTests checks every DTO against forge's artifact (out/OpmlTasks.sol/OpmlTasks.json).

/// <summary><c>constructor(address registry_, address riscvStep, Parameters p)</c>; also deploys the DisputeGame
/// (<c>game()</c>).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
public sealed class OpmlTasksDeployment : ContractDeploymentMessage
{
    public OpmlTasksDeployment() : base("") { }
    public OpmlTasksDeployment(string bytecode) : base(bytecode) { }

    [Parameter("address", "registry_", 1)] public string Registry { get; set; } = "";
    [Parameter("address", "riscvStep", 2)] public string RiscvStep { get; set; } = "";
    [Parameter("tuple", "p", 3)] public ParametersInfo P { get; set; } = new();
}

// ---------------------------------------------------------------- transactions

/// <summary><c>request(uint256 modelId, bytes input, uint32 passes) payable returns (uint256 taskId)</c>; the fee is
/// <see cref="FunctionMessage.AmountToSend"/>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("request", "uint256")]
public sealed class RequestFunction : FunctionMessage
{
    [Parameter("uint256", "modelId", 1)] public BigInteger ModelId { get; set; }
    [Parameter("bytes", "input", 2)] public byte[] Input { get; set; } = [];
    [Parameter("uint32", "passes", 3)] public uint Passes { get; set; }
}

/// <summary><c>submit(uint256 taskId, bytes output, bytes32 finalRoot, bytes32[] outputSlotProof) payable returns
/// (uint256 submissionId)</c>; the bond is <see cref="FunctionMessage.AmountToSend"/>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("submit", "uint256")]
public sealed class SubmitFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
    [Parameter("bytes", "output", 2)] public byte[] Output { get; set; } = [];
    [Parameter("bytes32", "finalRoot", 3)] public byte[] FinalRoot { get; set; } = [];
    [Parameter("bytes32[]", "outputSlotProof", 4)] public List<byte[]> OutputSlotProof { get; set; } = [];
}

/// <summary><c>challenge(uint256 taskId) payable returns (uint256 gameId)</c>; the bond is <see cref="FunctionMessage.AmountToSend"/>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("challenge", "uint256")]
public sealed class ChallengeFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

/// <summary><c>finalize(uint256 taskId)</c>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("finalize")]
public sealed class FinalizeFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

/// <summary><c>withdraw() returns (uint256 amount)</c>; reverts <c>NothingToWithdraw</c> with no credit.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("withdraw", "uint256")]
public sealed class WithdrawFunction : FunctionMessage;

/// <summary><c>onGameResolved(uint256 gameId, uint256 submissionId, address submitter, address challenger, bool challengerWon)</c>
/// (game contract only).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("onGameResolved")]
public sealed class OnGameResolvedFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "submissionId", 2)] public BigInteger SubmissionId { get; set; }
    [Parameter("address", "submitter", 3)] public string Submitter { get; set; } = "";
    [Parameter("address", "challenger", 4)] public string Challenger { get; set; } = "";
    [Parameter("bool", "challengerWon", 5)] public bool ChallengerWon { get; set; }
}

/// <summary><c>onGameCancelled(uint256 gameId, uint256 submissionId, address challenger)</c> (game contract only).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("onGameCancelled")]
public sealed class OnGameCancelledFunction : FunctionMessage
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
    [Parameter("uint256", "submissionId", 2)] public BigInteger SubmissionId { get; set; }
    [Parameter("address", "challenger", 3)] public string Challenger { get; set; } = "";
}

// ---------------------------------------------------------------- views

/// <summary><c>task(uint256 taskId) view returns (Task t)</c>; reverts <c>UnknownTask</c>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("task", typeof(TaskOutput))]
public sealed class TaskFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

[FunctionOutput]
public sealed class TaskOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "t", 1)] public TaskInfo T { get; set; } = new();
}

/// <summary><c>submission(uint256 submissionId) view returns (Submission)</c> (all zero for an unknown id).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("submission", typeof(SubmissionOutput))]
public sealed class SubmissionFunction : FunctionMessage
{
    [Parameter("uint256", "submissionId", 1)] public BigInteger SubmissionId { get; set; }
}

[FunctionOutput]
public sealed class SubmissionOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "", 1)] public SubmissionInfo S { get; set; } = new();
}

/// <summary><c>credits(address) view returns (uint256)</c>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("credits", "uint256")]
public sealed class CreditsFunction : FunctionMessage
{
    [Parameter("address", "", 1)] public string Account { get; set; } = "";
}

/// <summary><c>inputRootOf(uint256 taskId) view returns (bytes32)</c>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("inputRootOf", "bytes32")]
public sealed class InputRootOfFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

/// <summary>OpmlTasks' <c>registry() view returns (address)</c>.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("registry", "address")]
public sealed class TasksRegistryFunction : FunctionMessage;

/// <summary>OpmlTasks' <c>game() view returns (address)</c>: the DisputeGame its constructor created.</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("game", "address")]
public sealed class TasksGameFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("challengeWindow", "uint256")]
public sealed class ChallengeWindowFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("challengerBond", "uint256")]
public sealed class ChallengerBondFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("liabilities", "uint256")]
public sealed class LiabilitiesFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("minFee", "uint256")]
public sealed class MinFeeFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("submissionCount", "uint256")]
public sealed class SubmissionCountFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("submitterBond", "uint256")]
public sealed class SubmitterBondFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("taskCount", "uint256")]
public sealed class TaskCountFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("taskExpiry", "uint256")]
public sealed class TaskExpiryFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("lossBps", "uint256")]
public sealed class LossBpsFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("lossReceiver", "address")]
public sealed class LossReceiverFunction : FunctionMessage;

/// <summary><c>rejectionSplit(uint256 others) view returns (uint256 loss, uint256 perGame, uint256 toWinner)</c>: what a
/// rejection pays with <c>others</c> games still open (PROTOCOL §5.8).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("rejectionSplit", typeof(RejectionSplitOutput))]
public sealed class RejectionSplitFunction : FunctionMessage
{
    [Parameter("uint256", "others", 1)] public BigInteger Others { get; set; }
}

[FunctionOutput]
public sealed class RejectionSplitOutput : IFunctionOutputDTO
{
    [Parameter("uint256", "loss", 1)] public BigInteger Loss { get; set; }
    [Parameter("uint256", "perGame", 2)] public BigInteger PerGame { get; set; }
    [Parameter("uint256", "toWinner", 3)] public BigInteger ToWinner { get; set; }
}

/// <summary><c>reclaim(uint256 taskId)</c>: the requester of an Open task past its expiry takes the fee back (credited).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Function("reclaim")]
public sealed class ReclaimFunction : FunctionMessage
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

[ContractAbi(ContractNames.OpmlTasks)]
[Function("totalCredits", "uint256")]
public sealed class TotalCreditsFunction : FunctionMessage;

[ContractAbi(ContractNames.OpmlTasks)]
[Function("totalLocked", "uint256")]
public sealed class TotalLockedFunction : FunctionMessage;

// ---------------------------------------------------------------- events

[ContractAbi(ContractNames.OpmlTasks)]
[Event("TaskRequested")]
public sealed class TaskRequestedEvent : IEventDTO
{
    [Parameter("uint256", "taskId", 1, true)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "modelId", 2, true)] public BigInteger ModelId { get; set; }
    [Parameter("address", "requester", 3, true)] public string Requester { get; set; } = "";
    [Parameter("uint32", "passes", 4, false)] public uint Passes { get; set; }
    [Parameter("uint64", "slots", 5, false)] public ulong Slots { get; set; }
    [Parameter("uint256", "fee", 6, false)] public BigInteger Fee { get; set; }
    [Parameter("bytes32", "inputRoot", 7, false)] public byte[] InputRoot { get; set; } = [];
    [Parameter("bytes", "input", 8, false)] public byte[] Input { get; set; } = [];
}

[ContractAbi(ContractNames.OpmlTasks)]
[Event("ResultSubmitted")]
public sealed class ResultSubmittedEvent : IEventDTO
{
    [Parameter("uint256", "taskId", 1, true)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "submissionId", 2, true)] public BigInteger SubmissionId { get; set; }
    [Parameter("address", "submitter", 3, true)] public string Submitter { get; set; } = "";
    [Parameter("bytes32", "outputRoot", 4, false)] public byte[] OutputRoot { get; set; } = [];
    [Parameter("bytes32", "finalRoot", 5, false)] public byte[] FinalRoot { get; set; } = [];
    [Parameter("uint64", "outputSlot", 6, false)] public ulong OutputSlot { get; set; }
    [Parameter("uint256", "bond", 7, false)] public BigInteger Bond { get; set; }
    [Parameter("uint64", "challengeDeadline", 8, false)] public ulong ChallengeDeadline { get; set; }
    [Parameter("bytes", "output", 9, false)] public byte[] Output { get; set; } = [];
}

[ContractAbi(ContractNames.OpmlTasks)]
[Event("Challenged")]
public sealed class ChallengedEvent : IEventDTO
{
    [Parameter("uint256", "taskId", 1, true)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "submissionId", 2, true)] public BigInteger SubmissionId { get; set; }
    [Parameter("uint256", "gameId", 3, true)] public BigInteger GameId { get; set; }
    [Parameter("address", "challenger", 4, false)] public string Challenger { get; set; } = "";
    [Parameter("uint256", "bond", 5, false)] public BigInteger Bond { get; set; }
}

[ContractAbi(ContractNames.OpmlTasks)]
[Event("SubmissionRejected")]
public sealed class SubmissionRejectedEvent : IEventDTO
{
    [Parameter("uint256", "taskId", 1, true)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "submissionId", 2, true)] public BigInteger SubmissionId { get; set; }
    [Parameter("uint256", "gameId", 3, true)] public BigInteger GameId { get; set; }
}

[ContractAbi(ContractNames.OpmlTasks)]
[Event("TaskFinalized")]
public sealed class TaskFinalizedEvent : IEventDTO
{
    [Parameter("uint256", "taskId", 1, true)] public BigInteger TaskId { get; set; }
    [Parameter("uint256", "submissionId", 2, true)] public BigInteger SubmissionId { get; set; }
    [Parameter("address", "submitter", 3, true)] public string Submitter { get; set; } = "";
    [Parameter("bytes32", "outputRoot", 4, false)] public byte[] OutputRoot { get; set; } = [];
    [Parameter("bytes32", "finalRoot", 5, false)] public byte[] FinalRoot { get; set; } = [];
    [Parameter("uint256", "payout", 6, false)] public BigInteger Payout { get; set; }
}

/// <summary><c>Credited(address indexed account, uint256 amount, uint256 credit, CreditReason reason, uint256 indexed ref)</c>
/// (<c>ref</c> is the gameId, or the taskId for <see cref="CreditReason.Finalized"/>).</summary>
[ContractAbi(ContractNames.OpmlTasks)]
[Event("Credited")]
public sealed class CreditedEvent : IEventDTO
{
    [Parameter("address", "account", 1, true)] public string Account { get; set; } = "";
    [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
    [Parameter("uint256", "credit", 3, false)] public BigInteger Credit { get; set; }
    [Parameter("uint8", "reason", 4, false)] public CreditReason Reason { get; set; }
    [Parameter("uint256", "ref", 5, true)] public BigInteger Ref { get; set; }
}

[ContractAbi(ContractNames.OpmlTasks)]
[Event("TaskExpiredReclaimed")]
public sealed class TaskExpiredReclaimedEvent : IEventDTO
{
    [Parameter("uint256", "taskId", 1, true)] public BigInteger TaskId { get; set; }
    [Parameter("address", "requester", 2, true)] public string Requester { get; set; } = "";
    [Parameter("uint256", "fee", 3, false)] public BigInteger Fee { get; set; }
}

[ContractAbi(ContractNames.OpmlTasks)]
[Event("Withdrawn")]
public sealed class WithdrawnEvent : IEventDTO
{
    [Parameter("address", "account", 1, true)] public string Account { get; set; } = "";
    [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
}

// ---------------------------------------------------------------- service

/// <summary>Typed access to a deployed OpmlTasks. Transactions wait for their receipt; reverts throw
/// <see cref="ContractRevertException"/> naming the custom error.</summary>
public sealed class OpmlTasksService(IWeb3 web3, string contractAddress)
    : ContractService(web3, contractAddress, ContractNames.OpmlTasks)
{
    /// <summary>Deploys OpmlTasks (and with it the DisputeGame) with the constructor arguments in
    /// <paramref name="deployment"/>; its bytecode must be forge's artifact (<see cref="ContractArtifacts.LoadBytecode"/>).</summary>
    public static async Task<OpmlTasksService> DeployAsync(IWeb3 web3, OpmlTasksDeployment deployment, CancellationToken ct = default) =>
        new(web3, await DeployContractAsync(web3, ContractNames.OpmlTasks, deployment, ct).ConfigureAwait(false));

    /// <summary>Requests a task, paying <paramref name="fee"/>; the event carries taskId, slots and inputRoot.</summary>
    public Task<Mined<TaskRequestedEvent>> RequestAsync(BigInteger modelId, byte[] input, uint passes, BigInteger fee, CancellationToken ct = default) =>
        SendForEventAsync<RequestFunction, TaskRequestedEvent>(
            new RequestFunction { ModelId = modelId, Input = input, Passes = passes, AmountToSend = fee }, ct);

    /// <summary>Submits a result with <paramref name="bond"/> (must equal submitterBond); the event carries the submissionId.</summary>
    public Task<Mined<ResultSubmittedEvent>> SubmitAsync(BigInteger taskId, byte[] output, byte[] finalRoot, IReadOnlyList<byte[]> outputSlotProof,
        BigInteger bond, CancellationToken ct = default) =>
        SendForEventAsync<SubmitFunction, ResultSubmittedEvent>(new SubmitFunction
        {
            TaskId = taskId,
            Output = output,
            FinalRoot = finalRoot,
            OutputSlotProof = [.. outputSlotProof],
            AmountToSend = bond,
        }, ct);

    /// <summary>Challenges the task's pending submission with <paramref name="bond"/> (must equal challengerBond); the
    /// event carries the gameId.</summary>
    public Task<Mined<ChallengedEvent>> ChallengeAsync(BigInteger taskId, BigInteger bond, CancellationToken ct = default) =>
        SendForEventAsync<ChallengeFunction, ChallengedEvent>(new ChallengeFunction { TaskId = taskId, AmountToSend = bond }, ct);

    public Task<Mined<TaskExpiredReclaimedEvent>> ReclaimAsync(BigInteger taskId, CancellationToken ct = default) =>
        SendForEventAsync<ReclaimFunction, TaskExpiredReclaimedEvent>(new ReclaimFunction { TaskId = taskId }, ct);

    public Task<BigInteger> TaskExpiryAsync(BlockParameter? block = null) =>
        QueryAsync<TaskExpiryFunction, BigInteger>(new TaskExpiryFunction(), block);

    public Task<RejectionSplitOutput> RejectionSplitAsync(BigInteger others, BlockParameter? block = null) =>
        QueryOutputAsync<RejectionSplitFunction, RejectionSplitOutput>(new RejectionSplitFunction { Others = others }, block);

    public Task<Mined<TaskFinalizedEvent>> FinalizeAsync(BigInteger taskId, CancellationToken ct = default) =>
        SendForEventAsync<FinalizeFunction, TaskFinalizedEvent>(new FinalizeFunction { TaskId = taskId }, ct);

    /// <summary>Withdraws the caller's whole credit; with none it throws <see cref="ContractRevertException"/> "NothingToWithdraw".</summary>
    public Task<Mined<WithdrawnEvent>> WithdrawAsync(CancellationToken ct = default) =>
        SendForEventAsync<WithdrawFunction, WithdrawnEvent>(new WithdrawFunction(), ct);

    /// <summary>Game callback (only the game contract may call it; anyone else gets "OnlyGame").</summary>
    public Task<TransactionReceipt> OnGameResolvedAsync(OnGameResolvedFunction fn, CancellationToken ct = default) => SendAsync(fn, ct);

    /// <summary>Game callback (only the game contract may call it; anyone else gets "OnlyGame").</summary>
    public Task<TransactionReceipt> OnGameCancelledAsync(OnGameCancelledFunction fn, CancellationToken ct = default) => SendAsync(fn, ct);

    /// <summary><c>task(taskId)</c>; an unknown id throws "UnknownTask".</summary>
    public async Task<TaskInfo> GetTaskAsync(BigInteger taskId, BlockParameter? block = null) =>
        (await QueryOutputAsync<TaskFunction, TaskOutput>(new TaskFunction { TaskId = taskId }, block).ConfigureAwait(false)).T;

    public async Task<SubmissionInfo> GetSubmissionAsync(BigInteger submissionId, BlockParameter? block = null) =>
        (await QueryOutputAsync<SubmissionFunction, SubmissionOutput>(new SubmissionFunction { SubmissionId = submissionId }, block).ConfigureAwait(false)).S;

    public Task<BigInteger> CreditsAsync(string account, BlockParameter? block = null) =>
        QueryAsync<CreditsFunction, BigInteger>(new CreditsFunction { Account = account }, block);

    public Task<byte[]> InputRootOfAsync(BigInteger taskId, BlockParameter? block = null) =>
        QueryAsync<InputRootOfFunction, byte[]>(new InputRootOfFunction { TaskId = taskId }, block);

    public Task<string> RegistryAsync(BlockParameter? block = null) =>
        QueryAsync<TasksRegistryFunction, string>(new TasksRegistryFunction(), block);

    /// <summary>The address of the DisputeGame created by the constructor.</summary>
    public Task<string> GameAddressAsync(BlockParameter? block = null) =>
        QueryAsync<TasksGameFunction, string>(new TasksGameFunction(), block);

    /// <summary>A service for the DisputeGame created by the constructor (same web3/account).</summary>
    public async Task<DisputeGameService> GameAsync() => new(Web3, await GameAddressAsync().ConfigureAwait(false));

    public Task<BigInteger> ChallengeWindowAsync(BlockParameter? block = null) =>
        QueryAsync<ChallengeWindowFunction, BigInteger>(new ChallengeWindowFunction(), block);

    public Task<BigInteger> ChallengerBondAsync(BlockParameter? block = null) =>
        QueryAsync<ChallengerBondFunction, BigInteger>(new ChallengerBondFunction(), block);

    public Task<BigInteger> LiabilitiesAsync(BlockParameter? block = null) =>
        QueryAsync<LiabilitiesFunction, BigInteger>(new LiabilitiesFunction(), block);

    public Task<BigInteger> MinFeeAsync(BlockParameter? block = null) =>
        QueryAsync<MinFeeFunction, BigInteger>(new MinFeeFunction(), block);

    public Task<BigInteger> SubmissionCountAsync(BlockParameter? block = null) =>
        QueryAsync<SubmissionCountFunction, BigInteger>(new SubmissionCountFunction(), block);

    public Task<BigInteger> SubmitterBondAsync(BlockParameter? block = null) =>
        QueryAsync<SubmitterBondFunction, BigInteger>(new SubmitterBondFunction(), block);

    public Task<BigInteger> TaskCountAsync(BlockParameter? block = null) =>
        QueryAsync<TaskCountFunction, BigInteger>(new TaskCountFunction(), block);

    public Task<BigInteger> TotalCreditsAsync(BlockParameter? block = null) =>
        QueryAsync<TotalCreditsFunction, BigInteger>(new TotalCreditsFunction(), block);

    public Task<BigInteger> TotalLockedAsync(BlockParameter? block = null) =>
        QueryAsync<TotalLockedFunction, BigInteger>(new TotalLockedFunction(), block);
}
