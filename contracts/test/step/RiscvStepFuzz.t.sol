// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StepTestBase} from "../utils/StepTestBase.sol";
import {RiscvStep} from "../../src/step/RiscvStep.sol";

/// @notice Fuzz tests: corrupted witnesses always revert; OP / M results match a plain-Solidity model.
contract RiscvStepFuzzTest is StepTestBase {
    uint32 constant PC = 0x8000;

    bytes internal st; // a valid store witness (two proofs)
    bytes internal pr;
    bytes internal stAdd; // a valid ADD witness (one proof)
    bytes internal prAdd;

    function setUp() public override {
        super.setUp();
        State memory s = newState(PC);
        s.x[1] = 0x0abc0;
        s.x[2] = 0xdeadbeef;
        s.step = 1234;
        Mem memory m = newMem();
        write(m, PC, encS(8, 2, 1, 2), 4); // sw x2, 8(x1)
        write(m, 0x0abc8, 0x11111111, 4);
        write(m, 0x7777000, 0x22222222, 4);
        (st, pr) = witness(s, m, 0x0abc8);
        rs.step(st, pr);

        State memory t = newState(PC);
        t.x[1] = 3;
        Mem memory m2 = newMem();
        write(m2, PC, encR(0, 1, 1, 0, 5, 0x33), 4);
        write(m2, 0x100, 1, 4);
        (stAdd, prAdd) = witness(t, m2, NO_DATA);
        rs.step(stAdd, prAdd);
    }

    function testFuzz_FlipProofByteReverts(uint256 pos, uint8 mask) public {
        vm.assume(mask != 0);
        bytes memory p = bytes.concat(pr);
        pos = pos % p.length;
        p[pos] = bytes1(uint8(p[pos]) ^ mask);
        vm.expectRevert(RiscvStep.BadMemoryProof.selector);
        rs.step(st, p);
    }

    function testFuzz_FlipMemRootReverts(uint256 pos, uint8 mask) public {
        vm.assume(mask != 0);
        bytes memory s = bytes.concat(st);
        pos = pos % 32;
        s[pos] = bytes1(uint8(s[pos]) ^ mask);
        vm.expectRevert(RiscvStep.BadMemoryProof.selector);
        rs.step(s, pr);
    }

    function testFuzz_TruncatedProofsRevert(uint256 newLen) public {
        newLen = newLen % pr.length;
        bytes memory p = new bytes(newLen);
        for (uint256 i = 0; i < newLen; i++) {
            p[i] = pr[i];
        }
        vm.expectRevert();
        rs.step(st, p);
    }

    function testFuzz_ExtendedProofsRevert(bytes memory extra) public {
        vm.assume(extra.length > 0);
        vm.expectRevert(abi.encodeWithSelector(RiscvStep.BadProofsLength.selector, 1792, pr.length + extra.length));
        rs.step(st, bytes.concat(pr, extra));
        vm.expectRevert(abi.encodeWithSelector(RiscvStep.BadProofsLength.selector, 896, prAdd.length + extra.length));
        rs.step(stAdd, bytes.concat(prAdd, extra));
    }

    function testFuzz_BadExitedFlagReverts(uint8 flag) public {
        vm.assume(flag > 2);
        bytes memory s = bytes.concat(st);
        s[168] = bytes1(flag);
        vm.expectRevert(RiscvStep.BadExitedFlag.selector);
        rs.step(s, pr);
        vm.expectRevert(RiscvStep.BadExitedFlag.selector);
        rs.stateHash(s);
    }

    function testFuzz_ExitedWithProofsReverts(uint8 flag) public {
        // A witness for a running state replayed with the exited flag set: proofs must be empty.
        flag = uint8(bound(flag, 1, 2));
        bytes memory s = bytes.concat(st);
        s[168] = bytes1(flag);
        vm.expectRevert(abi.encodeWithSelector(RiscvStep.BadProofsLength.selector, 0, pr.length));
        rs.step(s, pr);
    }

    function testFuzz_StateLengthReverts(uint256 len) public {
        len = len % 400;
        vm.assume(len != 170);
        vm.expectRevert(RiscvStep.BadStateLength.selector);
        rs.step(new bytes(len), pr);
    }

    function testFuzz_OpMatchesModel(uint32 a, uint32 b, uint8 sel) public {
        // sel picks one of the 18 OP encodings (10 RV32I + 8 M).
        uint256 k = sel % 18;
        uint32 f7;
        uint32 f3;
        if (k < 10) {
            uint32[10] memory f3s = [uint32(0), 0, 1, 2, 3, 4, 5, 5, 6, 7];
            uint32[10] memory f7s = [uint32(0), 0x20, 0, 0, 0, 0, 0, 0x20, 0, 0];
            f3 = f3s[k];
            f7 = f7s[k];
        } else {
            f7 = 1;
            f3 = uint32(k - 10);
        }
        State memory s = newState(PC);
        s.x[6] = a;
        s.x[7] = b;
        Mem memory m = newMem();
        bytes32 got = runInsn(s, m, encR(f7, 7, 6, f3, 8, 0x33), NO_DATA);
        State memory e = advanced(s, PC + 4);
        e.x[8] = model(f7, f3, a, b);
        assertEq(got, hashOf(e), "op vs model");
    }

    function bound(uint8 x, uint8 lo, uint8 hi) internal pure returns (uint8) {
        return lo + x % (hi - lo + 1);
    }

    /// @dev Plain reference semantics of OP (RISC-V unprivileged spec + PROTOCOL §4.3 division rules).
    function model(uint32 f7, uint32 f3, uint32 a, uint32 b) internal pure returns (uint32) {
        unchecked {
            int64 sa = int64(int32(a));
            int64 sb = int64(int32(b));
            uint32 sh = b & 31;
            if (f7 == 0x20) return f3 == 0 ? a - b : uint32(int32(a) >> sh);
            if (f7 == 0) {
                if (f3 == 0) return a + b;
                if (f3 == 1) return a << sh;
                if (f3 == 2) return int32(a) < int32(b) ? 1 : 0;
                if (f3 == 3) return a < b ? 1 : 0;
                if (f3 == 4) return a ^ b;
                if (f3 == 5) return a >> sh;
                if (f3 == 6) return a | b;
                return a & b;
            }
            if (f3 == 0) return uint32(uint64(int64(sa * sb)));
            if (f3 == 1) return uint32(uint64((sa * sb) >> 32));
            if (f3 == 2) return uint32(uint128(int128(sa) * int128(uint128(b)) >> 32));
            if (f3 == 3) return uint32((uint64(a) * uint64(b)) >> 32);
            if (f3 == 4) {
                if (b == 0) return type(uint32).max;
                if (a == 0x80000000 && b == 0xffffffff) return a;
                return uint32(int32(sa / sb));
            }
            if (f3 == 5) return b == 0 ? type(uint32).max : a / b;
            if (f3 == 6) {
                if (b == 0) return a;
                if (a == 0x80000000 && b == 0xffffffff) return 0;
                return uint32(int32(sa % sb));
            }
            return b == 0 ? a : a % b;
        }
    }
}
