using System.Globalization;
using OpmlNode.Vm;

namespace OpmlNode.Dispute;

/// <summary>One game to record: who lies and how.</summary>
public sealed record FixtureScenario(string Name, Role Liar, FaultInjection Lie);

/// <summary>
/// The scenarios of <c>opml-node dispute fixture</c>: a lying submitter at a slot (<c>--lie-slot G|all</c>), at a VM step
/// of a slot (<c>--lie-step G:I</c> with I a step or first|middle|last|store|trap), or a challenger disputing a correct
/// result, believing slot G wrong (<c>--challenge-correct [G|all|G:I]</c>, default the output slot; with G:I its VM trace is
/// also wrong from step I, so it picks wrong sub-intervals in phase 2 from there).
/// </summary>
public static class FixtureScenarios
{
    public static IReadOnlyList<FixtureScenario> LieSlot(string spec, DisputeParty honest) =>
        Slots(spec, honest).Select(g => new FixtureScenario($"lie-slot-{g}", Role.Submitter, new FaultInjection(g))).ToList();

    /// <summary>A challenger disputing a correct result: believing slot G wrong, and with G:I also its VM trace from step I.</summary>
    public static IReadOnlyList<FixtureScenario> ChallengeCorrect(string? spec, DisputeParty honest)
    {
        spec ??= honest.Graph.OutputSlot.ToString(CultureInfo.InvariantCulture);
        if (spec.Contains(':'))
        {
            var (g, step, trap, label) = SlotStep(spec, honest, "--challenge-correct");
            return [new FixtureScenario($"challenge-correct-{g}-{label}", Role.Challenger, new FaultInjection(g, step, trap))];
        }
        return Slots(spec, honest).Select(g => new FixtureScenario($"challenge-correct-{g}", Role.Challenger, new FaultInjection(g))).ToList();
    }

    public static IReadOnlyList<FixtureScenario> LieStep(string spec, DisputeParty honest)
    {
        var (g, step, trap, label) = SlotStep(spec, honest, "--lie-step");
        return [new FixtureScenario($"lie-step-{g}-{label}", Role.Submitter, new FaultInjection(g, step, trap))];
    }

    private static (long Slot, ulong Step, bool Trap, string Label) SlotStep(string spec, DisputeParty honest, string option)
    {
        var parts = spec.Split(':');
        if (parts.Length != 2) throw new ArgumentException($"{option} '{spec}': expected G:I (I a step number or first, middle, last, store, trap)");
        long g = ParseSlot(parts[0], honest);
        var trace = honest.Vm(g);
        ulong t = trace.Steps;
        var (step, trap) = parts[1] switch
        {
            "first" => (1UL, false),
            "middle" => (Math.Max(1, t / 2), false),
            "last" => (t, false),
            "trap" => (Math.Max(1, t / 2), true),
            "store" => ((ulong)(trace.FirstStepOfKind(WitnessKind.Store) ?? throw new ArgumentException($"slot {g} executes no store")) + 1, false),
            var n when ulong.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i >= 1 && i <= t => (i, false),
            _ => throw new ArgumentException($"{option} '{spec}': step must be first, middle, last, store, trap or a number in [1, {t}]"),
        };
        return (g, step, trap, parts[1]);
    }

    private static IEnumerable<long> Slots(string spec, DisputeParty honest) =>
        spec == "all" ? Enumerable.Range(0, (int)honest.Graph.Length).Select(i => (long)i) : [ParseSlot(spec, honest)];

    private static long ParseSlot(string s, DisputeParty honest)
    {
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var g) || g >= honest.Graph.Length)
            throw new ArgumentException($"slot '{s}' is not in [0, {honest.Graph.Length}) (or 'all')");
        return g;
    }
}
