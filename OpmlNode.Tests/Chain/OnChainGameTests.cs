using System.Numerics;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using OpmlNode.Chain;
using OpmlNode.Chain.Contracts;
using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Inference;
using Xunit.Abstractions;
using TaskStatus = OpmlNode.Chain.Contracts.TaskStatus;

namespace OpmlNode.Tests.Chain;

/// <summary>
/// Whole games on a real chain (anvil) driven from C#: a task on mlp/tiny, both sides played by the solver through
/// real transactions with k = 4 (each side its own key), ending in the one-step proof; the liar loses its bond.
/// </summary>
public sealed class OnChainGameTests(AnvilFixture chain, ITestOutputHelper log) : IClassFixture<AnvilFixture>, IDisposable
{
    private const ulong ChallengeWindow = 3600, ClockBudget = 3600, Extension = 300;
    private static readonly BigInteger SubmitterBond = 1_000_000, ChallengerBond = 700_000, Fee = 5_000;
    private const ulong MaxNodeSteps = 100_000_000;
    private readonly ModelTempDir _dir = new();

    [Theory]
    [InlineData(Role.Submitter, 3L)]
    [InlineData(Role.Challenger, 6L)]
    public async Task TheSolverPlaysBothSidesToTheStepAndTheLiarLoses(Role liar, long lieSlot)
    {
        using var m = ModelReader.Open(_dir.Synth(ArchitectureKind.Mlp, seed: 2));
        var vm = VmBackend.Embedded();
        var task = new DisputeTask(m, ModelRoots.Load(m, TextWriter.Null), vm, TaskInput.Random(m, 8).Bytes, 1, MaxNodeSteps);
        var honest = task.Party();
        var lying = task.Party(new FaultInjection(lieSlot));
        var (subParty, chalParty) = liar == Role.Submitter ? (lying, honest) : (honest, lying);

        var (registry, tasks, game) = await DeployAsync();
        var (subWeb3, chalWeb3) = (Account(3), Account(4));
        var r = task.Registered;
        var modelId = (await registry.RegisterAsync(ModelRegistration.ToFunction(r))).Event.ModelId;
        var requested = (await tasks.RequestAsync(modelId, task.Input, (uint)task.Passes, Fee)).Event;
        Assert.Equal(honest.Graph.InputRoot.ToArray(), requested.InputRoot);

        var g = subParty.Graph;
        await new OpmlTasksService(subWeb3, tasks.ContractAddress)
            .SubmitAsync(requested.TaskId, g.Output, g.FinalRoot.ToArray(), [.. g.OutputSlotProof().Siblings.Select(s => s.ToArray())], SubmitterBond);
        Assert.True(Solver.Disputes(chalParty, g.FinalRoot)); // the challenger (honest or not) disagrees with S_N
        var gameId = (await new OpmlTasksService(chalWeb3, tasks.ContractAddress).ChallengeAsync(requested.TaskId, ChallengerBond)).Event.GameId;

        var players = new[]
        {
            new ChainGamePlayer(new DisputeGameService(subWeb3, game.ContractAddress), Role.Submitter, subParty),
            new ChainGamePlayer(new DisputeGameService(chalWeb3, game.ContractAddress), Role.Challenger, chalParty),
        };
        var sent = new List<Move>();
        for (int guard = 0; guard < 200; guard++)
        {
            var view = await players[0].ReadAsync(gameId);
            if (view.Phase == GamePhase.Resolved) break;
            var player = players.Single(p => p.Role == view.ToMove);
            sent.Add(await player.MoveAsync(gameId) ?? throw new InvalidOperationException($"{player.Role} had no move in {view.Info.Stage}"));
        }
        var final = await game.GetGameAsync(gameId);
        var winner = liar == Role.Submitter ? Side.Challenger : Side.Submitter;
        Assert.Equal(Stage.Resolved, final.Stage);
        Assert.Equal(winner, final.Winner);
        Assert.IsType<StepMove>(sent[^1]); // decided by the on-chain step, not a timeout
        Assert.Equal(lieSlot, (long)final.Slot);
        int bisects = sent.Count(x => x is BisectMove);
        Assert.True(bisects <= Bisection.Rounds(g.Length, 4) + Bisection.Rounds((long)final.Steps, 4));

        var winnerAddress = (liar == Role.Submitter ? chalWeb3 : subWeb3).TransactionManager.Account.Address;
        var loserAddress = (liar == Role.Submitter ? subWeb3 : chalWeb3).TransactionManager.Account.Address;
        var loss = SubmitterBond * DeployParameters.DefaultLossBps / 10_000; // a rejected submitter's lost share
        Assert.Equal(liar == Role.Submitter ? ChallengerBond + SubmitterBond - loss : ChallengerBond, await tasks.CreditsAsync(winnerAddress));
        Assert.Equal(BigInteger.Zero, await tasks.CreditsAsync(loserAddress));
        Assert.Equal(liar == Role.Submitter ? TaskStatus.Open : TaskStatus.Submitted, (await tasks.GetTaskAsync(requested.TaskId)).Status);
        log.WriteLine($"liar {liar} at slot {lieSlot}: {sent.Count} moves ({bisects} bisections), T = {final.Steps}, winner {final.Winner}");
    }

    private async Task<(ModelRegistryService Registry, OpmlTasksService Tasks, DisputeGameService Game)> DeployAsync()
    {
        var d = await DeployedContracts.DeployAsync(chain.Web3, chain.ContractsDir,
            new DeployParameters(ChallengeWindow, SubmitterBond, ChallengerBond, K: 4, ClockBudget, Extension, MinFee: Fee));
        return (new ModelRegistryService(chain.Web3, d.Registry), new OpmlTasksService(chain.Web3, d.Tasks), new DisputeGameService(chain.Web3, d.Game));
    }

    private Web3 Account(int i) => new(new Account(Anvil.DevPrivateKeys[i], chain.Anvil.ChainId), chain.Anvil.RpcUrl);

    public void Dispose() => _dir.Dispose();
}
