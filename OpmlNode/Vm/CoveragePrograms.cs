using static OpmlNode.Vm.Rv;

namespace OpmlNode.Vm;

/// <summary>
/// Small deterministic programs that together execute every RV32IM instruction, every trap cause, both
/// ecalls, the step after exit, and stores of each width into the leaf of the executing instruction:
/// the part of a witness fixture that must not depend on luck (random programs add volume).
/// </summary>
public static class CoveragePrograms
{
    private const uint Base = 0x1000;
    private const uint Data = 0x0004_0000;

    /// <summary>Every RV32IM mnemonic (plus the two ecalls) with an encoder from (rd, rs1, rs2).</summary>
    public static readonly IReadOnlyList<(string Name, Func<int, int, int, uint> Encode)> Instructions =
    [
        ("lui", (d, _, _) => Lui(d, 0xABCDE)), ("auipc", (d, _, _) => Auipc(d, 0x12345)),
        ("jal", (d, _, _) => Jal(d, 4)), ("jalr", (d, _, _) => Jalr(d, 2, 4)),
        ("beq", (_, a, b) => B(0, a, b, 4)), ("bne", (_, a, b) => B(1, a, b, 4)), ("blt", (_, a, b) => B(4, a, b, 4)),
        ("bge", (_, a, b) => B(5, a, b, 4)), ("bltu", (_, a, b) => B(6, a, b, 4)), ("bgeu", (_, a, b) => B(7, a, b, 4)),
        ("lb", (d, _, _) => Load(0, d, 1, 3)), ("lh", (d, _, _) => Load(1, d, 1, 30)), ("lw", (d, _, _) => Load(2, d, 1, 28)),
        ("lbu", (d, _, _) => Load(4, d, 1, 31)), ("lhu", (d, _, _) => Load(5, d, 1, 2)),
        ("sb", (_, _, b) => Store(0, 1, b, 31)), ("sh", (_, _, b) => Store(1, 1, b, 30)), ("sw", (_, _, b) => Store(2, 1, b, 28)),
        ("addi", (d, a, _) => Addi(d, a, -7)), ("slti", (d, a, _) => I(0x13, d, 2, a, -1)), ("sltiu", (d, a, _) => I(0x13, d, 3, a, -1)),
        ("xori", (d, a, _) => I(0x13, d, 4, a, 0x555)), ("ori", (d, a, _) => I(0x13, d, 6, a, -0x800)), ("andi", (d, a, _) => I(0x13, d, 7, a, 0x7F0)),
        ("slli", (d, a, _) => I(0x13, d, 1, a, 31)), ("srli", (d, a, _) => I(0x13, d, 5, a, 17)), ("srai", (d, a, _) => I(0x13, d, 5, a, 0x400 | 31)),
        ("add", (d, a, b) => Op(0, 0, d, a, b)), ("sub", (d, a, b) => Op(0, 0x20, d, a, b)), ("sll", (d, a, b) => Op(1, 0, d, a, b)),
        ("slt", (d, a, b) => Op(2, 0, d, a, b)), ("sltu", (d, a, b) => Op(3, 0, d, a, b)), ("xor", (d, a, b) => Op(4, 0, d, a, b)),
        ("srl", (d, a, b) => Op(5, 0, d, a, b)), ("sra", (d, a, b) => Op(5, 0x20, d, a, b)), ("or", (d, a, b) => Op(6, 0, d, a, b)),
        ("and", (d, a, b) => Op(7, 0, d, a, b)),
        ("mul", (d, a, b) => Op(0, 1, d, a, b)), ("mulh", (d, a, b) => Op(1, 1, d, a, b)), ("mulhsu", (d, a, b) => Op(2, 1, d, a, b)),
        ("mulhu", (d, a, b) => Op(3, 1, d, a, b)), ("div", (d, a, b) => Op(4, 1, d, a, b)), ("divu", (d, a, b) => Op(5, 1, d, a, b)),
        ("rem", (d, a, b) => Op(6, 1, d, a, b)), ("remu", (d, a, b) => Op(7, 1, d, a, b)),
        ("fence", (_, _, _) => Fence), ("ecall-write", (_, _, _) => Ecall),
    ];

    /// <summary>Operand pairs that hit the edge cases: zero, -1, INT_MIN, INT_MAX, equal values.</summary>
    private static readonly (uint A, uint B)[] Operands =
    [
        (0, 0), (7, 0), (0x80000000, 0xFFFFFFFF), (0x7FFFFFFF, 0x80000000), (0xFFFFFFF9, 2), (5, 5), (0xDEADBEEF, 33),
    ];

    public static IEnumerable<(string Name, Machine Machine)> All()
    {
        foreach (var (name, encode) in Instructions)
            foreach (var (a, b) in Operands)
            {
                var m = Program(encode(7, 5, 6), Addi(17, 0, 93), Ecall);
                m.Regs[5] = a;
                m.Regs[6] = b;
                m.Regs[17] = name == "ecall-write" ? Machine.WriteSyscall : 0;
                m.Regs[1] = Data;
                m.Regs[2] = Base; // jalr's base
                m.Memory.Write(Data, Enumerable.Range(0, 32).Select(i => (byte)(0x80 + 5 * i)).ToArray());
                yield return (name, m);
            }

        // Each trap cause.
        yield return ("trap-illegal", Program(0xFFFFFFFF));
        yield return ("trap-misaligned-pc-jump", Program(Jal(1, 6)));
        var misalignedPc = Program(Addi(1, 0, 1));
        misalignedPc.Pc = Base + 2;
        yield return ("trap-misaligned-pc-fetch", misalignedPc);
        yield return ("trap-misaligned-load", WithReg(Program(Load(2, 7, 1, 2)), 1, Data));
        yield return ("trap-misaligned-store", WithReg(Program(Store(1, 1, 6, 1)), 1, Data));
        yield return ("trap-ebreak", Program(Ebreak));
        yield return ("trap-unknown-ecall", WithReg(Program(Ecall), 17, 1234));

        // Exit codes, and stores of each width into the leaf holding the executing instruction (and into itself).
        yield return ("exit-0", WithReg(Program(Addi(17, 0, 93), Ecall), 10, 0));
        yield return ("exit-255", WithReg(Program(Addi(17, 0, 93), Ecall), 10, 0x1FF));
        for (uint f3 = 0; f3 < 3; f3++)
        {
            yield return ($"self-modify-{(f3 == 0 ? "sb" : f3 == 1 ? "sh" : "sw")}-next",
                WithReg(WithReg(Program(Store(f3, 1, 6, 4), Addi(7, 0, 1), Addi(17, 0, 93), Ecall), 1, Base), 6, Addi(7, 0, 123)));
            yield return ($"self-modify-{(f3 == 0 ? "sb" : f3 == 1 ? "sh" : "sw")}-itself",
                WithReg(WithReg(Program(Store(f3, 1, 6, 0), Addi(17, 0, 93), Ecall), 1, Base), 6, 0x0000_0013));
        }
    }

    private static Machine Program(params uint[] words)
    {
        var mem = new PagedMemory();
        for (var i = 0; i < words.Length; i++) mem.WriteUInt32(Base + (uint)(4 * i), words[i]);
        // jal/branches above jump +4: land on the exit sequence placed after the program.
        mem.WriteUInt32(Base + (uint)(4 * words.Length), Addi(17, 0, 93));
        mem.WriteUInt32(Base + (uint)(4 * words.Length + 4), Ecall);
        return new Machine(mem, Base);
    }

    private static Machine WithReg(Machine m, int reg, uint value)
    {
        m.Regs[reg] = value;
        return m;
    }
}
