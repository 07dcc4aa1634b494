namespace OpmlNode.Vm;

/// <summary>Instruction class tag of a witness, for gas reports (PROTOCOL §4.7).</summary>
public enum WitnessKind : ushort
{
    Exited = 0, Lui = 1, Auipc = 2, Jal = 3, Jalr = 4, Branch = 5, Load = 6, Store = 7,
    OpImm = 8, Op = 9, MulDiv = 10, Fence = 11, Ecall = 12, Trap = 13,
}

/// <summary>A step witness (PROTOCOL §4.6): the packed pre-state and the memory proofs the step reads.</summary>
public sealed record StepWitness(byte[] State, byte[] Proofs, WitnessKind Kind)
{
    /// <summary>Captures the witness of the machine's next step. Computes the memory root (cheap when little changed).</summary>
    public static StepWitness Capture(Machine m)
    {
        var state = m.State().Encode();
        if (!m.IsRunning) return new StepWitness(state, [], WitnessKind.Exited);
        if ((m.Pc & 3) != 0) return new StepWitness(state, [], WitnessKind.Trap);

        var fetch = m.Memory.Proof(m.Pc);
        var insn = m.Memory.ReadUInt32(m.Pc);
        var data = DataAccess(insn, m.Regs);
        var proofs = new byte[MemoryProof.EncodedSize * (data is null ? 1 : 2)];
        fetch.Encode(proofs);
        if (data is { } addr) m.Memory.Proof(addr).Encode(proofs.AsSpan(MemoryProof.EncodedSize));
        return new StepWitness(state, proofs, Classify(insn));
    }

    /// <summary>The address a load or store reads, or null when the instruction reads no data (or traps first).</summary>
    public static uint? DataAccess(uint insn, uint[] regs)
    {
        var opcode = insn & 0x7F;
        var funct3 = (insn >> 12) & 7;
        uint width, addr;
        var rs1 = regs[(insn >> 15) & 31];
        if (opcode == 0x03)
        {
            width = Decode.LoadWidth(funct3);
            addr = rs1 + Decode.IImm(insn);
        }
        else if (opcode == 0x23)
        {
            width = funct3 <= 2 ? 1u << (int)funct3 : 0;
            addr = rs1 + Decode.SImm(insn);
        }
        else return null;
        return width != 0 && (addr & (width - 1)) == 0 ? addr : null;
    }

    /// <summary>Class of the instruction by its opcode, for gas reporting. Steps that trap are re-tagged
    /// <see cref="WitnessKind.Trap"/> by whoever ran them (<see cref="Capture"/> cannot know before stepping).</summary>
    public static WitnessKind Classify(uint insn) => (insn & 0x7F) switch
    {
        0x37 => WitnessKind.Lui,
        0x17 => WitnessKind.Auipc,
        0x6F => WitnessKind.Jal,
        0x67 => WitnessKind.Jalr,
        0x63 => WitnessKind.Branch,
        0x03 => WitnessKind.Load,
        0x23 => WitnessKind.Store,
        0x13 => WitnessKind.OpImm,
        0x33 => insn >> 25 == 1 ? WitnessKind.MulDiv : WitnessKind.Op,
        0x0F => WitnessKind.Fence,
        0x73 when insn == 0x73 => WitnessKind.Ecall,
        _ => WitnessKind.Trap,
    };
}
