// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "../lib/MerkleProof.sol";

/// @title RiscvStep — executes one RV32IM step from a witness (PROTOCOL.md §4).
/// @notice `step(state, proofs)` returns the post-state hash (§4.2) of the 170-byte state (§4.1)
///         after one step (§4.5), reading memory only through the depth-27 Merkle proofs in
///         `proofs` (§4.6). Any malformed witness reverts; a hash is never returned for one.
/// @dev    The state is read straight from calldata; registers are decoded on demand. The post
///         state is built in free memory (a copy of the pre-state with the changed fields patched
///         in) and hashed there. All values are 32-bit quantities held in uint256 words and masked.
contract RiscvStep {
    /// @notice The state is not exactly 170 bytes (§4.1).
    error BadStateLength();
    /// @notice The `exited` byte is not 0, 1 or 2 (§4.1).
    error BadExitedFlag();
    /// @notice `proofs` is not exactly as long as the proofs this step reads (§4.6).
    error BadProofsLength(uint256 expected, uint256 got);
    /// @notice A memory proof does not recompute to the state's `memRoot` (§4.6).
    error BadMemoryProof();

    uint256 internal constant STATE_LENGTH = 170;
    uint256 internal constant PROOF_LENGTH = 896; // 32 · (27 + 1), §2.3
    uint256 internal constant MEM_DEPTH = 27;

    // §4.1 offsets
    uint256 internal constant OFF_PC = 32;
    uint256 internal constant OFF_STEP = 160;
    uint256 internal constant OFF_EXITED = 168;
    uint256 internal constant OFF_EXITCODE = 169;

    // §4.4 trap causes
    uint256 internal constant TRAP_ILLEGAL = 1;
    uint256 internal constant TRAP_MISALIGNED_PC = 2;
    uint256 internal constant TRAP_MISALIGNED_LOAD = 3;
    uint256 internal constant TRAP_MISALIGNED_STORE = 4;
    uint256 internal constant TRAP_EBREAK = 5;
    uint256 internal constant TRAP_BAD_ECALL = 6;

    uint256 internal constant MASK32 = 0xffffffff;

    // ================================================================= external

    /// @notice The state hash (§4.2) of a well-formed 170-byte state.
    function stateHash(bytes calldata state) external pure returns (bytes32) {
        uint256 s = _checkState(state);
        return _hashCopy(s);
    }

    /// @notice One step (§4.5) from `state`, with `proofs` the memory proofs the step reads (§4.6).
    /// @return postStateHash the state hash (§4.2) of the post-state.
    function step(bytes calldata state, bytes calldata proofs) external pure returns (bytes32 postStateHash) {
        uint256 s = _checkState(state);
        uint256 plen = proofs.length;

        // 1. An exited state does not change and reads nothing.
        if (_u8(s + OFF_EXITED) != 0) {
            _expectProofs(plen, 0);
            return _hashCopy(s);
        }

        uint256 pc = _u32(s + OFF_PC);
        bytes32 root = _b32(s);

        // 2. Misaligned pc traps before fetching: no proof.
        if (pc & 3 != 0) {
            _expectProofs(plen, 0);
            return _trap(s, root, TRAP_MISALIGNED_PC);
        }

        // 3. Fetch (proof 0, leaf pc >> 5).
        if (plen < PROOF_LENGTH) revert BadProofsLength(PROOF_LENGTH, plen);
        uint256 p;
        assembly {
            p := proofs.offset
        }
        bytes32 fetchLeaf = _b32(p);
        if (MerkleProof.rootFromSiblings(p + 32, pc >> 5, fetchLeaf, MEM_DEPTH) != root) revert BadMemoryProof();
        uint256 insn = _readLE(fetchLeaf, pc & 31, 4);

        // 4./5. Execute.
        uint256 opcode = insn & 0x7f;
        if (opcode == 0x03 || opcode == 0x23) return _loadStore(s, p, plen, root, pc, insn);
        _expectProofs(plen, PROOF_LENGTH);
        return _execute(s, root, pc, insn);
    }

    // ================================================================= execution

    /// @dev Every instruction except loads and stores (only the fetch proof is read).
    function _execute(uint256 s, bytes32 root, uint256 pc, uint256 insn) internal pure returns (bytes32) {
        unchecked {
            uint256 opcode = insn & 0x7f;
            uint256 rd = (insn >> 7) & 31;
            uint256 f3 = (insn >> 12) & 7;

            if (opcode == 0x13) {
                // OP-IMM
                uint256 a = _reg(s, (insn >> 15) & 31);
                uint256 imm = _immI(insn);
                uint256 f7 = insn >> 25;
                uint256 r;
                if (f3 == 0) {
                    r = a + imm; // ADDI
                } else if (f3 == 1) {
                    if (f7 != 0) return _trap(s, root, TRAP_ILLEGAL);
                    r = a << (imm & 31); // SLLI
                } else if (f3 == 2) {
                    r = _slt(a, imm); // SLTI
                } else if (f3 == 3) {
                    r = _toBool(a < (imm & MASK32)); // SLTIU (imm sign-extended, compared unsigned)
                } else if (f3 == 4) {
                    r = a ^ imm; // XORI
                } else if (f3 == 5) {
                    if (f7 == 0) r = a >> (imm & 31); // SRLI
                    else if (f7 == 0x20) r = _sra(a, imm & 31); // SRAI
                    else return _trap(s, root, TRAP_ILLEGAL);
                } else if (f3 == 6) {
                    r = a | imm; // ORI
                } else {
                    r = a & imm; // ANDI
                }
                return _finish(s, root, pc + 4, rd, r, 0);
            }

            if (opcode == 0x33) {
                // OP
                uint256 a = _reg(s, (insn >> 15) & 31);
                uint256 b = _reg(s, (insn >> 20) & 31);
                uint256 f7 = insn >> 25;
                uint256 r;
                if (f7 == 0) {
                    if (f3 == 0) r = a + b; // ADD
                    else if (f3 == 1) r = a << (b & 31); // SLL
                    else if (f3 == 2) r = _slt(a, b); // SLT
                    else if (f3 == 3) r = _toBool(a < b); // SLTU
                    else if (f3 == 4) r = a ^ b; // XOR
                    else if (f3 == 5) r = a >> (b & 31); // SRL
                    else if (f3 == 6) r = a | b; // OR
                    else r = a & b; // AND
                } else if (f7 == 0x20) {
                    if (f3 == 0) r = a - b; // SUB
                    else if (f3 == 5) r = _sra(a, b & 31); // SRA
                    else return _trap(s, root, TRAP_ILLEGAL);
                } else if (f7 == 0x01) {
                    r = _mulDiv(f3, a, b); // M extension
                } else {
                    return _trap(s, root, TRAP_ILLEGAL);
                }
                return _finish(s, root, pc + 4, rd, r, 0);
            }

            if (opcode == 0x63) {
                // BRANCH
                uint256 a = _reg(s, (insn >> 15) & 31);
                uint256 b = _reg(s, (insn >> 20) & 31);
                bool taken;
                if (f3 == 0) taken = a == b; // BEQ
                else if (f3 == 1) taken = a != b; // BNE
                else if (f3 == 4) taken = _slt(a, b) == 1; // BLT
                else if (f3 == 5) taken = _slt(a, b) == 0; // BGE
                else if (f3 == 6) taken = a < b; // BLTU
                else if (f3 == 7) taken = a >= b; // BGEU
                else return _trap(s, root, TRAP_ILLEGAL);
                if (!taken) return _finish(s, root, pc + 4, 0, 0, 0);
                uint256 target = (pc + _immB(insn)) & MASK32;
                if (target & 3 != 0) return _trap(s, root, TRAP_MISALIGNED_PC);
                return _finish(s, root, target, 0, 0, 0);
            }

            if (opcode == 0x6f) {
                // JAL
                uint256 target = (pc + _immJ(insn)) & MASK32;
                if (target & 3 != 0) return _trap(s, root, TRAP_MISALIGNED_PC);
                return _finish(s, root, target, rd, pc + 4, 0);
            }

            if (opcode == 0x67) {
                // JALR
                if (f3 != 0) return _trap(s, root, TRAP_ILLEGAL);
                uint256 target = (_reg(s, (insn >> 15) & 31) + _immI(insn)) & (MASK32 - 1);
                if (target & 3 != 0) return _trap(s, root, TRAP_MISALIGNED_PC);
                return _finish(s, root, target, rd, pc + 4, 0);
            }

            if (opcode == 0x37) {
                // LUI
                return _finish(s, root, pc + 4, rd, insn & 0xfffff000, 0);
            }

            if (opcode == 0x17) {
                // AUIPC
                return _finish(s, root, pc + 4, rd, pc + (insn & 0xfffff000), 0);
            }

            if (opcode == 0x0f) {
                // MISC-MEM: FENCE (funct3 0, any other bits) is a no-op.
                if (f3 != 0) return _trap(s, root, TRAP_ILLEGAL);
                return _finish(s, root, pc + 4, 0, 0, 0);
            }

            if (opcode == 0x73) {
                // SYSTEM
                if (insn == 0x00000073) {
                    // ECALL
                    uint256 a7 = _reg(s, 17);
                    if (a7 == 93) return _finish(s, root, pc + 4, 0, 0, 0x100 | (_reg(s, 10) & 0xff)); // exit
                    if (a7 == 64) return _finish(s, root, pc + 4, 10, _reg(s, 12), 0); // write: a0 = a2
                    return _trap(s, root, TRAP_BAD_ECALL);
                }
                if (insn == 0x00100073) return _trap(s, root, TRAP_EBREAK);
                return _trap(s, root, TRAP_ILLEGAL);
            }

            return _trap(s, root, TRAP_ILLEGAL);
        }
    }

    /// @dev LOAD / STORE: strict funct3, alignment, then the data proof (proof 1).
    function _loadStore(uint256 s, uint256 p, uint256 plen, bytes32 root, uint256 pc, uint256 insn)
        internal
        pure
        returns (bytes32)
    {
        unchecked {
            uint256 f3 = (insn >> 12) & 7;
            bool isStore = insn & 0x7f == 0x23;
            // LOAD funct3 ∈ {0,1,2,4,5}; STORE funct3 ∈ {0,1,2}.
            if (isStore ? f3 > 2 : (f3 == 3 || f3 > 5)) {
                _expectProofs(plen, PROOF_LENGTH);
                return _trap(s, root, TRAP_ILLEGAL);
            }
            uint256 width = uint256(1) << (f3 & 3);
            uint256 addr = (_reg(s, (insn >> 15) & 31) + (isStore ? _immS(insn) : _immI(insn))) & MASK32;
            if (addr & (width - 1) != 0) {
                _expectProofs(plen, PROOF_LENGTH);
                return _trap(s, root, isStore ? TRAP_MISALIGNED_STORE : TRAP_MISALIGNED_LOAD);
            }
            _expectProofs(plen, 2 * PROOF_LENGTH);

            if (!isStore) return _load(s, p + PROOF_LENGTH, root, pc, insn, addr);
            return _store(s, p + PROOF_LENGTH, root, pc, insn, addr);
        }
    }

    /// @dev Aligned load: verify the data proof at calldata `q`, read, sign/zero-extend, write rd.
    function _load(uint256 s, uint256 q, bytes32 root, uint256 pc, uint256 insn, uint256 addr)
        internal
        pure
        returns (bytes32)
    {
        unchecked {
            bytes32 leaf = _b32(q);
            if (MerkleProof.rootFromSiblings(q + 32, addr >> 5, leaf, MEM_DEPTH) != root) revert BadMemoryProof();
            uint256 f3 = (insn >> 12) & 7;
            uint256 v = _readLE(leaf, addr & 31, uint256(1) << (f3 & 3));
            if (f3 == 0) v = _sext(v, 0); // LB
            else if (f3 == 1) v = _sext(v, 1); // LH
            return _finish(s, root, pc + 4, (insn >> 7) & 31, v, 0);
        }
    }

    /// @dev Aligned store: verify the data proof at calldata `q` and recompute the root with the new
    ///      leaf and the same siblings.
    function _store(uint256 s, uint256 q, bytes32 root, uint256 pc, uint256 insn, uint256 addr)
        internal
        pure
        returns (bytes32)
    {
        unchecked {
            bytes32 leaf = _b32(q);
            uint256 width = uint256(1) << ((insn >> 12) & 3);
            bytes32 newLeaf = _writeLE(leaf, addr & 31, width, _reg(s, (insn >> 20) & 31));
            (bytes32 oldRoot, bytes32 newRoot) =
                MerkleProof.rootsFromSiblings(q + 32, addr >> 5, leaf, newLeaf, MEM_DEPTH);
            if (oldRoot != root) revert BadMemoryProof();
            return _finish(s, newRoot, pc + 4, 0, 0, 0);
        }
    }

    /// @dev M extension (funct7 = 1), §4.3 division rules.
    function _mulDiv(uint256 f3, uint256 a, uint256 b) internal pure returns (uint256 r) {
        assembly {
            let sa := signextend(3, a)
            let sb := signextend(3, b)
            switch f3
            case 0 { r := mul(a, b) } // MUL (low 32 bits taken by the caller's mask)
            case 1 { r := sar(32, mul(sa, sb)) } // MULH: |product| < 2^62, exact in 256-bit two's complement
            case 2 { r := sar(32, mul(sa, b)) } // MULHSU
            case 3 { r := shr(32, mul(a, b)) } // MULHU
            case 4 {
                // DIV: x/0 = -1; INT_MIN/-1 = 2^31 in 256 bits, i.e. INT_MIN after masking.
                switch b
                case 0 { r := MASK32 }
                default { r := sdiv(sa, sb) }
            }
            case 5 {
                // DIVU
                switch b
                case 0 { r := MASK32 }
                default { r := div(a, b) }
            }
            case 6 {
                // REM: x%0 = x; INT_MIN%-1 = 0 (smod truncates toward zero, sign of dividend).
                switch b
                case 0 { r := a }
                default { r := smod(sa, sb) }
            }
            default {
                // REMU
                switch b
                case 0 { r := a }
                default { r := mod(a, b) }
            }
        }
    }

    // ================================================================= post-state

    /// @dev A trap (§4.4): pc, registers and memory unchanged, step + 1, exited = 2, exitCode = cause.
    function _trap(uint256 s, bytes32 root, uint256 cause) internal pure returns (bytes32) {
        return _finish(s, root, _u32(s + OFF_PC), 0, 0, 0x200 | cause);
    }

    /// @dev Builds the post-state in free memory from the calldata pre-state at `s`: memRoot = root,
    ///      pc = nextPc, x[rd] = val (unless rd = 0), step + 1 (mod 2^64), and when `exit` ≠ 0 the
    ///      exited byte (exit >> 8) and exitCode byte (exit & 0xff); returns its state hash (§4.2).
    function _finish(uint256 s, bytes32 root, uint256 nextPc, uint256 rd, uint256 val, uint256 exit)
        internal
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, s, STATE_LENGTH)
            mstore(m, root)
            let keep := shr(32, not(0)) // all but the top 4 bytes of a word
            let q := add(m, OFF_PC)
            mstore(q, or(and(mload(q), keep), shl(224, and(nextPc, MASK32))))
            if rd {
                q := add(m, add(32, shl(2, rd))) // x_rd at 36 + 4·(rd − 1)
                mstore(q, or(and(mload(q), keep), shl(224, and(val, MASK32))))
            }
            q := add(m, OFF_STEP)
            let w := mload(q)
            let stepNext := and(add(shr(192, w), 1), 0xffffffffffffffff)
            mstore(q, or(and(w, shr(64, not(0))), shl(192, stepNext)))
            if exit {
                mstore8(add(m, OFF_EXITED), shr(8, exit))
                mstore8(add(m, OFF_EXITCODE), and(exit, 0xff))
            }
            h := keccak256(m, STATE_LENGTH)
            let flags := mload(add(m, OFF_EXITED))
            h := or(and(h, shr(8, not(0))), shl(248, _status(byte(0, flags), byte(1, flags))))

            // status (§4.2): running 3; exited 0 / 1 by exit code; trapped 2.
            function _status(e, c) -> st {
                switch e
                case 0 { st := 3 }
                case 1 { st := iszero(iszero(c)) }
                default { st := 2 }
            }
        }
    }

    /// @dev State hash of the unchanged calldata state at `s`.
    function _hashCopy(uint256 s) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, s, STATE_LENGTH)
            h := keccak256(m, STATE_LENGTH)
            let e := byte(0, calldataload(add(s, OFF_EXITED)))
            let c := byte(0, calldataload(add(s, OFF_EXITCODE)))
            let st := 3
            if eq(e, 1) { st := iszero(iszero(c)) }
            if eq(e, 2) { st := 2 }
            h := or(and(h, shr(8, not(0))), shl(248, st))
        }
    }

    // ================================================================= helpers

    /// @dev Validates length and exited flag; returns the calldata offset of the state.
    function _checkState(bytes calldata state) internal pure returns (uint256 s) {
        if (state.length != STATE_LENGTH) revert BadStateLength();
        assembly {
            s := state.offset
        }
        if (_u8(s + OFF_EXITED) > 2) revert BadExitedFlag();
    }

    function _expectProofs(uint256 got, uint256 expected) internal pure {
        if (got != expected) revert BadProofsLength(expected, got);
    }

    /// @dev x_k (x_0 = 0), from calldata.
    function _reg(uint256 s, uint256 k) internal pure returns (uint256 v) {
        assembly {
            v := mul(iszero(iszero(k)), shr(224, calldataload(add(s, add(32, shl(2, k))))))
        }
    }

    function _u8(uint256 o) internal pure returns (uint256 v) {
        assembly {
            v := byte(0, calldataload(o))
        }
    }

    function _u32(uint256 o) internal pure returns (uint256 v) {
        assembly {
            v := shr(224, calldataload(o))
        }
    }

    function _b32(uint256 o) internal pure returns (bytes32 v) {
        assembly {
            v := calldataload(o)
        }
    }

    /// @dev Little-endian value of bytes [off, off + width) of a leaf (byte 0 = leaf's first byte).
    function _readLE(bytes32 leaf, uint256 off, uint256 width) internal pure returns (uint256 v) {
        assembly {
            let be := and(shr(shl(3, sub(sub(32, off), width)), leaf), sub(shl(shl(3, width), 1), 1))
            v := be
            if gt(width, 1) {
                // byte-reverse `width` (2 or 4) bytes
                v := 0
                for { let i := 0 } lt(i, width) { i := add(i, 1) } {
                    v := or(shl(8, v), and(shr(shl(3, i), be), 0xff))
                }
            }
        }
    }

    /// @dev Leaf with bytes [off, off + width) replaced by the low `width` bytes of `val`, little-endian.
    function _writeLE(bytes32 leaf, uint256 off, uint256 width, uint256 val) internal pure returns (bytes32 r) {
        assembly {
            let be := 0
            for { let i := 0 } lt(i, width) { i := add(i, 1) } {
                be := or(shl(8, be), and(shr(shl(3, i), val), 0xff))
            }
            let sh := shl(3, sub(sub(32, off), width))
            let mask := shl(sh, sub(shl(shl(3, width), 1), 1))
            r := or(and(leaf, not(mask)), shl(sh, be))
        }
    }

    /// @dev Sign-extends from byte `b` (0 → 8 bits, 1 → 16 bits), result masked to 32 bits.
    function _sext(uint256 v, uint256 b) internal pure returns (uint256 r) {
        assembly {
            r := and(signextend(b, v), MASK32)
        }
    }

    /// @dev 1 if a < b as signed 32-bit integers.
    function _slt(uint256 a, uint256 b) internal pure returns (uint256 r) {
        assembly {
            r := slt(signextend(3, a), signextend(3, b))
        }
    }

    function _sra(uint256 a, uint256 sh) internal pure returns (uint256 r) {
        assembly {
            r := sar(sh, signextend(3, a))
        }
    }

    function _toBool(bool c) internal pure returns (uint256 r) {
        assembly {
            r := c
        }
    }

    /// @dev I-type immediate, sign-extended to 256 bits (callers mask to 32 bits).
    function _immI(uint256 insn) internal pure returns (uint256 imm) {
        assembly {
            imm := sar(20, signextend(3, insn))
        }
    }

    /// @dev S-type immediate: imm[11:5] = insn[31:25], imm[4:0] = insn[11:7].
    function _immS(uint256 insn) internal pure returns (uint256 imm) {
        assembly {
            imm := or(and(sar(20, signextend(3, insn)), not(31)), and(shr(7, insn), 31))
        }
    }

    /// @dev B-type immediate: imm[12|10:5] = insn[31:25], imm[4:1|11] = insn[11:7].
    function _immB(uint256 insn) internal pure returns (uint256 imm) {
        assembly {
            imm := or(
                or(and(sar(19, signextend(3, insn)), not(0xfff)), and(shl(4, insn), 0x800)),
                or(and(shr(20, insn), 0x7e0), and(shr(7, insn), 0x1e))
            )
        }
    }

    /// @dev J-type immediate: imm[20|10:1|11|19:12] = insn[31:12].
    function _immJ(uint256 insn) internal pure returns (uint256 imm) {
        assembly {
            imm := or(
                or(and(sar(11, signextend(3, insn)), not(0xfffff)), and(insn, 0xff000)),
                or(and(shr(9, insn), 0x800), and(shr(20, insn), 0x7fe))
            )
        }
    }
}
