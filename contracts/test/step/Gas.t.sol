// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StepTestBase} from "../utils/StepTestBase.sol";
import {console} from "../utils/console.sol";
import {RiscvStep} from "../../src/step/RiscvStep.sol";

/// @notice Gas of representative steps with *dense* witnesses (every sibling a pseudo-random hash,
///         every register nonzero), i.e. worst-case calldata. Asserts the budget: execution ≤ 60,000
///         and execution + 21,000 + calldata (16 / nonzero byte, 4 / zero byte) ≤ 100,000.
contract GasTest is StepTestBase {
    uint32 constant PC = 0x00012340;
    uint32 constant DATA = 0x0fff8a64;

    /// @dev Proof(s) with random siblings, consistent with one tree: for two leaves, the siblings
    ///      above the level where their paths meet are shared and at that level each is the other's
    ///      subtree node.
    function dense(uint256 i1, bytes32 l1, uint256 i2, bytes32 l2, bool two)
        internal
        pure
        returns (bytes32 rootOut, bytes memory p1, bytes memory p2)
    {
        bytes32[27] memory s1;
        bytes32[27] memory s2;
        for (uint256 k = 0; k < 27; k++) {
            s1[k] = keccak256(abi.encode("a", k));
            s2[k] = keccak256(abi.encode("b", k));
        }
        uint256 meet = 27;
        if (two) {
            for (uint256 k = 27; k > 0; k--) {
                if ((i1 >> (k - 1)) != (i2 >> (k - 1))) {
                    meet = k - 1;
                    break;
                }
            }
            // meet = height at which the two nodes are siblings
            bytes32 n1 = nodeUp(l1, i1, s1, meet);
            bytes32 n2 = nodeUp(l2, i2, s2, meet);
            s1[meet] = n2;
            s2[meet] = n1;
            for (uint256 k = meet + 1; k < 27; k++) {
                s2[k] = s1[k];
            }
        }
        rootOut = nodeUp(l1, i1, s1, 27);
        p1 = abi.encodePacked(l1, s1);
        p2 = abi.encodePacked(l2, s2);
        if (two) require(nodeUp(l2, i2, s2, 27) == rootOut, "inconsistent");
    }

    function nodeUp(bytes32 leaf, uint256 idx, bytes32[27] memory sib, uint256 h) internal pure returns (bytes32 n) {
        n = leaf;
        for (uint256 k = 0; k < h; k++) {
            n = (idx >> k) & 1 == 0 ? keccak256(abi.encodePacked(n, sib[k])) : keccak256(abi.encodePacked(sib[k], n));
        }
    }

    function measure(string memory name, uint32 insn, bool data) internal view {
        State memory s = newState(PC);
        for (uint32 k = 1; k < 32; k++) {
            s.x[k] = 0x01020304 * k + 0x11111111;
        }
        s.x[2] = DATA - 4; // base register for loads/stores (offset 4)
        s.step = 0x0102030405;
        uint256 sh = 8 * (28 - (PC & 31));
        bytes32 fetchLeaf =
            bytes32((uint256(keccak256("code")) & ~(uint256(0xffffffff) << sh)) | (uint256(_bswap(insn)) << sh));
        (bytes32 r, bytes memory p1, bytes memory p2) = dense(PC >> 5, fetchLeaf, DATA >> 5, keccak256("data"), data);
        s.memRoot = r;
        bytes memory st = encode(s);
        bytes memory proofs = data ? bytes.concat(p1, p2) : p1;
        rs.step(st, proofs); // warm the account, as in a tx that calls the verifier
        uint256 g0 = gasleft();
        rs.step(st, proofs);
        uint256 exec = g0 - gasleft();
        (uint256 cd, uint256 floor) = _intrinsic(abi.encodeCall(RiscvStep.step, (st, proofs)));
        console.log(string.concat(name, ": exec gas, tx total (exec + intrinsic)"), exec, exec + cd);
        console.log("    EIP-7623 floor (21000 + 10/token)", floor);
        assertTrue(exec <= 60000, "execution gas over budget");
        assertTrue(exec + cd <= 100000, "tx gas over budget");
    }

    /// @dev 21000 + 16 / nonzero + 4 / zero byte; and the EIP-7623 (Prague) floor 21000 + 10 / token
    ///      (token = 1 per zero byte, 4 per nonzero byte) that a calldata-heavy tx pays at least.
    function _intrinsic(bytes memory callData) internal pure returns (uint256 cd, uint256 floor) {
        uint256 tokens;
        for (uint256 i = 0; i < callData.length; i++) {
            tokens += callData[i] == 0 ? 1 : 4;
        }
        cd = 21000 + 4 * tokens;
        floor = 21000 + 10 * tokens;
    }

    function _bswap(uint32 x) internal pure returns (uint32) {
        return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
    }

    function test_GasRepresentativeSteps() public {
        measure("add", encR(0, 7, 6, 0, 5, 0x33), false);
        measure("addi", encI(-5, 6, 0, 5, 0x13), false);
        measure("lw", encI(4, 2, 2, 5, 0x03), true);
        measure("lb", encI(5, 2, 0, 5, 0x03), true);
        measure("sw", encS(4, 7, 2, 2), true);
        measure("sb", encS(7, 7, 2, 0), true);
        measure("mul", encR(1, 7, 6, 0, 5, 0x33), false);
        measure("mulh", encR(1, 7, 6, 1, 5, 0x33), false);
        measure("div", encR(1, 7, 6, 4, 5, 0x33), false);
        measure("remu", encR(1, 7, 6, 7, 5, 0x33), false);
        measure("beq (not taken)", encB(64, 7, 6, 0), false);
        measure("bne (taken)", encB(64, 7, 6, 1), false);
        measure("jal", encJ(-1024, 1), false);
        measure("jalr", encI(0, 2, 0, 1, 0x67), false);
        measure("lui", encU(0x12345, 5, 0x37), false);
        measure("ecall write", 0x00000073 | 0, false);
        measure("illegal (trap)", 0xffffffff, false);
    }
}
