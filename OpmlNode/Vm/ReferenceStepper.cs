using System.Buffers.Binary;
using OpmlNode.Crypto;
using OpmlNode.Merkle;

namespace OpmlNode.Vm;

/// <summary>
/// Executes one step from a witness alone (PROTOCOL §4.5–4.6), the way the Solidity step does: no memory
/// but the proven leaves. Deliberately written apart from <see cref="Machine"/> (plain decoding, no shared
/// execution code) so that the differential tests compare two independent readings of the spec.
/// </summary>
public static class ReferenceStepper
{
    private const int ProofSize = MemoryProof.EncodedSize;

    /// <summary>Returns the post-state hash; throws <see cref="MalformedWitnessException"/> on a bad witness.</summary>
    public static Hash256 StepHash(ReadOnlySpan<byte> state, ReadOnlySpan<byte> proofs) => VmState.HashOf(Step(state, proofs));

    /// <summary>Returns the packed post-state.</summary>
    public static byte[] Step(ReadOnlySpan<byte> stateBytes, ReadOnlySpan<byte> proofs)
    {
        var s = VmState.Decode(stateBytes);
        if (s.Exited != ExitKind.Running)
        {
            Expect(proofs, 0);
            return stateBytes.ToArray();
        }
        if (s.Pc % 4 != 0)
        {
            Expect(proofs, 0);
            return Trap(s, TrapCause.MisalignedPc);
        }
        if (proofs.Length < ProofSize) throw new MalformedWitnessException($"proofs must hold the fetch proof ({ProofSize} bytes), got {proofs.Length}");
        var fetchLeaf = VerifiedLeaf(s.MemRoot, s.Pc, proofs[..ProofSize]);
        var insn = BinaryPrimitives.ReadUInt32LittleEndian(fetchLeaf[(int)(s.Pc % 32)..]);

        var opcode = insn & 0x7F;
        var rd = (int)((insn >> 7) & 31);
        var funct3 = (insn >> 12) & 7;
        var funct7 = insn >> 25;
        var a = s.Regs[(insn >> 15) & 31];
        var b = s.Regs[(insn >> 20) & 31];
        var immI = (uint)((int)insn >> 20);
        var next = s.Pc + 4;
        uint? result = null;

        switch (opcode)
        {
            case 0x37: result = insn & 0xFFFFF000; break;
            case 0x17: result = s.Pc + (insn & 0xFFFFF000); break;
            case 0x6F:
            {
                var imm = SignExtend(((insn >> 31) << 20) | (((insn >> 12) & 0xFF) << 12) | (((insn >> 20) & 1) << 11) | (((insn >> 21) & 0x3FF) << 1), 21);
                var target = s.Pc + imm;
                if (target % 4 != 0) return NoData(proofs, s, TrapCause.MisalignedPc);
                result = next;
                next = target;
                break;
            }
            case 0x67:
            {
                if (funct3 != 0) return NoData(proofs, s, TrapCause.IllegalInstruction);
                var target = (a + immI) & 0xFFFFFFFE;
                if (target % 4 != 0) return NoData(proofs, s, TrapCause.MisalignedPc);
                result = next;
                next = target;
                break;
            }
            case 0x63:
            {
                bool taken;
                if (funct3 == 0) taken = a == b;
                else if (funct3 == 1) taken = a != b;
                else if (funct3 == 4) taken = (int)a < (int)b;
                else if (funct3 == 5) taken = (int)a >= (int)b;
                else if (funct3 == 6) taken = a < b;
                else if (funct3 == 7) taken = a >= b;
                else return NoData(proofs, s, TrapCause.IllegalInstruction);
                if (taken)
                {
                    var imm = SignExtend(((insn >> 31) << 12) | (((insn >> 7) & 1) << 11) | (((insn >> 25) & 0x3F) << 5) | (((insn >> 8) & 0xF) << 1), 13);
                    var target = s.Pc + imm;
                    if (target % 4 != 0) return NoData(proofs, s, TrapCause.MisalignedPc);
                    next = target;
                }
                break;
            }
            case 0x03:
            {
                int width = funct3 switch { 0 or 4 => 1, 1 or 5 => 2, 2 => 4, _ => 0 };
                if (width == 0) return NoData(proofs, s, TrapCause.IllegalInstruction);
                var addr = a + immI;
                if (addr % width != 0) return NoData(proofs, s, TrapCause.MisalignedLoad);
                Expect(proofs, 2);
                var leaf = VerifiedLeaf(s.MemRoot, addr, proofs[ProofSize..]);
                var off = (int)(addr % 32);
                uint raw = 0;
                for (var i = 0; i < width; i++) raw |= (uint)leaf[off + i] << (8 * i);
                result = funct3 switch { 0 => SignExtend(raw, 8), 1 => SignExtend(raw, 16), _ => raw };
                break;
            }
            case 0x23:
            {
                if (funct3 > 2) return NoData(proofs, s, TrapCause.IllegalInstruction);
                var width = 1 << (int)funct3;
                var addr = a + SignExtend(((insn >> 25) << 5) | ((insn >> 7) & 31), 12);
                if (addr % width != 0) return NoData(proofs, s, TrapCause.MisalignedStore);
                Expect(proofs, 2);
                var dataProof = proofs[ProofSize..];
                var leaf = VerifiedLeaf(s.MemRoot, addr, dataProof);
                var off = (int)(addr % 32);
                for (var i = 0; i < width; i++) leaf[off + i] = (byte)(b >> (8 * i));
                s.MemRoot = RootWithLeaf(new Hash256(leaf), addr >> 5, dataProof);
                break;
            }
            case 0x13:
            {
                var shamt = (int)((insn >> 20) & 31);
                if (funct3 == 0) result = a + immI;
                else if (funct3 == 2) result = (int)a < (int)immI ? 1u : 0u;
                else if (funct3 == 3) result = a < immI ? 1u : 0u;
                else if (funct3 == 4) result = a ^ immI;
                else if (funct3 == 6) result = a | immI;
                else if (funct3 == 7) result = a & immI;
                else if (funct3 == 1 && funct7 == 0) result = a << shamt;
                else if (funct3 == 5 && funct7 == 0) result = a >> shamt;
                else if (funct3 == 5 && funct7 == 0x20) result = (uint)((int)a >> shamt);
                else return NoData(proofs, s, TrapCause.IllegalInstruction);
                break;
            }
            case 0x33:
            {
                var sh = (int)(b & 31);
                if (funct7 == 0)
                {
                    result = funct3 switch
                    {
                        0 => a + b,
                        1 => a << sh,
                        2 => (int)a < (int)b ? 1u : 0u,
                        3 => a < b ? 1u : 0u,
                        4 => a ^ b,
                        5 => a >> sh,
                        6 => a | b,
                        _ => a & b,
                    };
                }
                else if (funct7 == 0x20 && funct3 == 0) result = a - b;
                else if (funct7 == 0x20 && funct3 == 5) result = (uint)((int)a >> sh);
                else if (funct7 == 1) result = MulDivReference(funct3, a, b);
                else return NoData(proofs, s, TrapCause.IllegalInstruction);
                break;
            }
            case 0x0F:
                if (funct3 != 0) return NoData(proofs, s, TrapCause.IllegalInstruction);
                break;
            case 0x73:
                if (insn == 0x00100073) return NoData(proofs, s, TrapCause.Breakpoint);
                if (insn != 0x00000073) return NoData(proofs, s, TrapCause.IllegalInstruction);
                if (s.Regs[17] == Machine.ExitSyscall)
                {
                    Expect(proofs, 1);
                    s.Exited = ExitKind.Exited;
                    s.ExitCode = (byte)(s.Regs[10] & 0xFF);
                }
                else if (s.Regs[17] == Machine.WriteSyscall) s.Regs[10] = s.Regs[12];
                else return NoData(proofs, s, TrapCause.UnknownEcall);
                break;
            default:
                return NoData(proofs, s, TrapCause.IllegalInstruction);
        }
        if (opcode is not (0x03 or 0x23)) Expect(proofs, 1);
        if (result is { } r && rd != 0) s.Regs[rd] = r;
        s.Pc = next;
        s.Step++;
        return s.Encode();
    }

    // The M extension from the spec's definitions, with BigInteger-free 64-bit products.
    private static uint MulDivReference(uint funct3, uint a, uint b)
    {
        long sa = (int)a, sb = (int)b;
        return funct3 switch
        {
            0 => (uint)(sa * sb),
            1 => (uint)((sa * sb) >> 32),
            2 => (uint)((sa * (long)b) >> 32),
            3 => (uint)(((ulong)a * b) >> 32),
            4 => b == 0 ? 0xFFFFFFFF : (uint)(int)(sa / sb == 0x80000000L ? int.MinValue : sa / sb),
            5 => b == 0 ? 0xFFFFFFFF : a / b,
            6 => b == 0 ? a : (uint)(int)(sa % sb),
            _ => b == 0 ? a : a % b,
        };
    }

    private static uint SignExtend(uint value, int bits) => (uint)(((int)(value << (32 - bits))) >> (32 - bits));

    private static byte[] NoData(ReadOnlySpan<byte> proofs, VmState s, TrapCause cause)
    {
        Expect(proofs, 1);
        return Trap(s, cause);
    }

    private static byte[] Trap(VmState s, TrapCause cause)
    {
        s.Exited = ExitKind.Trapped;
        s.ExitCode = (byte)cause;
        s.Step++;
        return s.Encode();
    }

    private static void Expect(ReadOnlySpan<byte> proofs, int count)
    {
        if (proofs.Length != count * ProofSize)
            throw new MalformedWitnessException($"this step reads {count} memory proof(s) ({count * ProofSize} bytes), got {proofs.Length} bytes");
    }

    /// <summary>Checks the proof's leaf index matches the address and its root matches; returns a copy of the leaf.</summary>
    private static byte[] VerifiedLeaf(Hash256 memRoot, uint address, ReadOnlySpan<byte> proof)
    {
        var leaf = new Hash256(proof[..32]);
        if (RootWithLeaf(leaf, address >> 5, proof) != memRoot)
            throw new MalformedWitnessException($"memory proof for address 0x{address:x8} does not match the state's memory root");
        return leaf.ToArray();
    }

    private static Hash256 RootWithLeaf(Hash256 leaf, uint leafIndex, ReadOnlySpan<byte> proof)
    {
        Span<Hash256> siblings = stackalloc Hash256[PagedMemory.TreeDepth];
        for (var k = 0; k < siblings.Length; k++) siblings[k] = new Hash256(proof.Slice(32 * (k + 1), 32));
        return MerkleMath.RootFromProof(leaf, leafIndex, siblings);
    }
}
