// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./Vm.sol";
import {RiscvStep} from "../../src/step/RiscvStep.sol";

/// @notice Builds RV32IM states, sparse memories and their depth-27 proofs in Solidity, independently
///         of the contract under test (own Merkle code, own state encoding and state hash).
abstract contract StepTestBase is TestBase {
    uint256 internal constant DEPTH = 27;
    uint256 internal constant NO_DATA = type(uint256).max;

    /// @dev PROTOCOL §4.1 state, decoded.
    struct State {
        bytes32 memRoot;
        uint32 pc;
        uint32[32] x; // x[0] ignored (encoded registers are x1..x31)
        uint64 step;
        uint8 exited;
        uint8 exitCode;
    }

    /// @dev A memory in which only a few leaves are nonzero.
    struct Mem {
        uint256[] idx;
        bytes32[] val;
        uint256 n;
    }

    RiscvStep internal rs;
    bytes32[28] internal Z;

    function setUp() public virtual {
        rs = new RiscvStep();
        bytes32 z;
        for (uint256 h = 0; h < 28; h++) {
            Z[h] = z;
            z = keccak256(abi.encodePacked(z, z));
        }
    }

    // ------------------------------------------------------------------ memory

    function newMem() internal pure returns (Mem memory m) {
        m.idx = new uint256[](8);
        m.val = new bytes32[](8);
    }

    function getLeaf(Mem memory m, uint256 i) internal pure returns (bytes32) {
        for (uint256 j = 0; j < m.n; j++) {
            if (m.idx[j] == i) return m.val[j];
        }
        return bytes32(0);
    }

    function setLeaf(Mem memory m, uint256 i, bytes32 v) internal pure {
        for (uint256 j = 0; j < m.n; j++) {
            if (m.idx[j] == i) {
                m.val[j] = v;
                return;
            }
        }
        m.idx[m.n] = i;
        m.val[m.n] = v;
        m.n++;
    }

    /// @dev Byte at `addr` is byte addr & 31 of leaf addr >> 5 (PROTOCOL §3).
    function setByte(Mem memory m, uint32 addr, uint8 b) internal pure {
        bytes32 leaf = getLeaf(m, addr >> 5);
        uint256 sh = 8 * (31 - (addr & 31));
        leaf = bytes32((uint256(leaf) & ~(uint256(0xff) << sh)) | (uint256(b) << sh));
        setLeaf(m, addr >> 5, leaf);
    }

    function getByte(Mem memory m, uint32 addr) internal pure returns (uint8) {
        return uint8(uint256(getLeaf(m, addr >> 5)) >> (8 * (31 - (addr & 31))));
    }

    /// @dev Little-endian write of `width` bytes.
    function write(Mem memory m, uint32 addr, uint32 v, uint256 width) internal pure {
        for (uint256 i = 0; i < width; i++) {
            setByte(m, addr + uint32(i), uint8(v >> (8 * i)));
        }
    }

    function read(Mem memory m, uint32 addr, uint256 width) internal pure returns (uint32 v) {
        for (uint256 i = 0; i < width; i++) {
            v |= uint32(getByte(m, addr + uint32(i))) << uint32(8 * i);
        }
    }

    function node(Mem memory m, uint256 h, uint256 i) internal view returns (bytes32) {
        bool any;
        for (uint256 j = 0; j < m.n; j++) {
            if (m.idx[j] >> h == i && m.val[j] != 0) {
                any = true;
                break;
            }
        }
        if (!any) return Z[h];
        if (h == 0) return getLeaf(m, i);
        return keccak256(abi.encodePacked(node(m, h - 1, 2 * i), node(m, h - 1, 2 * i + 1)));
    }

    function root(Mem memory m) internal view returns (bytes32) {
        return node(m, DEPTH, 0);
    }

    /// @dev leaf ‖ sib[0] ‖ … ‖ sib[26] (PROTOCOL §2.3).
    function proof(Mem memory m, uint256 leafIndex) internal view returns (bytes memory p) {
        p = abi.encodePacked(getLeaf(m, leafIndex));
        for (uint256 k = 0; k < DEPTH; k++) {
            p = bytes.concat(p, node(m, k, (leafIndex >> k) ^ 1));
        }
    }

    // ------------------------------------------------------------------ state

    function newState(uint32 pc) internal pure returns (State memory s) {
        s.pc = pc;
    }

    function encode(State memory s) internal pure returns (bytes memory b) {
        b = abi.encodePacked(s.memRoot, s.pc);
        for (uint256 k = 1; k < 32; k++) {
            b = bytes.concat(b, bytes4(s.x[k]));
        }
        b = bytes.concat(b, bytes8(s.step), bytes1(s.exited), bytes1(s.exitCode));
        require(b.length == 170, "encode");
    }

    /// @dev PROTOCOL §4.2, written independently of the contract.
    function hashOf(State memory s) internal pure returns (bytes32) {
        bytes32 h = keccak256(encode(s));
        uint8 status;
        if (s.exited == 0) status = 3;
        else if (s.exited == 1) status = s.exitCode == 0 ? 0 : 1;
        else status = 2;
        return bytes32((uint256(h) & (type(uint256).max >> 8)) | (uint256(status) << 248));
    }

    function copy(State memory s) internal pure returns (State memory c) {
        c.memRoot = s.memRoot;
        c.pc = s.pc;
        for (uint256 k = 0; k < 32; k++) {
            c.x[k] = s.x[k];
        }
        c.step = s.step;
        c.exited = s.exited;
        c.exitCode = s.exitCode;
    }

    // ------------------------------------------------------------------ witness

    /// @dev Sets s.memRoot from m and returns (state bytes, proofs) for a step that fetches at s.pc
    ///      and, unless dataAddr == NO_DATA, reads the data leaf of dataAddr.
    function witness(State memory s, Mem memory m, uint256 dataAddr)
        internal
        view
        returns (bytes memory st, bytes memory proofs)
    {
        s.memRoot = root(m);
        st = encode(s);
        proofs = proof(m, s.pc >> 5);
        if (dataAddr != NO_DATA) proofs = bytes.concat(proofs, proof(m, dataAddr >> 5));
    }

    /// @dev Places `insn` at s.pc, runs one step and returns the hash.
    function runInsn(State memory s, Mem memory m, uint32 insn, uint256 dataAddr) internal view returns (bytes32) {
        write(m, s.pc, insn, 4);
        (bytes memory st, bytes memory proofs) = witness(s, m, dataAddr);
        return rs.step(st, proofs);
    }

    /// @dev Expected post-state for a normal step: copy, pc = nextPc, step + 1, optional rd write.
    function advanced(State memory s, uint32 nextPc) internal pure returns (State memory e) {
        e = copy(s);
        e.pc = nextPc;
        e.step = s.step + 1;
    }

    function trapped(State memory s, uint8 cause) internal pure returns (State memory e) {
        e = copy(s);
        e.step = s.step + 1;
        e.exited = 2;
        e.exitCode = cause;
    }

    // ------------------------------------------------------------------ encoders

    function encR(uint32 f7, uint32 rs2, uint32 rs1, uint32 f3, uint32 rd, uint32 op) internal pure returns (uint32) {
        return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    function encI(int32 imm, uint32 rs1, uint32 f3, uint32 rd, uint32 op) internal pure returns (uint32) {
        return (uint32(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    function encS(int32 imm, uint32 rs2, uint32 rs1, uint32 f3) internal pure returns (uint32) {
        uint32 u = uint32(imm & 0xfff);
        return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 31) << 7) | 0x23;
    }

    function encB(int32 imm, uint32 rs2, uint32 rs1, uint32 f3) internal pure returns (uint32) {
        uint32 u = uint32(imm & 0x1fff);
        return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12)
            | (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
    }

    function encJ(int32 imm, uint32 rd) internal pure returns (uint32) {
        uint32 u = uint32(imm & 0x1fffff);
        return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20)
            | (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
    }

    function encU(uint32 imm20, uint32 rd, uint32 op) internal pure returns (uint32) {
        return (imm20 << 12) | (rd << 7) | op;
    }
}
