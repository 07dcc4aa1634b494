namespace OpmlNode.Vm;

/// <summary>RV32IM instruction encoders (tests, random programs) (RISC-V unprivileged spec, chapter 2 formats).</summary>
public static class Rv
{
    public static uint R(uint opcode, int rd, uint funct3, int rs1, int rs2, uint funct7) =>
        (funct7 << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (funct3 << 12) | ((uint)rd << 7) | opcode;

    public static uint I(uint opcode, int rd, uint funct3, int rs1, int imm) =>
        ((uint)imm << 20) | ((uint)rs1 << 15) | (funct3 << 12) | ((uint)rd << 7) | opcode;

    public static uint S(uint funct3, int rs1, int rs2, int imm) =>
        (((uint)imm >> 5 & 0x7F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (funct3 << 12) | (((uint)imm & 31) << 7) | 0x23;

    public static uint B(uint funct3, int rs1, int rs2, int imm)
    {
        var u = (uint)imm;
        return ((u >> 12 & 1) << 31) | ((u >> 5 & 0x3F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (funct3 << 12)
            | ((u >> 1 & 0xF) << 8) | ((u >> 11 & 1) << 7) | 0x63;
    }

    public static uint U(uint opcode, int rd, uint imm20) => (imm20 << 12) | ((uint)rd << 7) | opcode;

    public static uint J(int rd, int imm)
    {
        var u = (uint)imm;
        return ((u >> 20 & 1) << 31) | ((u >> 1 & 0x3FF) << 21) | ((u >> 11 & 1) << 20) | ((u >> 12 & 0xFF) << 12) | ((uint)rd << 7) | 0x6F;
    }

    public static uint Lui(int rd, uint imm20) => U(0x37, rd, imm20);
    public static uint Auipc(int rd, uint imm20) => U(0x17, rd, imm20);
    public static uint Jal(int rd, int imm) => J(rd, imm);
    public static uint Jalr(int rd, int rs1, int imm) => I(0x67, rd, 0, rs1, imm);
    public static uint Addi(int rd, int rs1, int imm) => I(0x13, rd, 0, rs1, imm);
    public static uint Op(uint funct3, uint funct7, int rd, int rs1, int rs2) => R(0x33, rd, funct3, rs1, rs2, funct7);
    public static uint Load(uint funct3, int rd, int rs1, int imm) => I(0x03, rd, funct3, rs1, imm);
    public static uint Store(uint funct3, int rs1, int rs2, int imm) => S(funct3, rs1, rs2, imm);
    public const uint Ecall = 0x00000073;
    public const uint Ebreak = 0x00100073;
    public const uint Fence = 0x0FF0000F;
}
