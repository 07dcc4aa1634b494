// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StepTestBase} from "../test/utils/StepTestBase.sol";

/// @notice Writes a SAMPLE witness file in the PROTOCOL §4.7 format to cache/witnesses-sample.bin,
///         so the replay test's parsing and per-kind gas report can be exercised before the C# VM's
///         `opml-node vm witness` output exists:
///           npx forge script script/GenSampleWitnesses.s.sol
///           OPML_WITNESSES=cache/witnesses-sample.bin npx forge test --match-test Replay -vv
///         The expected hashes come from the test-side state model (`hashOf`) for the instruction
///         semantics spelled out below; this is a plumbing/gas sample, not a conformance fixture.
contract GenSampleWitnesses is StepTestBase {
    bytes internal out;

    function run() external {
        setUp();
        uint32 pc = 0x10074;
        for (uint32 i = 0; i < 3; i++) {
            uint32 v;
            unchecked {
                v = 0x9e3779b9 * (i + 1);
            }
            // 1 LUI
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                State memory e = advanced(s, pc + 4);
                e.x[5] = 0xabcde000;
                emitRec(1, s, m, encU(0xabcde, 5, 0x37), NO_DATA, e);
            }
            // 2 AUIPC
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                State memory e = advanced(s, pc + 4);
                e.x[3] = pc + 0x1000;
                emitRec(2, s, m, encU(1, 3, 0x17), NO_DATA, e);
            }
            // 3 JAL
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                State memory e = advanced(s, pc - 64);
                e.x[1] = pc + 4;
                emitRec(3, s, m, encJ(-64, 1), NO_DATA, e);
            }
            // 4 JALR
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                s.x[1] = 0x2001;
                State memory e = advanced(s, 0x2010);
                emitRec(4, s, m, encI(0x10, 1, 0, 0, 0x67), NO_DATA, e);
            }
            // 5 branch (bne taken)
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                s.x[10] = 1;
                State memory e = advanced(s, pc + 32);
                emitRec(5, s, m, encB(32, 0, 10, 1), NO_DATA, e);
            }
            // 6 load (lw from the stack region)
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                s.x[2] = 0x0ffffff0;
                write(m, 0x0ffffff8, v, 4);
                State memory e = advanced(s, pc + 4);
                e.x[8] = v;
                emitRec(6, s, m, encI(8, 2, 2, 8, 0x03), 0x0ffffff8, e);
            }
            // 7 store (sw into the stack region)
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                s.x[2] = 0x0ffffff0;
                s.x[9] = v;
                write(m, 0x0ffffff8, 0x1234, 4);
                State memory e = advanced(s, pc + 4);
                write(m, pc, encS(12, 9, 2, 2), 4);
                (bytes memory st, bytes memory pr) = witness(s, m, 0x0ffffffc);
                write(m, 0x0ffffffc, v, 4);
                e.memRoot = root(m);
                rec(7, st, pr, hashOf(e));
            }
            // 8 OP-IMM
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                State memory e = advanced(s, pc + 4);
                unchecked {
                    e.x[11] = s.x[11] + 100;
                }
                emitRec(8, s, m, encI(100, 11, 0, 11, 0x13), NO_DATA, e);
            }
            // 9 OP
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                State memory e = advanced(s, pc + 4);
                e.x[12] = s.x[11] ^ s.x[13];
                emitRec(9, s, m, encR(0, 13, 11, 4, 12, 0x33), NO_DATA, e);
            }
            // 10 M (mul)
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                State memory e = advanced(s, pc + 4);
                unchecked {
                    e.x[12] = s.x[11] * s.x[13];
                }
                emitRec(10, s, m, encR(1, 13, 11, 0, 12, 0x33), NO_DATA, e);
            }
            // 11 FENCE
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                emitRec(11, s, m, 0x0ff0000f, NO_DATA, advanced(s, pc + 4));
            }
            // 12 ECALL write
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                s.x[17] = 64;
                s.x[12] = 5;
                State memory e = advanced(s, pc + 4);
                e.x[10] = 5;
                emitRec(12, s, m, 0x00000073, NO_DATA, e);
            }
            // 13 trap (illegal)
            {
                (State memory s, Mem memory m) = fresh(pc, v);
                emitRec(13, s, m, 0xffffffff, NO_DATA, trapped(s, 1));
            }
            // 0 no-op after exit
            {
                (State memory s,) = fresh(pc, v);
                s.exited = 1;
                s.exitCode = 3;
                s.memRoot = keccak256(abi.encode(v));
                rec(0, encode(s), "", hashOf(s));
            }
        }
        vm.writeFileBinary("cache/witnesses-sample.bin", out);
    }

    function fresh(uint32 pc, uint32 v) internal pure returns (State memory s, Mem memory m) {
        s = newState(pc);
        s.step = 1000 + v % 1000;
        for (uint32 k = 1; k < 32; k++) {
            unchecked {
                s.x[k] = v * k;
            }
        }
        m = newMem();
        write(m, 0x00010000, v, 4); // some program data next to the code
    }

    function emitRec(uint16 kind, State memory s, Mem memory m, uint32 insn, uint256 dataAddr, State memory e)
        internal
    {
        write(m, s.pc, insn, 4);
        (bytes memory st, bytes memory pr) = witness(s, m, dataAddr);
        e.memRoot = s.memRoot;
        rec(kind, st, pr, hashOf(e));
    }

    function rec(uint16 kind, bytes memory st, bytes memory pr, bytes32 expected) internal {
        out = bytes.concat(out, bytes2(kind), bytes2(uint16(pr.length)), st, pr, expected);
    }
}
