using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace OpmlNode.Chain.Contracts;

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
