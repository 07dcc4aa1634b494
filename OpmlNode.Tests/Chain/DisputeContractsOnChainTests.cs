using System.Numerics;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Crypto;
using OpmlNode.Merkle;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// The typed bindings against the real contracts on anvil: deploy RiscvStep (fixture), ModelRegistry and OpmlTasks
/// (k = 4), register, request, read the views back, and check that reverts surface as <see cref="ContractRevertException"/>
/// naming the custom error. The two game tests play a one-slot game through link (every kind of parameter the bindings
/// encode: bytes32[], the nested bytes32[][] of link, payable bonds) and end it by either side's timeout, decoding the
/// money events. Not covered: bisect/choose over several slots or steps, a successful on-chain step, cancel.
/// Every test deploys its own contracts; the anvil process is shared by the class.
/// </summary>
public class DisputeContractsOnChainTests(AnvilFixture chain, ITestOutputHelper output) : IClassFixture<AnvilFixture>
{
    private const ulong ChallengeWindow = 3600;
    private const ulong ClockBudget = 600;
    private const ulong Extension = 60;
    private static readonly BigInteger SubmitterBond = 1_000_000;
    private static readonly BigInteger ChallengerBond = 700_000;
    private static readonly BigInteger MinFee = 1000;

    [Fact]
    public async Task RegisterRequestViewsAndDecodedReverts()
    {
        var (registry, tasks, game) = await DeployAsync();
        var me = chain.Web3.TransactionManager.Account.Address;

        // Constructor arguments read back through the views of both contracts.
        Assert.Equal(registry.ContractAddress, await tasks.RegistryAsync(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(tasks.ContractAddress, await game.TasksAsync(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(registry.ContractAddress, await game.RegistryAsync(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(chain.RiscvStep.ContractAddress, await game.RiscvAsync(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(new BigInteger(4), await game.KAsync());
        Assert.Equal(ClockBudget, await game.ClockBudgetAsync());
        Assert.Equal(Extension, await game.ExtensionAsync());
        Assert.Equal(new BigInteger(ChallengeWindow), await tasks.ChallengeWindowAsync());
        Assert.Equal(SubmitterBond, await tasks.SubmitterBondAsync());
        Assert.Equal(ChallengerBond, await tasks.ChallengerBondAsync());
        Assert.Equal(MinFee, await tasks.MinFeeAsync());
        Assert.Equal([0UL, 2, 5, 7, 10], await game.SplitPointsAsync(0, 10)); // m = min(k, 10) = 4: p_i = i·10/4

        // register: the event and the model() view give back every field.
        var model = new RegisterFunction
        {
            ProgramRoot = Random32(1),
            EntryPc = 0x1000,
            DescriptorsRoot = Random32(2),
            NodeCount = 3,
            WeightsRoot = Random32(3),
            WeightCount = 7,
            OutputNode = 2,
            InputSizeLimit = 4096,
            OutputSizeLimit = 4096,
            MaxNodeSteps = 1_000_000,
        };
        var registered = (await registry.RegisterAsync(model)).Event;
        Assert.Equal(BigInteger.One, registered.ModelId);
        Assert.Equal(me, registered.Registrant, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(model.DescriptorsRoot, registered.DescriptorsRoot);
        Assert.Equal(model.MaxNodeSteps, registered.MaxNodeSteps);
        Assert.Equal(BigInteger.One, await registry.ModelCountAsync());
        var m = await registry.GetModelAsync(registered.ModelId);
        Assert.Equal(model.ProgramRoot, m.ProgramRoot);
        Assert.Equal(model.DescriptorsRoot, m.DescriptorsRoot);
        Assert.Equal(model.WeightsRoot, m.WeightsRoot);
        Assert.Equal((model.EntryPc, model.NodeCount, model.WeightCount, model.OutputNode, model.InputSizeLimit, model.OutputSizeLimit, model.MaxNodeSteps),
            (m.EntryPc, m.NodeCount, m.WeightCount, m.OutputNode, m.InputSizeLimit, m.OutputSizeLimit, m.MaxNodeSteps));
        Assert.Equal(me, m.Registrant, StringComparer.OrdinalIgnoreCase);

        var unknown = await Assert.ThrowsAsync<ContractRevertException>(() => registry.GetModelAsync(99));
        Assert.Equal("UnknownModel", unknown.ErrorName);
        Assert.Equal(new BigInteger(99), Assert.IsType<UnknownModelError>(unknown.Error).ModelId);
        var badOutput = await Assert.ThrowsAsync<ContractRevertException>(() => registry.RegisterAsync(new RegisterFunction
        {
            ProgramRoot = model.ProgramRoot,
            DescriptorsRoot = model.DescriptorsRoot,
            WeightsRoot = model.WeightsRoot,
            NodeCount = 3,
            OutputNode = 3,
            InputSizeLimit = 1,
            OutputSizeLimit = 1,
            MaxNodeSteps = 1,
        }));
        var bo = Assert.IsType<BadOutputNodeError>(badOutput.Error);
        Assert.Equal((new BigInteger(3), new BigInteger(3)), (bo.OutputNode, bo.NodeCount));

        // request: TaskRequested carries the tensor root of the input, the task() view agrees.
        var input = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7 + 3)).ToArray();
        var fee = MinFee + 5;
        var requested = (await tasks.RequestAsync(registered.ModelId, input, passes: 2, fee)).Event;
        var inputRoot = MerkleMath.TensorRoot(input).ToArray();
        Assert.Equal(BigInteger.One, requested.TaskId);
        Assert.Equal(registered.ModelId, requested.ModelId);
        Assert.Equal(me, requested.Requester, StringComparer.OrdinalIgnoreCase);
        Assert.Equal((2u, 6UL, fee), (requested.Passes, requested.Slots, requested.Fee));
        Assert.Equal(inputRoot, requested.InputRoot);
        Assert.Equal(input, requested.Input);

        var t = await tasks.GetTaskAsync(requested.TaskId);
        Assert.Equal(TaskStatus.Open, t.Status);
        Assert.Equal((1UL, 2u, 6UL, 5UL, 0UL), (t.ModelId, t.Passes, t.Slots, t.OutputSlot, t.SubmissionId)); // outputSlot = (P−1)·n + outputNode
        Assert.Equal(me, t.Requester, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(fee, t.Fee);
        Assert.Equal(inputRoot, t.InputRoot);
        Assert.Equal(inputRoot, await tasks.InputRootOfAsync(requested.TaskId));
        Assert.Equal(BigInteger.One, await tasks.TaskCountAsync());
        Assert.Equal(fee, await tasks.TotalLockedAsync());
        Assert.Equal(fee, await tasks.LiabilitiesAsync());

        var noTask = await Assert.ThrowsAsync<ContractRevertException>(() => tasks.GetTaskAsync(42));
        Assert.Equal("UnknownTask", noTask.ErrorName);
        var lowFee = await Assert.ThrowsAsync<ContractRevertException>(() => tasks.RequestAsync(registered.ModelId, input, 2, MinFee - 1));
        var fl = Assert.IsType<FeeTooLowError>(lowFee.Error);
        Assert.Equal((MinFee - 1, MinFee), (fl.Fee, fl.Minimum));

        // submit with a wrong output-slot proof: 32 siblings that do not lead to finalRoot, or the wrong number of them.
        var result = new byte[] { 1, 2, 3, 4 };
        var wrongProof = Enumerable.Range(0, 32).Select(i => Random32(100 + i)).ToList();
        var badProof = await Assert.ThrowsAsync<ContractRevertException>(
            () => tasks.SubmitAsync(requested.TaskId, result, Random32(7), wrongProof, SubmitterBond));
        Assert.Equal("BadOutputSlotProof", badProof.ErrorName);
        Assert.IsType<BadOutputSlotProofError>(badProof.Error);
        Assert.Equal(ContractNames.OpmlTasks, badProof.Contract);
        output.WriteLine(badProof.Message);

        var shortProof = await Assert.ThrowsAsync<ContractRevertException>(
            () => tasks.SubmitAsync(requested.TaskId, result, Random32(7), wrongProof[..31], SubmitterBond));
        var sc = Assert.IsType<BadSiblingCountError>(shortProof.Error);
        Assert.Equal((new BigInteger(32), new BigInteger(31)), (sc.Expected, sc.Got));
        var wrongBond = await Assert.ThrowsAsync<ContractRevertException>(
            () => tasks.SubmitAsync(requested.TaskId, result, Random32(7), wrongProof, SubmitterBond - 1));
        Assert.Equal("WrongBond", wrongBond.ErrorName);
        Assert.Equal(TaskStatus.Open, (await tasks.GetTaskAsync(requested.TaskId)).Status);

        // withdraw with no credit reverts NothingToWithdraw (it does not return 0).
        Assert.Equal(BigInteger.Zero, await tasks.CreditsAsync(me));
        var nothing = await Assert.ThrowsAsync<ContractRevertException>(() => tasks.WithdrawAsync());
        Assert.Equal("NothingToWithdraw", nothing.ErrorName);
        Assert.IsType<NothingToWithdrawError>(nothing.Error);
        output.WriteLine(nothing.Message);

        // The callbacks are guarded.
        var onlyGame = await Assert.ThrowsAsync<ContractRevertException>(() => tasks.OnGameCancelledAsync(
            new OnGameCancelledFunction { GameId = 1, SubmissionId = 1, Challenger = me }));
        Assert.Equal("OnlyGame", onlyGame.ErrorName);
        var onlyTasks = await Assert.ThrowsAsync<ContractRevertException>(() => game.OpenAsync(new OpenFunction
        {
            TaskId = 1,
            SubmissionId = 1,
            ModelId = 1,
            Slots = 6,
            FinalRoot = Random32(8),
            Submitter = me,
            Challenger = me,
        }));
        Assert.Equal("OnlyTasks", onlyTasks.ErrorName);
    }

    /// <summary>The one-slot game through link (see <see cref="PlayThroughLinkAsync"/>); then the submitter stalls and the
    /// challenger wins by timeout, is credited both bonds and withdraws them.</summary>
    [Fact]
    public async Task OneSlotGameThroughLinkThenSubmitterTimesOut()
    {
        var (tasks, game, _, asChallenger, _, gameAsChallenger, _, challenger, taskId, submissionId, gameId, _, linkGas) = await PlayThroughLinkAsync();
        // The submitter stalls: timeout before the deadline fails, after it the challenger wins.
        var deadline = await game.DeadlineAsync(gameId);
        var tooSoon = await Assert.ThrowsAsync<ContractRevertException>(() => gameAsChallenger.TimeoutAsync(gameId, 2));
        Assert.Equal(deadline, (ulong)Assert.IsType<ClockNotExpiredError>(tooSoon.Error).Deadline);
        await IncreaseTime((long)ChallengeWindow);
        var resolved = await gameAsChallenger.TimeoutAsync(gameId, 2);
        Assert.Equal((Side.Challenger, Resolution.Timeout), (resolved.Event.Winner, resolved.Event.How));
        Assert.Equal(challenger, resolved.Event.WinnerAccount, StringComparer.OrdinalIgnoreCase);
        // The rejected submitter loses the fixed share whoever wins (PROTOCOL §5.8); no other game is open, so the
        // winner takes its bond and the rest of the submitter's.
        var loss = SubmitterBond * DeployParameters.DefaultLossBps / 10_000;
        var credits = tasks.Events<CreditedEvent>(resolved.Receipt);
        Assert.Equal(2, credits.Count);
        var burned = Assert.Single(credits, c => c.Reason == CreditReason.Burned);
        Assert.Equal((loss, gameId), (burned.Amount, burned.Ref));
        Assert.Equal(DeployParameters.BurnAddress, burned.Account, StringComparer.OrdinalIgnoreCase);
        var credited = Assert.Single(credits, c => c.Reason == CreditReason.ChallengerWon);
        Assert.Equal((SubmitterBond - loss + ChallengerBond, gameId), (credited.Amount, credited.Ref));
        Assert.Equal(challenger, credited.Account, StringComparer.OrdinalIgnoreCase);
        Assert.Single(tasks.Events<SubmissionRejectedEvent>(resolved.Receipt));
        Assert.Equal(SubmissionStatus.Rejected, (await tasks.GetSubmissionAsync(submissionId)).Status);
        Assert.Equal(TaskStatus.Open, (await tasks.GetTaskAsync(taskId)).Status);
        Assert.True(await game.SubmissionRejectedAsync(submissionId));
        var over = await Assert.ThrowsAsync<ContractRevertException>(() => gameAsChallenger.TimeoutAsync(gameId, 3));
        Assert.Equal("GameOver", over.ErrorName);

        Assert.Equal(SubmitterBond - loss + ChallengerBond, await tasks.CreditsAsync(challenger));
        var withdrawn = (await asChallenger.WithdrawAsync()).Event;
        Assert.Equal(SubmitterBond - loss + ChallengerBond, withdrawn.Amount);
        Assert.Equal(BigInteger.Zero, await tasks.CreditsAsync(challenger));
        Assert.Equal(MinFee + loss, await tasks.LiabilitiesAsync()); // the reopened task's fee and the receiver's credit
        output.WriteLine($"game {gameId}: link (2 inputs) gas {linkGas:N0}, timeout gas {resolved.Receipt.GasUsed.Value:N0}");
    }

    /// <summary>The one-slot game through link, then claimFinal (T = 1 goes straight to Stage.Step); RiscvStep's own
    /// error bubbles up through DisputeGame.step and is decoded; the challenger stalls, the submitter wins by timeout,
    /// finalizes after the window and withdraws fee + both bonds.</summary>
    [Fact]
    public async Task OneSlotGameThroughClaimFinalThenChallengerTimesOut()
    {
        var (tasks, game, asSubmitter, asChallenger, gameAsSubmitter, gameAsChallenger, submitter, _, taskId, submissionId, gameId, outRoot, _) =
            await PlayThroughLinkAsync();

        // Final state: memRoot with out_j at region 10 (4 siblings), steps = 1 (big-endian at 160), exited 1, code 0.
        var outputProof = Siblings(4, 500);
        var memRoot = MerkleMath.RootFromProof(outRoot, 10, outputProof);
        var finalState = new byte[170];
        memRoot.CopyTo(finalState);
        finalState[167] = 1;
        finalState[168] = 1;
        var badProof = await Assert.ThrowsAsync<ContractRevertException>(
            () => gameAsSubmitter.ClaimFinalAsync(gameId, 2, finalState, [.. Siblings(4, 600).Select(h => h.ToArray())]));
        Assert.Equal("BadOutputProof", badProof.ErrorName);
        var claimed = (await gameAsSubmitter.ClaimFinalAsync(gameId, 2, finalState, [.. outputProof.Select(h => h.ToArray())])).Event;
        var hT = Keccak256.Hash(finalState).ToArray();
        hT[0] = 0; // status byte 0 (PROTOCOL §4.2)
        Assert.Equal((2u, 1UL), (claimed.Turn, claimed.Steps));
        Assert.Equal(memRoot.ToArray(), claimed.FinalMemRoot);
        Assert.Equal(hT, claimed.FinalStateHash);
        var g = await game.GetGameAsync(gameId);
        Assert.Equal((Stage.Step, Side.Challenger, 0UL, 1UL, 1UL), (g.Stage, g.ToMove, g.Lo, g.Hi, g.Steps));
        Assert.Equal(hT, g.RootHi);

        // RiscvStep.stateHash rejects a 169-byte state; DisputeGame bubbles the revert data up unchanged.
        var shortState = await Assert.ThrowsAsync<ContractRevertException>(() => gameAsChallenger.StepAsync(gameId, 3, new byte[169], []));
        Assert.Equal("BadStateLength", shortState.ErrorName);
        Assert.IsType<BadStateLengthError>(shortState.Error);
        Assert.Equal(ContractNames.DisputeGame, shortState.Contract);
        var mismatch = await Assert.ThrowsAsync<ContractRevertException>(() => gameAsChallenger.StepAsync(gameId, 3, new byte[170], []));
        var pm = Assert.IsType<PreStateMismatchError>(mismatch.Error);
        Assert.Equal(g.RootLo, pm.Expected);
        Assert.Equal(await chain.RiscvStep.StateHashAsync(new byte[170]), pm.Got);
        output.WriteLine(mismatch.Message);

        // The challenger does not step: after its deadline the submitter wins by timeout.
        await IncreaseTime((long)ChallengeWindow + 1);
        var resolved = await gameAsSubmitter.TimeoutAsync(gameId, 3);
        Assert.Equal((Side.Submitter, Resolution.Timeout), (resolved.Event.Winner, resolved.Event.How));
        Assert.Equal(submitter, resolved.Event.WinnerAccount, StringComparer.OrdinalIgnoreCase);
        var won = Assert.Single(tasks.Events<CreditedEvent>(resolved.Receipt));
        Assert.Equal((CreditReason.SubmitterWon, ChallengerBond, ChallengerBond, gameId), (won.Reason, won.Amount, won.Credit, won.Ref));
        Assert.Empty(tasks.Events<SubmissionRejectedEvent>(resolved.Receipt));
        Assert.Equal((Stage.Resolved, Side.Submitter), ((await game.GetGameAsync(gameId)).Stage, (await game.GetGameAsync(gameId)).Winner));

        var finalized = await asSubmitter.FinalizeAsync(taskId);
        Assert.Equal((taskId, submissionId, MinFee + SubmitterBond), (finalized.Event.TaskId, finalized.Event.SubmissionId, finalized.Event.Payout));
        var fin = Assert.Single(tasks.Events<CreditedEvent>(finalized.Receipt));
        Assert.Equal((CreditReason.Finalized, MinFee + SubmitterBond + ChallengerBond, taskId), (fin.Reason, fin.Credit, fin.Ref));
        Assert.Equal(TaskStatus.Finalized, (await tasks.GetTaskAsync(taskId)).Status);
        Assert.Equal(SubmissionStatus.Finalized, (await tasks.GetSubmissionAsync(submissionId)).Status);

        Assert.Equal(MinFee + SubmitterBond + ChallengerBond, (await asSubmitter.WithdrawAsync()).Event.Amount);
        Assert.Equal("NothingToWithdraw", (await Assert.ThrowsAsync<ContractRevertException>(() => asChallenger.WithdrawAsync())).ErrorName);
        Assert.Equal(BigInteger.Zero, await tasks.LiabilitiesAsync());
        Assert.Equal((BigInteger.Zero, BigInteger.Zero), (await tasks.TotalLockedAsync(), await tasks.TotalCreditsAsync()));
    }

    private sealed record LinkedGame(
        OpmlTasksService Tasks, DisputeGameService Game, OpmlTasksService AsSubmitter, OpmlTasksService AsChallenger,
        DisputeGameService GameAsSubmitter, DisputeGameService GameAsChallenger, string Submitter, string Challenger,
        BigInteger TaskId, BigInteger SubmissionId, BigInteger GameId, Hash256 OutRoot, ulong LinkGas);

    /// <summary>A one-slot task (n = 1, P = 1) whose proofs the test builds itself: a valid submit, a challenge, the
    /// transition proof and a link whose inputProofs (bytes32[][]) hold one 16-sibling proof and one empty proof — the
    /// contract accepts it only if Nethereum encoded the nested array right. Leaves the game in Stage.Final.</summary>
    private async Task<LinkedGame> PlayThroughLinkAsync()
    {
        var (registry, tasks, game) = await DeployAsync();
        var submitterWeb3 = Account(1);
        var challengerWeb3 = Account(2);
        var submitter = submitterWeb3.TransactionManager.Account.Address;
        var challenger = challengerWeb3.TransactionManager.Account.Address;
        var asSubmitter = new OpmlTasksService(submitterWeb3, tasks.ContractAddress);
        var asChallenger = new OpmlTasksService(challengerWeb3, tasks.ContractAddress);
        var gameAsSubmitter = new DisputeGameService(submitterWeb3, game.ContractAddress);
        var gameAsChallenger = new DisputeGameService(challengerWeb3, game.ContractAddress);

        // A descriptor with two inputs: weight 1 (proved against weightsRoot) and the task input (no proof).
        var descriptor = new byte[352];
        descriptor[8] = 2;
        descriptor[32] = 1; // KIND_WEIGHT
        descriptor[32 + 4] = 1; // weight index 1 (LE32)
        descriptor[64] = 2; // KIND_TASK_INPUT
        var descriptorSiblings = Siblings(16, 200);
        var descriptorsRoot = MerkleMath.RootFromProof(MerkleMath.TensorRoot(descriptor), 0, descriptorSiblings);
        var weightRoot = new Hash256(Random32(300));
        var weightSiblings = Siblings(16, 400);
        var weightsRoot = MerkleMath.RootFromProof(weightRoot, 1, weightSiblings);
        var modelId = (await registry.RegisterAsync(new RegisterFunction
        {
            ProgramRoot = Random32(9),
            EntryPc = 0x100,
            DescriptorsRoot = descriptorsRoot.ToArray(),
            NodeCount = 1,
            WeightsRoot = weightsRoot.ToArray(),
            WeightCount = 2,
            OutputNode = 0,
            InputSizeLimit = 64,
            OutputSizeLimit = 64,
            MaxNodeSteps = 100,
        })).Event.ModelId;
        var input = new byte[] { 9, 8, 7 };
        var taskId = (await tasks.RequestAsync(modelId, input, 1, MinFee)).Event.TaskId;

        // The submission: S_1 has out_0 = tensor root of the output at leaf 0, zero leaves elsewhere.
        var outputBytes = new byte[] { 42, 43 };
        var outRoot = MerkleMath.TensorRoot(outputBytes);
        var zeroSiblings = Enumerable.Range(0, 32).Select(h => ZeroHashes.At(h)).ToArray();
        var finalRoot = MerkleMath.RootFromProof(outRoot, 0, zeroSiblings).ToArray();
        var slotProof = zeroSiblings.Select(h => h.ToArray()).ToList();
        var submitted = (await asSubmitter.SubmitAsync(taskId, outputBytes, finalRoot, slotProof, SubmitterBond)).Event;
        Assert.Equal((BigInteger.One, 0UL), (submitted.SubmissionId, submitted.OutputSlot));
        Assert.Equal(outRoot.ToArray(), submitted.OutputRoot);
        var s = await tasks.GetSubmissionAsync(submitted.SubmissionId);
        Assert.Equal((SubmissionStatus.Pending, (ulong)taskId, 0u), (s.Status, s.TaskId, s.OpenGames));
        Assert.Equal(submitter, s.Submitter, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(submitted.ChallengeDeadline, s.SubmittedAt + ChallengeWindow);
        Assert.Equal(TaskStatus.Submitted, (await tasks.GetTaskAsync(taskId)).Status);

        var self = await Assert.ThrowsAsync<ContractRevertException>(() => asSubmitter.ChallengeAsync(taskId, ChallengerBond));
        Assert.Equal("SelfChallenge", self.ErrorName);
        var early = await Assert.ThrowsAsync<ContractRevertException>(() => tasks.FinalizeAsync(taskId));
        Assert.Equal(s.SubmittedAt + ChallengeWindow, (ulong)Assert.IsType<ChallengeWindowOpenError>(early.Error).Deadline);

        // challenge: gameId from Challenged; the game's own events are in the same receipt.
        var challenged = await asChallenger.ChallengeAsync(taskId, ChallengerBond);
        var gameId = challenged.Event.GameId;
        Assert.Equal((taskId, submitted.SubmissionId, BigInteger.One), (challenged.Event.TaskId, challenged.Event.SubmissionId, gameId));
        var started = Assert.Single(game.Events<GameStartedEvent>(challenged.Receipt));
        Assert.Equal((gameId, 1UL), (started.GameId, started.Slots));
        Assert.Equal(finalRoot, started.FinalRoot);
        var progress = Assert.Single(game.Events<GameProgressEvent>(challenged.Receipt));
        Assert.Equal((Stage.Transition, Side.Submitter, 0u), (progress.Stage, progress.ToMove, progress.NextTurn));

        var g = await game.GetGameAsync(gameId);
        Assert.Equal((Stage.Transition, Side.Submitter, Side.None), (g.Stage, g.ToMove, g.Winner));
        Assert.Equal((submitter, challenger), (g.Submitter, g.Challenger), new AddressPairComparer());
        Assert.Equal((0UL, 1UL, (ulong)modelId, ClockBudget), (g.Lo, g.Hi, g.ModelId, g.ChallengerClock));
        Assert.Equal(ZeroHashes.At(32).ToArray(), g.RootLo);
        Assert.Equal(finalRoot, g.RootHi);
        Assert.Equal(BigInteger.One, await game.GameCountAsync());
        Assert.Equal(1u, (await tasks.GetSubmissionAsync(submitted.SubmissionId)).OpenGames);

        var notYours = await Assert.ThrowsAsync<ContractRevertException>(
            () => gameAsChallenger.ProveTransitionAsync(gameId, 0, outRoot.ToArray(), slotProof));
        Assert.Equal(challenger, Assert.IsType<NotYourTurnError>(notYours.Error).Caller, StringComparer.OrdinalIgnoreCase);
        var wrongTurn = await Assert.ThrowsAsync<ContractRevertException>(
            () => gameAsSubmitter.ProveTransitionAsync(gameId, 5, outRoot.ToArray(), slotProof));
        var wt = Assert.IsType<WrongTurnError>(wrongTurn.Error);
        Assert.Equal((new BigInteger(5), BigInteger.Zero), (wt.Expected, wt.Actual));
        var wrongStage = await Assert.ThrowsAsync<ContractRevertException>(() => gameAsSubmitter.BisectAsync(gameId, 0, []));
        Assert.Equal(Stage.Transition, Assert.IsType<WrongStageError>(wrongStage.Error).Stage);

        var proved = (await gameAsSubmitter.ProveTransitionAsync(gameId, 0, outRoot.ToArray(), slotProof)).Event;
        Assert.Equal((0u, 0UL), (proved.Turn, proved.Slot));
        Assert.Equal(Stage.Link, (await game.GetGameAsync(gameId)).Stage);

        // link with bytes32[][] inputProofs = [[16 siblings], []].
        var inputRoot = MerkleMath.TensorRoot(input).ToArray();
        var link = new LinkFunction
        {
            GameId = gameId,
            ExpectedTurn = 1,
            Descriptor = descriptor,
            DescriptorProof = [.. descriptorSiblings.Select(h => h.ToArray())],
            InputRoots = [weightRoot.ToArray(), inputRoot],
            InputProofs = [[.. weightSiblings.Select(h => h.ToArray())], []],
        };
        var badInput = await Assert.ThrowsAsync<ContractRevertException>(() => gameAsSubmitter.LinkAsync(new LinkFunction
        {
            GameId = gameId,
            ExpectedTurn = 1,
            Descriptor = descriptor,
            DescriptorProof = link.DescriptorProof,
            InputRoots = link.InputRoots,
            InputProofs = [link.InputProofs[0], [Random32(5)]],
        }));
        Assert.Equal(BigInteger.One, Assert.IsType<BadInputProofError>(badInput.Error).Input);
        var linkTx = await gameAsSubmitter.LinkAsync(link);
        var linked = linkTx.Event;
        Assert.Equal((1u, 0UL, 0u, 0UL), (linked.Turn, linked.Slot, linked.Node, linked.Pass));
        Assert.Equal(MerkleMath.TensorRoot(descriptor).ToArray(), linked.DescriptorRoot);
        Assert.Equal(link.InputRoots, linked.InputRoots);
        g = await game.GetGameAsync(gameId);
        Assert.Equal(Stage.Final, g.Stage);
        Assert.Equal(linked.StartStateHash, g.RootLo);

        var shortState = await Assert.ThrowsAsync<ContractRevertException>(
            () => gameAsSubmitter.ClaimFinalAsync(gameId, 2, new byte[169], []));
        Assert.Equal(new BigInteger(169), Assert.IsType<BadFinalStateLengthError>(shortState.Error).Length);

        return new LinkedGame(tasks, game, asSubmitter, asChallenger, gameAsSubmitter, gameAsChallenger, submitter, challenger,
            taskId, submitted.SubmissionId, gameId, outRoot, (ulong)linkTx.Receipt.GasUsed.Value);
    }

    // ------------------------------------------------------------------ helpers

    private async Task<(ModelRegistryService Registry, OpmlTasksService Tasks, DisputeGameService Game)> DeployAsync()
    {
        var contracts = chain.ContractsDir;
        var registry = await ModelRegistryService.DeployAsync(chain.Web3, ContractArtifacts.LoadBytecode(contracts, ContractNames.ModelRegistry));
        var tasks = await OpmlTasksService.DeployAsync(chain.Web3, new OpmlTasksDeployment(ContractArtifacts.LoadBytecode(contracts, ContractNames.OpmlTasks))
        {
            Registry = registry.ContractAddress,
            RiscvStep = chain.RiscvStep.ContractAddress,
            P = new DeployParameters(ChallengeWindow, SubmitterBond, ChallengerBond, K: 4, ClockBudget, Extension, MinFee).ToTuple(),
        });
        return (registry, tasks, await tasks.GameAsync());
    }

    private Web3 Account(int i) => new(new Account(Anvil.DevPrivateKeys[i], chain.Anvil.ChainId), chain.Anvil.RpcUrl);

    private async Task IncreaseTime(long seconds)
    {
        await chain.Web3.Client.SendRequestAsync<object>(new RpcRequest(1, "evm_increaseTime", seconds));
        await chain.Web3.Client.SendRequestAsync<object>(new RpcRequest(2, "evm_mine"));
    }

    private static byte[] Random32(int seed)
    {
        var b = new byte[32];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static Hash256[] Siblings(int depth, int seed) =>
        Enumerable.Range(0, depth).Select(i => new Hash256(Random32(seed + i))).ToArray();

    private sealed class AddressPairComparer : IEqualityComparer<(string, string)>
    {
        public bool Equals((string, string) x, (string, string) y) =>
            StringComparer.OrdinalIgnoreCase.Equals(x.Item1, y.Item1) && StringComparer.OrdinalIgnoreCase.Equals(x.Item2, y.Item2);
        public int GetHashCode((string, string) obj) => 0;
    }
}
