using OpmlNode.Vm;

namespace OpmlNode.Tests.Vm;

/// <summary>The coverage programs that go into the Solidity fixture do what their names say, checked step by step.</summary>
public class CoverageProgramTests
{
    [Fact]
    public void EveryProgramEndsAsNamedAndEveryStepAgreesWithTheReference()
    {
        var names = new HashSet<string>();
        foreach (var (name, m) in CoveragePrograms.All())
        {
            VmHarness.RunChecked(m, 100);
            names.Add(name);
            var expected = name switch
            {
                "trap-illegal" => (ExitKind.Trapped, (byte)TrapCause.IllegalInstruction),
                "trap-misaligned-pc-jump" or "trap-misaligned-pc-fetch" => (ExitKind.Trapped, (byte)TrapCause.MisalignedPc),
                "trap-misaligned-load" => (ExitKind.Trapped, (byte)TrapCause.MisalignedLoad),
                "trap-misaligned-store" => (ExitKind.Trapped, (byte)TrapCause.MisalignedStore),
                "trap-ebreak" => (ExitKind.Trapped, (byte)TrapCause.Breakpoint),
                "trap-unknown-ecall" => (ExitKind.Trapped, (byte)TrapCause.UnknownEcall),
                "exit-255" => (ExitKind.Exited, (byte)255),
                _ => (ExitKind.Exited, (byte)0),
            };
            Assert.True((m.Exited, m.ExitCode) == expected, $"{name}: ended {m.Exited} {m.ExitCode}, expected {expected}");
        }
        Assert.Equal(CoveragePrograms.Instructions.Count + 7 + 2 + 6, names.Count);
    }

    [Fact]
    public void SelfModifyingStoresChangeTheNextInstruction()
    {
        var (_, m) = CoveragePrograms.All().Single(p => p.Name == "self-modify-sw-next");
        VmHarness.RunChecked(m, 100);
        Assert.Equal(123u, m.Regs[7]);
    }

    [Fact]
    public void EveryInstructionIsExecutedByTheCoveragePrograms()
    {
        // The first word of each instruction program is that instruction: decode its mnemonic independently.
        var seen = new HashSet<string>();
        foreach (var (name, m) in CoveragePrograms.All().Where(p => CoveragePrograms.Instructions.Any(i => i.Name == p.Name)))
        {
            seen.Add(Mnemonic(m.Memory.ReadUInt32(m.Pc)));
            Assert.Equal(name == "ecall-write" ? "ecall" : name, Mnemonic(m.Memory.ReadUInt32(m.Pc)));
        }
        Assert.Equal(47, seen.Count); // 37 RV32I (minus ebreak/fence.i) + 8 M + fence + ecall
    }

    private static string Mnemonic(uint insn)
    {
        uint f3 = (insn >> 12) & 7, f7 = insn >> 25;
        return (insn & 0x7F) switch
        {
            0x37 => "lui",
            0x17 => "auipc",
            0x6F => "jal",
            0x67 => "jalr",
            0x63 => new[] { "beq", "bne", "?", "?", "blt", "bge", "bltu", "bgeu" }[f3],
            0x03 => new[] { "lb", "lh", "lw", "?", "lbu", "lhu", "?", "?" }[f3],
            0x23 => new[] { "sb", "sh", "sw", "?", "?", "?", "?", "?" }[f3],
            0x13 => f3 == 5 ? (f7 == 0x20 ? "srai" : "srli") : new[] { "addi", "slli", "slti", "sltiu", "xori", "?", "ori", "andi" }[f3],
            0x33 when f7 == 1 => new[] { "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu" }[f3],
            0x33 => f3 == 0 ? (f7 == 0x20 ? "sub" : "add") : f3 == 5 ? (f7 == 0x20 ? "sra" : "srl") : new[] { "?", "sll", "slt", "sltu", "xor", "?", "or", "and" }[f3],
            0x0F => "fence",
            0x73 => insn == 0x73 ? "ecall" : "?",
            _ => "?",
        };
    }
}
