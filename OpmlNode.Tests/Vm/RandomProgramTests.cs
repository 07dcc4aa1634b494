using OpmlNode.Vm;

namespace OpmlNode.Tests.Vm;

/// <summary>
/// Differential test on seeded random instruction streams: every step of the fast VM must give the same
/// post-state hash as the reference stepper fed only the witness (the Cannon/Asterisc pattern).
/// </summary>
public class RandomProgramTests
{
    [Fact]
    public void FastVmAndReferenceStepperAgreeOnAHundredThousandRandomSteps()
    {
        var rng = new Random(20261125);
        ulong steps = 0;
        var kinds = new HashSet<WitnessKind>();
        var traps = new HashSet<TrapCause>();
        var programs = 0;
        while (steps < 100_000)
        {
            var m = RandomMachine(rng);
            while (m.IsRunning)
            {
                var (_, w) = VmHarness.StepChecked(m);
                kinds.Add(m.Exited == ExitKind.Trapped ? WitnessKind.Trap : w.Kind);
                steps++;
            }
            traps.Add(m.Trap);
            VmHarness.StepChecked(m); // the no-op step after exit
            programs++;
        }
        foreach (var k in Enum.GetValues<WitnessKind>().Where(k => k != WitnessKind.Exited)) Assert.Contains(k, kinds);
        foreach (var t in Enum.GetValues<TrapCause>()) Assert.Contains(t, traps);
        Assert.True(programs > 100, $"only {programs} programs");
    }

    internal static Machine RandomMachine(Random rng) => RandomPrograms.Create(rng);
}
