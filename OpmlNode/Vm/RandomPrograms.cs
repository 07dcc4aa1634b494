using static OpmlNode.Vm.Rv;

namespace OpmlNode.Vm;

/// <summary>
/// Seeded random RV32IM programs for differential testing and witness fixtures: mostly valid
/// instructions of every class over data near leaf and region boundaries, with rare traps of each cause.
/// Control flow only goes forward, so every program ends (exit ecall at the end, or an earlier trap).
/// </summary>
public static class RandomPrograms
{
    private const uint ProgramBase = 0x200; // low enough that jalr from x0 reaches every instruction
    private const int ProgramLength = 300;
    private static readonly uint[] DataBases = [0x0004_0000, 0x0FFF_FFC0, 0x1000_0000, 0xA000_0020, 0xFFFF_FF80];

    public static Machine Create(Random rng)
    {
        var program = new uint[ProgramLength + 2];
        for (var i = 0; i < ProgramLength; i++) program[i] = RandomInstruction(rng, i);
        program[ProgramLength] = Addi(17, 0, 93);
        program[ProgramLength + 1] = Ecall;
        var mem = new PagedMemory();
        for (var i = 0; i < program.Length; i++) mem.WriteUInt32(ProgramBase + (uint)(4 * i), program[i]);
        foreach (var b in DataBases)
            for (var i = 0; i < 64; i++) mem.WriteUInt32(b + (uint)(4 * i), (uint)rng.Next());
        var m = new Machine(mem, ProgramBase);
        for (var r = 1; r < 32; r++) m.Regs[r] = RandomValue(rng);
        // x1..x4 are data pointers (never a destination below), near leaf boundaries.
        m.Regs[17] = Machine.WriteSyscall;
        for (var r = 1; r <= 4; r++) m.Regs[r] = DataBases[rng.Next(DataBases.Length)] + 4 * (uint)rng.Next(0, 32);
        return m;
    }

    private static uint RandomValue(Random rng) => rng.Next(6) switch
    {
        0 => 0,
        1 => 0x80000000,
        2 => 0xFFFFFFFF,
        3 => (uint)rng.Next(-8, 8),
        _ => (uint)rng.NextInt64(0, 1L << 32),
    };

    private static readonly uint[] LoadFunct3 = [0, 1, 2, 4, 5];

    private static int Rd(Random rng) => rng.Next(8) == 0 ? 0 : rng.Next(5, 32) is var r && r == 17 ? 18 : r; // x17 (a7) stays the write syscall
    private static int Rs(Random rng) => rng.Next(32);

    private static uint RandomInstruction(Random rng, int index)
    {
        var f3 = (uint)rng.Next(8);
        var remaining = ProgramLength - index;
        // Forward jump distance in instructions, staying inside the program; sometimes off by 2 bytes (misaligned).
        int Forward() => 4 * rng.Next(1, Math.Min(8, remaining + 1)) + (rng.Next(300) == 0 ? 2 : 0);
        switch (rng.Next(100))
        {
            case < 5: return Lui(Rd(rng), (uint)rng.Next(1 << 20));
            case < 9: return Auipc(Rd(rng), (uint)rng.Next(1 << 20));
            case < 27:
                if (f3 == 1) return I(0x13, Rd(rng), 1, Rs(rng), (rng.Next(400) == 0 ? rng.Next(1, 128) << 5 : 0) | rng.Next(32));
                if (f3 == 5) return I(0x13, Rd(rng), 5, Rs(rng), (rng.Next(400) == 0 ? rng.Next(128) << 5 : rng.Next(2) * 0x400) | rng.Next(32));
                return I(0x13, Rd(rng), f3, Rs(rng), rng.Next(-2048, 2048));
            case < 42:
            {
                uint f7 = (f3 == 0 || f3 == 5) && rng.Next(2) == 0 ? 0x20u : 0u;
                if (rng.Next(400) == 0) f7 = (uint)rng.Next(128);
                return Rv.Op(f3, f7, Rd(rng), Rs(rng), Rs(rng));
            }
            case < 54: return Rv.Op(f3, 1, Rd(rng), Rs(rng), Rs(rng));
            case < 66:
            {
                f3 = LoadFunct3[rng.Next(LoadFunct3.Length)];
                var width = f3 is 0 or 4 ? 1 : f3 is 1 or 5 ? 2 : 4;
                var misalign = rng.Next(400) == 0 ? 1 : 0;
                if (rng.Next(400) == 0) f3 = (uint)(3 + 3 * rng.Next(2)); // reserved widths 3/6
                return Rv.Load(f3, Rd(rng), rng.Next(1, 5), width * rng.Next(-16, 16) + misalign);
            }
            case < 78:
            {
                var sf3 = (uint)rng.Next(3);
                var misalign = rng.Next(400) == 0 ? 1 : 0;
                if (rng.Next(400) == 0) sf3 = 3;
                return Store(sf3, rng.Next(1, 5), Rs(rng), (1 << (int)Math.Min(sf3, 2)) * rng.Next(-16, 16) + misalign);
            }
            case < 88: return B(f3 is 2 or 3 && rng.Next(100) != 0 ? f3 + 4 : f3, Rs(rng), Rs(rng), Forward());
            case < 92: return Jal(Rd(rng), Forward());
            case < 94:
            {
                var target = (int)ProgramBase + 4 * (index + rng.Next(1, Math.Min(8, remaining + 1))) + (rng.Next(30) == 0 ? 2 : rng.Next(2));
                return rng.Next(100) == 0 ? I(0x67, Rd(rng), 1, 0, target) : Jalr(Rd(rng), 0, target);
            }
            case < 95: return rng.Next(100) == 0 ? 0x0000100F : Fence;
            case < 97: return rng.Next(30) == 0 ? Addi(17, 0, rng.Next(2048)) : Ecall; // ecall write, or a7 changed so a later ecall is unknown
            case < 98: return rng.Next(100) != 0 ? Ecall : rng.Next(2) == 0 ? Ebreak : (uint)rng.NextInt64(0, 1L << 32);
            default: return Jal(0, Forward());
        }
    }
}
