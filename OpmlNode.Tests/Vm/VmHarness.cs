using OpmlNode.Crypto;
using OpmlNode.Vm;

namespace OpmlNode.Tests.Vm;

/// <summary>Runs programs on the fast VM while checking every step against the reference stepper.</summary>
internal static class VmHarness
{
    public const uint CodeBase = 0x1000;

    public static Machine Load(params uint[] program)
    {
        var mem = new PagedMemory();
        for (var i = 0; i < program.Length; i++) mem.WriteUInt32(CodeBase + (uint)(4 * i), program[i]);
        return new Machine(mem, CodeBase);
    }

    /// <summary>Steps one instruction on both the fast VM and the reference stepper; asserts equal post-state hashes.</summary>
    public static (Hash256 Post, StepWitness Witness) StepChecked(Machine m)
    {
        var w = StepWitness.Capture(m);
        var reference = ReferenceStepper.StepHash(w.State, w.Proofs);
        m.Run(1);
        var fast = m.State().Hash();
        Assert.Equal(reference, fast);
        return (fast, w);
    }

    /// <summary>Runs to completion (or maxSteps) step by step, checked; returns the steps executed.</summary>
    public static ulong RunChecked(Machine m, ulong maxSteps)
    {
        ulong n = 0;
        while (n < maxSteps && m.IsRunning)
        {
            StepChecked(m);
            n++;
        }
        // A final no-op step on an exited state must leave it unchanged, in both implementations.
        if (!m.IsRunning)
        {
            var before = m.State().Hash();
            var (after, _) = StepChecked(m);
            Assert.Equal(before, after);
        }
        return n;
    }

    /// <summary>One instruction with given registers; returns the machine after a checked step.</summary>
    public static Machine Exec(uint insn, params (int Reg, uint Value)[] regs)
    {
        var m = Load(insn);
        foreach (var (r, v) in regs) m.Regs[r] = v;
        StepChecked(m);
        return m;
    }
}
