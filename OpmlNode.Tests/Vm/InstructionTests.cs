using OpmlNode.Vm;
using static OpmlNode.Tests.Vm.VmHarness;
using static OpmlNode.Vm.Rv;

namespace OpmlNode.Tests.Vm;

/// <summary>One test per instruction behaviour; every step is also checked against the reference stepper.</summary>
public class InstructionTests
{
    private const uint IntMin = 0x80000000;

    [Fact]
    public void LuiAndAuipc()
    {
        Assert.Equal(0xABCDE000u, Exec(Lui(5, 0xABCDE)).Regs[5]);
        Assert.Equal(unchecked(CodeBase + 0xFFFFF000), Exec(Auipc(6, 0xFFFFF)).Regs[6]);
    }

    [Theory]
    [InlineData(0u, 5u, -1, 4u)]            // addi
    [InlineData(0u, 0xFFFFFFFFu, 1, 0u)]    // addi wraps
    [InlineData(2u, 0xFFFFFFFFu, 0, 1u)]    // slti: -1 < 0
    [InlineData(3u, 5u, -1, 1u)]            // sltiu: imm -1 compares as 0xffffffff
    [InlineData(3u, 0xFFFFFFFFu, -1, 0u)]
    [InlineData(4u, 0xF0F0F0F0u, -1, 0x0F0F0F0Fu)] // xori
    [InlineData(6u, 0x100u, 0x0FF, 0x1FFu)]       // ori
    [InlineData(7u, 0xFFFFFFFFu, -2048, 0xFFFFF800u)] // andi
    public void OpImm(uint funct3, uint a, int imm, uint expected) =>
        Assert.Equal(expected, Exec(I(0x13, 7, funct3, 5, imm), (5, a)).Regs[7]);

    [Theory]
    [InlineData(1u, 0, 0x80000001u, 31, 0x80000000u)]  // slli
    [InlineData(5u, 0, 0x80000000u, 31, 1u)]           // srli
    [InlineData(5u, 0x20, 0x80000000u, 31, 0xFFFFFFFFu)] // srai
    public void ShiftImmediate(uint funct3, int funct7, uint a, int shamt, uint expected) =>
        Assert.Equal(expected, Exec(I(0x13, 7, funct3, 5, (funct7 << 5) | shamt), (5, a)).Regs[7]);

    [Theory]
    [InlineData(1u, 0x20)] // slli with funct7 0x20
    [InlineData(1u, 0x01)] // slli with shamt[5]
    [InlineData(5u, 0x01)] // srli with shamt[5]
    [InlineData(5u, 0x10)]
    public void ShiftImmediateBadFunct7Traps(uint funct3, int funct7) =>
        AssertTrap(Exec(I(0x13, 7, funct3, 5, funct7 << 5 | 3), (5, 9), (7, 11)), TrapCause.IllegalInstruction, (7, 11u));

    [Theory]
    [InlineData(0u, 0u, 0xFFFFFFFFu, 1u, 0u)]          // add wraps
    [InlineData(0u, 0x20u, 0u, 1u, 0xFFFFFFFFu)]      // sub
    [InlineData(1u, 0u, 1u, 33u, 2u)]                 // sll uses low 5 bits
    [InlineData(2u, 0u, IntMin, 1u, 1u)]              // slt signed
    [InlineData(3u, 0u, IntMin, 1u, 0u)]              // sltu unsigned
    [InlineData(4u, 0u, 0xFF00u, 0x0FF0u, 0xF0F0u)]   // xor
    [InlineData(5u, 0u, IntMin, 63u, 1u)]             // srl
    [InlineData(5u, 0x20u, IntMin, 63u, 0xFFFFFFFFu)] // sra
    [InlineData(6u, 0u, 0xF0u, 0x0Fu, 0xFFu)]         // or
    [InlineData(7u, 0u, 0xF0u, 0x3Cu, 0x30u)]         // and
    public void Op(uint funct3, uint funct7, uint a, uint b, uint expected) =>
        Assert.Equal(expected, Exec(Rv.Op(funct3, funct7, 7, 5, 6), (5, a), (6, b)).Regs[7]);

    [Theory]
    [InlineData(1u, 0x20u)]
    [InlineData(2u, 0x20u)]
    [InlineData(0u, 0x40u)]
    [InlineData(0u, 0x02u)]
    [InlineData(7u, 0x7Fu)]
    public void OpBadFunct7Traps(uint funct3, uint funct7) =>
        AssertTrap(Exec(Rv.Op(funct3, funct7, 7, 5, 6), (5, 1), (6, 2)), TrapCause.IllegalInstruction);

    [Theory]
    [InlineData(0u, 7u, 6u, 42u)]                                 // mul
    [InlineData(0u, 0xFFFFFFFFu, 0xFFFFFFFFu, 1u)]               // mul -1*-1
    [InlineData(1u, 0xFFFFFFFFu, 0xFFFFFFFFu, 0u)]               // mulh -1*-1 = 1
    [InlineData(1u, IntMin, IntMin, 0x40000000u)]                // mulh min*min
    [InlineData(1u, IntMin, 0x7FFFFFFFu, 0xC0000000u)]           // mulh min*max
    [InlineData(1u, 0xFFFFFFFFu, 1u, 0xFFFFFFFFu)]               // mulh -1*1 = -1 -> high all ones
    [InlineData(2u, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu)]      // mulhsu -1 * (2^32-1)
    [InlineData(2u, IntMin, 0xFFFFFFFFu, 0x80000000u)]           // mulhsu min * (2^32-1)
    [InlineData(2u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FFFFFFEu)]      // mulhsu max * (2^32-1)
    [InlineData(3u, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFEu)]      // mulhu
    [InlineData(3u, IntMin, 2u, 1u)]
    [InlineData(4u, 0xFFFFFFF9u, 2u, 0xFFFFFFFDu)]               // div -7/2 = -3 (toward zero)
    [InlineData(4u, 7u, 0u, 0xFFFFFFFFu)]                        // div by zero
    [InlineData(4u, IntMin, 0xFFFFFFFFu, IntMin)]                // div overflow
    [InlineData(5u, 7u, 0u, 0xFFFFFFFFu)]                        // divu by zero
    [InlineData(5u, 0xFFFFFFFFu, 2u, 0x7FFFFFFFu)]               // divu
    [InlineData(6u, 0xFFFFFFF9u, 2u, 0xFFFFFFFFu)]               // rem -7%2 = -1
    [InlineData(6u, 7u, 0u, 7u)]                                 // rem by zero
    [InlineData(6u, IntMin, 0xFFFFFFFFu, 0u)]                    // rem overflow
    [InlineData(7u, 7u, 0u, 7u)]                                 // remu by zero
    [InlineData(7u, 0xFFFFFFFFu, 10u, 5u)]                       // remu
    public void MulDiv(uint funct3, uint a, uint b, uint expected) =>
        Assert.Equal(expected, Exec(Rv.Op(funct3, 1, 7, 5, 6), (5, a), (6, b)).Regs[7]);

    [Theory]
    [InlineData(0u, 5u, 5u, true)]
    [InlineData(0u, 5u, 6u, false)]
    [InlineData(1u, 5u, 6u, true)]
    [InlineData(1u, 5u, 5u, false)]
    [InlineData(4u, IntMin, 0u, true)]
    [InlineData(4u, 0u, IntMin, false)]
    [InlineData(5u, 0u, IntMin, true)]
    [InlineData(5u, IntMin, 0u, false)]
    [InlineData(5u, 3u, 3u, true)]
    [InlineData(6u, 0u, IntMin, true)]
    [InlineData(6u, IntMin, 0u, false)]
    [InlineData(7u, IntMin, 0u, true)]
    [InlineData(7u, 0u, IntMin, false)]
    [InlineData(7u, 3u, 3u, true)]
    public void Branches(uint funct3, uint a, uint b, bool taken)
    {
        var m = Exec(B(funct3, 5, 6, -16), (5, a), (6, b));
        Assert.Equal(taken ? CodeBase - 16 : CodeBase + 4, m.Pc);
        Assert.True(m.IsRunning);
    }

    [Fact]
    public void BranchToMisalignedTargetTrapsOnlyWhenTaken()
    {
        AssertTrap(Exec(B(0, 5, 6, 6), (5, 1), (6, 1)), TrapCause.MisalignedPc);
        Assert.Equal(CodeBase + 4, Exec(B(0, 5, 6, 6), (5, 1), (6, 2)).Pc);
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    public void BranchReservedFunct3Traps(uint funct3) => AssertTrap(Exec(B(funct3, 5, 6, 8)), TrapCause.IllegalInstruction);

    [Fact]
    public void JalLinksAndJumps()
    {
        var m = Exec(Jal(1, -4096));
        Assert.Equal(CodeBase - 4096, m.Pc);
        Assert.Equal(CodeBase + 4, m.Regs[1]);
        var far = Exec(Jal(0, 0xFFFFC));
        Assert.Equal(CodeBase + 0xFFFFC, far.Pc);
        Assert.Equal(0u, far.Regs[0]);
    }

    [Fact]
    public void JalToMisalignedTargetTrapsWithoutLinking() =>
        AssertTrap(Exec(Jal(1, 2), (1, 77)), TrapCause.MisalignedPc, (1, 77u));

    [Fact]
    public void JalrClearsBitZeroAndReadsRs1BeforeWritingRd()
    {
        var m = Exec(Jalr(5, 5, 3), (5, 0x2001)); // (0x2001 + 3) & ~1 = 0x2004
        Assert.Equal(0x2004u, m.Pc);
        Assert.Equal(CodeBase + 4, m.Regs[5]);
    }

    [Fact]
    public void JalrMisalignedAndBadFunct3Trap()
    {
        AssertTrap(Exec(Jalr(1, 5, 2), (5, 0x2000)), TrapCause.MisalignedPc);
        AssertTrap(Exec(I(0x67, 1, 1, 5, 0), (5, 0x2000)), TrapCause.IllegalInstruction);
    }

    // Loads of each width at the first and last positions of a 32-byte leaf.
    [Theory]
    [InlineData(0u, 0x2000u, 0xFFFFFF81u)]
    [InlineData(0u, 0x201Fu, 0xFFFFFFA0u)]
    [InlineData(4u, 0x2000u, 0x81u)]
    [InlineData(4u, 0x201Fu, 0xA0u)]
    [InlineData(1u, 0x2000u, 0xFFFF8281u)]
    [InlineData(1u, 0x201Eu, 0xFFFFA09Fu)]
    [InlineData(5u, 0x2000u, 0x8281u)]
    [InlineData(5u, 0x201Eu, 0xA09Fu)]
    [InlineData(2u, 0x2000u, 0x84838281u)]
    [InlineData(2u, 0x201Cu, 0xA09F9E9Du)]
    public void LoadsAtLeafBoundaries(uint funct3, uint address, uint expected)
    {
        var m = Load(Rv.Load(funct3, 7, 5, -16));
        for (var i = 0; i < 32; i++) m.Memory.Write(0x2000u + (uint)i, [(byte)(0x81 + i)]);
        m.Regs[5] = address + 16;
        StepChecked(m);
        Assert.Equal(expected, m.Regs[7]);
    }

    [Fact]
    public void LoadFromUnwrittenMemoryReadsZero() =>
        Assert.Equal(0u, Exec(Rv.Load(2, 7, 5, 0), (5, 0xFFFFFFFC), (7, 99)).Regs[7]);

    [Theory]
    [InlineData(1u, 0x2001u)]
    [InlineData(5u, 0x2003u)]
    [InlineData(2u, 0x2002u)]
    [InlineData(2u, 0x201Fu)]
    public void MisalignedLoadTraps(uint funct3, uint address) =>
        AssertTrap(Exec(Rv.Load(funct3, 7, 5, 0), (5, address), (7, 5)), TrapCause.MisalignedLoad, (7, 5u));

    [Theory]
    [InlineData(3u)]
    [InlineData(6u)]
    [InlineData(7u)]
    public void ReservedLoadWidthTraps(uint funct3) => AssertTrap(Exec(Rv.Load(funct3, 7, 5, 0), (5, 0x2000)), TrapCause.IllegalInstruction);

    [Theory]
    [InlineData(0u, 0x2000u, new byte[] { 0x44 })]
    [InlineData(0u, 0x201Fu, new byte[] { 0x44 })]
    [InlineData(1u, 0x2000u, new byte[] { 0x44, 0x33 })]
    [InlineData(1u, 0x201Eu, new byte[] { 0x44, 0x33 })]
    [InlineData(2u, 0x2000u, new byte[] { 0x44, 0x33, 0x22, 0x11 })]
    [InlineData(2u, 0x201Cu, new byte[] { 0x44, 0x33, 0x22, 0x11 })]
    public void StoresAtLeafBoundaries(uint funct3, uint address, byte[] expected)
    {
        var m = Exec(Store(funct3, 5, 6, 8), (5, address - 8), (6, 0x11223344));
        var got = new byte[expected.Length + 2];
        m.Memory.Read(address - 1, got);
        Assert.Equal([0, .. expected, 0], got);
    }

    [Theory]
    [InlineData(1u, 0x2001u)]
    [InlineData(2u, 0x2002u)]
    [InlineData(2u, 0x2003u)]
    public void MisalignedStoreTrapsAndWritesNothing(uint funct3, uint address)
    {
        var m = Exec(Store(funct3, 5, 6, 0), (5, address), (6, 0xFFFFFFFF));
        AssertTrap(m, TrapCause.MisalignedStore);
        Assert.Equal(0u, m.Memory.ReadUInt32(address & ~3u));
    }

    [Fact]
    public void ReservedStoreWidthTraps() => AssertTrap(Exec(Store(3, 5, 6, 0), (5, 0x2000)), TrapCause.IllegalInstruction);

    [Fact]
    public void StoreIntoTheExecutingInstructionsLeafTakesEffectNextFetch()
    {
        // sw x6, 4(x5) overwrites the next instruction (same leaf) with "addi x7, x0, 123".
        var m = Load(Store(2, 5, 6, 4), Addi(7, 0, 1));
        m.Regs[5] = CodeBase;
        m.Regs[6] = Addi(7, 0, 123);
        StepChecked(m);
        StepChecked(m);
        Assert.Equal(123u, m.Regs[7]);
    }

    [Fact]
    public void StoreOverwritingItselfIsCheckedToo()
    {
        var m = Load(Store(2, 5, 6, 0));
        m.Regs[5] = CodeBase;
        m.Regs[6] = 0xDEADBEEF;
        StepChecked(m);
        Assert.Equal(0xDEADBEEFu, m.Memory.ReadUInt32(CodeBase));
    }

    [Fact]
    public void FenceIsANoOpAndFenceIIsIllegal()
    {
        var m = Exec(Fence, (5, 1));
        Assert.True(m.IsRunning);
        Assert.Equal(CodeBase + 4, m.Pc);
        AssertTrap(Exec(0x0000100F), TrapCause.IllegalInstruction);
    }

    [Fact]
    public void EcallExitUsesLowByteOfA0()
    {
        var m = Exec(Ecall, (17, 93), (10, 0x1FF));
        Assert.Equal(ExitKind.Exited, m.Exited);
        Assert.Equal(0xFF, m.ExitCode);
        Assert.Equal(1ul, m.Step);
        Assert.Equal(0, Exec(Ecall, (17, 93), (10, 0x100)).ExitCode);
    }

    [Fact]
    public void EcallWriteReturnsLength()
    {
        var m = Exec(Ecall, (17, 64), (10, 1), (11, 0x2000), (12, 17));
        Assert.True(m.IsRunning);
        Assert.Equal(17u, m.Regs[10]);
    }

    [Fact]
    public void TrapsOfSystemAndUnknownEncodings()
    {
        AssertTrap(Exec(Ecall, (17, 1)), TrapCause.UnknownEcall);
        AssertTrap(Exec(Ebreak), TrapCause.Breakpoint);
        AssertTrap(Exec(0x30200073), TrapCause.IllegalInstruction); // mret
        AssertTrap(Exec(0x34029073), TrapCause.IllegalInstruction); // csrrw
        AssertTrap(Exec(0x00000000), TrapCause.IllegalInstruction);
        AssertTrap(Exec(0x00010001), TrapCause.IllegalInstruction); // compressed c.nop
        AssertTrap(Exec(0xFFFFFFFF), TrapCause.IllegalInstruction);
        AssertTrap(Exec(0x0000002F), TrapCause.IllegalInstruction); // AMO (A extension)
    }

    [Fact]
    public void WritesToX0AreDiscarded()
    {
        var m = Exec(Addi(0, 0, 5));
        Assert.Equal(0u, m.Regs[0]);
        Assert.Equal(0u, Exec(Lui(0, 1)).Regs[0]);
    }

    [Fact]
    public void MisalignedPcTrapsAtFetch()
    {
        var m = Load(Addi(1, 0, 1));
        m.Pc = CodeBase + 2;
        StepChecked(m);
        AssertTrap(m, TrapCause.MisalignedPc);
        Assert.Equal(CodeBase + 2, m.Pc);
    }

    [Fact]
    public void SteppingAnExitedStateChangesNothing()
    {
        var m = Exec(Ebreak);
        var before = m.State().Encode();
        Assert.Equal(0ul, m.Run(10));
        Assert.Equal(before, m.State().Encode());
        Assert.Equal(before, ReferenceStepper.Step(before, []));
    }

    [Fact]
    public void StatusByteOfTheStateHash()
    {
        Assert.Equal(3, Load(Addi(1, 0, 1)).State().Hash().Bytes[0]);
        Assert.Equal(0, Exec(Ecall, (17, 93)).State().Hash().Bytes[0]);
        Assert.Equal(1, Exec(Ecall, (17, 93), (10, 3)).State().Hash().Bytes[0]);
        Assert.Equal(2, Exec(Ebreak).State().Hash().Bytes[0]);
    }

    /// <summary>A trap keeps pc and the registers, counts the step and records the cause.</summary>
    private static void AssertTrap(Machine m, TrapCause cause, params (int Reg, uint Value)[] unchanged)
    {
        Assert.Equal(ExitKind.Trapped, m.Exited);
        Assert.Equal(cause, m.Trap);
        Assert.Equal(1ul, m.Step);
        foreach (var (r, v) in unchanged) Assert.Equal(v, m.Regs[r]);
    }
}
