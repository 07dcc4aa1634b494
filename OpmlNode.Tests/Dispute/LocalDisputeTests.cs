using OpmlNode.Dispute;
using OpmlNode.Inference.Backends;
using OpmlNode.Inference.Models;
using OpmlNode.Tests.Inference;
using Xunit.Abstractions;

namespace OpmlNode.Tests.Dispute;

/// <summary>
/// Whole games off chain between solver-driven parties, refereed by the contract's rules in C# (GameState), on real
/// engine data: a lying submitter loses at every first wrong slot and at chosen wrong VM steps; an honest submitter beats
/// a challenger who believes a wrong root at every slot.
/// </summary>
public sealed class LocalDisputeTests(ITestOutputHelper log) : IDisposable
{
    private readonly ModelTempDir _dir = new();
    private static readonly VmBackend Vm = VmBackend.Embedded();
    private const ulong MaxNodeSteps = 200_000_000;

    /// <summary>A <see cref="DisputeTask"/> that owns its opened model file.</summary>
    private sealed class OpenTask(ModelReader model, DisputeTask task) : IDisposable
    {
        public RegisteredModel Registered => task.Registered;
        public DisputeParty Party(FaultInjection? lie = null) => task.Party(lie);
        public void Dispose() => model.Dispose();
    }

    private OpenTask Open(ArchitectureKind arch, int passes, int seed = 3)
    {
        var m = ModelReader.Open(_dir.Synth(arch, seed: seed));
        return new OpenTask(m, new DisputeTask(m, ModelRoots.Load(m, TextWriter.Null), Vm, TaskInput.Random(m, seed).Bytes, passes, MaxNodeSteps));
    }

    [Theory]
    [InlineData(ArchitectureKind.Mlp, 1, 2)]
    [InlineData(ArchitectureKind.Mlp, 1, 4)]
    [InlineData(ArchitectureKind.Mlp, 1, 64)]
    [InlineData(ArchitectureKind.Llama, 2, 4)]
    public void ALyingSubmitterLosesAtEveryFirstWrongSlot(ArchitectureKind arch, int passes, int k)
    {
        using var t = Open(arch, passes);
        var honest = t.Party();
        long slots = honest.Graph.Length;
        for (long g = 0; g < slots; g++)
        {
            var liar = t.Party(new FaultInjection(g));
            Assert.NotEqual(honest.Graph.FinalRoot, liar.Graph.FinalRoot);
            var r = LocalDispute.Play(t.Registered, liar, honest, k);
            Assert.True(r.Winner == Role.Challenger, $"slot {g}: the liar won");
            Assert.Equal(g, r.Game.Slot);
            Assert.Equal(GamePhase.Resolved, r.Game.Phase);
            Assert.IsType<StepMove>(r.Moves[^1].Move); // decided by the one step, not by a timeout
        }
        log.WriteLine($"{arch} k={k}: {slots} slots, every liar lost");
    }

    [Theory]
    [InlineData(ArchitectureKind.Mlp, 1, 4)]
    [InlineData(ArchitectureKind.Llama, 2, 16)]
    public void AnHonestSubmitterBeatsALyingChallengerAtEverySlot(ArchitectureKind arch, int passes, int k)
    {
        using var t = Open(arch, passes);
        var honest = t.Party();
        for (long g = 0; g < honest.Graph.Length; g++)
        {
            var r = LocalDispute.Play(t.Registered, honest, t.Party(new FaultInjection(g)), k);
            Assert.True(r.Winner == Role.Submitter, $"slot {g}: the lying challenger won");
            Assert.IsType<StepMove>(r.Moves[^1].Move);
        }
    }

    [Fact]
    public void ALyingSubmitterLosesAtTheFirstMiddleAndLastWrongStepAndWhenClaimingATrap()
    {
        using var t = Open(ArchitectureKind.Mlp, 1);
        var honest = t.Party();
        long g = 1;
        ulong steps = honest.Vm(g).Steps;
        foreach (var (step, trap) in new[] { (1UL, false), (steps / 2, false), (steps, false), (steps / 3, true) })
            foreach (int k in new[] { 2, 7, 64 })
            {
                var liar = t.Party(new FaultInjection(g, step, trap));
                var r = LocalDispute.Play(t.Registered, liar, honest, k);
                Assert.True(r.Winner == Role.Challenger, $"lie from step {step} (trap {trap}), k={k}: the liar won");
                Assert.Equal((long)Math.Min(step, steps) - 1, r.Game.Lo); // the one step decided is the first wrong one
            }
    }

    [Fact]
    public void RoundsAreCeilLogKOfBothPhases()
    {
        using var t = Open(ArchitectureKind.Llama, 2);
        var honest = t.Party();
        foreach (int k in new[] { 2, 4, 16, 64 })
        {
            var r = LocalDispute.Play(t.Registered, t.Party(new FaultInjection(37)), honest, k);
            int bisects = r.Moves.Count(m => m.Move is BisectMove);
            int expected = Bisection.Rounds(honest.Graph.Length, k) + Bisection.Rounds((long)r.Game.Steps, k);
            Assert.True(bisects <= expected, $"k={k}: {bisects} bisections > ceil(log_k N) + ceil(log_k T) = {expected}");
            log.WriteLine($"k={k}: N={honest.Graph.Length}, T={r.Game.Steps}, {bisects} rounds (bound {expected}), {r.Moves.Count} moves");
        }
    }

    public void Dispose() => _dir.Dispose();
}
