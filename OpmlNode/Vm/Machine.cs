using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpmlNode.Vm;

/// <summary>
/// The fast RV32IM interpreter (PROTOCOL §4). No hashing per step: memory roots are computed by
/// <see cref="PagedMemory"/> only when a state or witness is asked for. One loop serves both long runs
/// and single steps, so there is one implementation of the semantics on the native side.
/// </summary>
public sealed class Machine
{
    public const uint ExitSyscall = 93;
    public const uint WriteSyscall = 64;

    public PagedMemory Memory { get; }
    public uint Pc { get; set; }
    public ulong Step { get; private set; }
    public ExitKind Exited { get; private set; }
    public byte ExitCode { get; private set; }
    /// <summary>x0..x31; x0 always reads zero.</summary>
    public uint[] Regs { get; } = new uint[32];

    public Machine(PagedMemory memory, uint entryPc)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the VM's memory fast path assumes a little-endian host");
        Memory = memory;
        Pc = entryPc;
    }

    /// <summary>A running machine at a checkpoint: memory, pc, registers and step count as they were there.</summary>
    public static Machine Resume(PagedMemory memory, uint pc, ReadOnlySpan<uint> regs, ulong step)
    {
        var m = new Machine(memory, pc) { Step = step };
        regs.CopyTo(m.Regs);
        m.Regs[0] = 0;
        return m;
    }

    public bool IsRunning => Exited == ExitKind.Running;
    public TrapCause Trap => Exited == ExitKind.Trapped ? (TrapCause)ExitCode : TrapCause.None;

    /// <summary>The packed state (PROTOCOL §4.1) including the current memory root.</summary>
    public VmState State()
    {
        var s = new VmState { MemRoot = Memory.Root(), Pc = Pc, Step = Step, Exited = Exited, ExitCode = ExitCode };
        Regs.CopyTo(s.Regs, 0);
        s.Regs[0] = 0;
        return s;
    }

    /// <summary>Executes up to <paramref name="maxSteps"/> steps; stops early on exit or trap. Returns steps executed.</summary>
    [SkipLocalsInit]
    public ulong Run(ulong maxSteps)
    {
        if (Exited != ExitKind.Running || maxSteps == 0) return 0;
        var pages = Memory.Pages;
        ref var x = ref MemoryMarshal.GetArrayDataReference(Regs);
        var pc = Pc;
        var start = Step;
        var step = start;
        var end = ulong.MaxValue - step < maxSteps ? ulong.MaxValue : step + maxSteps;
        var cause = TrapCause.None;

        // Cache of the page holding pc: straight-line code mostly stays on one page.
        var codePageIndex = uint.MaxValue;
        byte[]? codePage = null;

        while (step < end)
        {
            if ((pc & 3) != 0) { cause = TrapCause.MisalignedPc; goto trap; }
            if (pc >> PagedMemory.PageBits != codePageIndex)
            {
                codePageIndex = pc >> PagedMemory.PageBits;
                codePage = pages[codePageIndex];
            }
            var insn = codePage is null ? 0u : Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(codePage), (int)(pc & (PagedMemory.PageSize - 1))));
            var rd = (int)(insn >> 7) & 31;
            var funct3 = (insn >> 12) & 7;
            var rs1 = Unsafe.Add(ref x, (int)(insn >> 15) & 31);
            var nextPc = pc + 4;

            switch (insn & 0x7F)
            {
                case 0x37: // LUI
                    Unsafe.Add(ref x, rd) = insn & 0xFFFFF000;
                    break;
                case 0x17: // AUIPC
                    Unsafe.Add(ref x, rd) = pc + (insn & 0xFFFFF000);
                    break;
                case 0x6F: // JAL
                {
                    var target = pc + Decode.JImm(insn);
                    if ((target & 3) != 0) { cause = TrapCause.MisalignedPc; goto trap; }
                    Unsafe.Add(ref x, rd) = nextPc;
                    nextPc = target;
                    break;
                }
                case 0x67: // JALR
                {
                    if (funct3 != 0) { cause = TrapCause.IllegalInstruction; goto trap; }
                    var target = (rs1 + Decode.IImm(insn)) & ~1u;
                    if ((target & 3) != 0) { cause = TrapCause.MisalignedPc; goto trap; }
                    Unsafe.Add(ref x, rd) = nextPc;
                    nextPc = target;
                    break;
                }
                case 0x63: // BRANCH
                {
                    var rs2 = Unsafe.Add(ref x, (int)(insn >> 20) & 31);
                    bool taken;
                    switch (funct3)
                    {
                        case 0: taken = rs1 == rs2; break;
                        case 1: taken = rs1 != rs2; break;
                        case 4: taken = (int)rs1 < (int)rs2; break;
                        case 5: taken = (int)rs1 >= (int)rs2; break;
                        case 6: taken = rs1 < rs2; break;
                        case 7: taken = rs1 >= rs2; break;
                        default: cause = TrapCause.IllegalInstruction; goto trap;
                    }
                    if (taken)
                    {
                        var target = pc + Decode.BImm(insn);
                        if ((target & 3) != 0) { cause = TrapCause.MisalignedPc; goto trap; }
                        nextPc = target;
                    }
                    break;
                }
                case 0x03: // LOAD
                {
                    var addr = rs1 + Decode.IImm(insn);
                    var width = Decode.LoadWidth(funct3);
                    if (width == 0) { cause = TrapCause.IllegalInstruction; goto trap; }
                    if ((addr & (width - 1)) != 0) { cause = TrapCause.MisalignedLoad; goto trap; }
                    var page = pages[addr >> PagedMemory.PageBits];
                    uint v;
                    if (page is null) v = 0;
                    else
                    {
                        ref var b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), (int)(addr & (PagedMemory.PageSize - 1)));
                        v = funct3 switch
                        {
                            0 => (uint)(sbyte)b,
                            1 => (uint)Unsafe.ReadUnaligned<short>(ref b),
                            2 => Unsafe.ReadUnaligned<uint>(ref b),
                            4 => b,
                            _ => Unsafe.ReadUnaligned<ushort>(ref b),
                        };
                    }
                    Unsafe.Add(ref x, rd) = v;
                    break;
                }
                case 0x23: // STORE
                {
                    var rs2 = Unsafe.Add(ref x, (int)(insn >> 20) & 31);
                    var addr = rs1 + Decode.SImm(insn);
                    if (funct3 > 2) { cause = TrapCause.IllegalInstruction; goto trap; }
                    var width = 1u << (int)funct3;
                    if ((addr & (width - 1)) != 0) { cause = TrapCause.MisalignedStore; goto trap; }
                    var pageIndex = addr >> PagedMemory.PageBits;
                    var page = Memory.PageForWrite(pageIndex);
                    if (pageIndex == codePageIndex) codePage = page; // a store may have allocated the code page
                    ref var b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), (int)(addr & (PagedMemory.PageSize - 1)));
                    switch (funct3)
                    {
                        case 0: b = (byte)rs2; break;
                        case 1: Unsafe.WriteUnaligned(ref b, (ushort)rs2); break;
                        default: Unsafe.WriteUnaligned(ref b, rs2); break;
                    }
                    break;
                }
                case 0x13: // OP-IMM
                {
                    var imm = Decode.IImm(insn);
                    var shamt = (int)(insn >> 20) & 31;
                    var funct7 = insn >> 25;
                    uint v;
                    switch (funct3)
                    {
                        case 0: v = rs1 + imm; break;
                        case 1:
                            if (funct7 != 0) { cause = TrapCause.IllegalInstruction; goto trap; }
                            v = rs1 << shamt;
                            break;
                        case 2: v = (int)rs1 < (int)imm ? 1u : 0u; break;
                        case 3: v = rs1 < imm ? 1u : 0u; break;
                        case 4: v = rs1 ^ imm; break;
                        case 5:
                            if (funct7 == 0) v = rs1 >> shamt;
                            else if (funct7 == 0x20) v = (uint)((int)rs1 >> shamt);
                            else { cause = TrapCause.IllegalInstruction; goto trap; }
                            break;
                        case 6: v = rs1 | imm; break;
                        default: v = rs1 & imm; break;
                    }
                    Unsafe.Add(ref x, rd) = v;
                    break;
                }
                case 0x33: // OP
                {
                    var rs2 = Unsafe.Add(ref x, (int)(insn >> 20) & 31);
                    var funct7 = insn >> 25;
                    uint v;
                    if (funct7 == 0)
                    {
                        v = funct3 switch
                        {
                            0 => rs1 + rs2,
                            1 => rs1 << (int)(rs2 & 31),
                            2 => (int)rs1 < (int)rs2 ? 1u : 0u,
                            3 => rs1 < rs2 ? 1u : 0u,
                            4 => rs1 ^ rs2,
                            5 => rs1 >> (int)(rs2 & 31),
                            6 => rs1 | rs2,
                            _ => rs1 & rs2,
                        };
                    }
                    else if (funct7 == 0x01)
                    {
                        v = MulDiv(funct3, rs1, rs2);
                    }
                    else if (funct7 == 0x20 && funct3 == 0) v = rs1 - rs2;
                    else if (funct7 == 0x20 && funct3 == 5) v = (uint)((int)rs1 >> (int)(rs2 & 31));
                    else { cause = TrapCause.IllegalInstruction; goto trap; }
                    Unsafe.Add(ref x, rd) = v;
                    break;
                }
                case 0x0F: // MISC-MEM: FENCE is a no-op
                    if (funct3 != 0) { cause = TrapCause.IllegalInstruction; goto trap; }
                    break;
                case 0x73: // SYSTEM
                    if (insn == 0x00000073)
                    {
                        var a7 = Unsafe.Add(ref x, 17);
                        if (a7 == ExitSyscall)
                        {
                            Exited = ExitKind.Exited;
                            ExitCode = (byte)Unsafe.Add(ref x, 10);
                            pc = nextPc;
                            step++;
                            goto done;
                        }
                        if (a7 == WriteSyscall) { Unsafe.Add(ref x, 10) = Unsafe.Add(ref x, 12); break; }
                        cause = TrapCause.UnknownEcall;
                        goto trap;
                    }
                    cause = insn == 0x00100073 ? TrapCause.Breakpoint : TrapCause.IllegalInstruction;
                    goto trap;
                default:
                    cause = TrapCause.IllegalInstruction;
                    goto trap;
            }
            x = 0; // writes to x0 are discarded
            pc = nextPc;
            step++;
        }
        goto done;

    trap:
        x = 0;
        Exited = ExitKind.Trapped;
        ExitCode = (byte)cause;
        step++;
        goto done;

    done:
        Pc = pc;
        Step = step;
        return step - start;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint MulDiv(uint funct3, uint a, uint b)
    {
        switch (funct3)
        {
            case 0: return a * b;
            case 1: return (uint)(((long)(int)a * (int)b) >> 32);
            case 2: return (uint)(((long)(int)a * (long)b) >> 32);
            case 3: return (uint)(((ulong)a * b) >> 32);
            case 4:
                if (b == 0) return uint.MaxValue;
                if (a == 0x80000000 && b == uint.MaxValue) return a;
                return (uint)((int)a / (int)b);
            case 5: return b == 0 ? uint.MaxValue : a / b;
            case 6:
                if (b == 0) return a;
                if (a == 0x80000000 && b == uint.MaxValue) return 0;
                return (uint)((int)a % (int)b);
            default: return b == 0 ? a : a % b;
        }
    }
}

/// <summary>RV32 immediate decoders (RISC-V unprivileged spec, §2.3 "Immediate Encoding Variants").</summary>
internal static class Decode
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint IImm(uint insn) => (uint)((int)insn >> 20);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SImm(uint insn) => (uint)(((int)insn >> 20) & ~31) | ((insn >> 7) & 31);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint BImm(uint insn) =>
        (uint)((int)(insn & 0x80000000) >> 19) | ((insn & 0x80) << 4) | ((insn >> 20) & 0x7E0) | ((insn >> 7) & 0x1E);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint JImm(uint insn) =>
        (uint)((int)(insn & 0x80000000) >> 11) | (insn & 0xFF000) | ((insn >> 9) & 0x800) | ((insn >> 20) & 0x7FE);

    /// <summary>Bytes read by a LOAD funct3, or 0 for a reserved funct3 (illegal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LoadWidth(uint funct3) => funct3 switch { 0 or 4 => 1, 1 or 5 => 2, 2 => 4, _ => 0 };
}
