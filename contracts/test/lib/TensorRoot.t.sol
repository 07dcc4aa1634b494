// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/Vm.sol";
import {TensorRoot} from "../../src/lib/TensorRoot.sol";
import {MerkleProof} from "../../src/lib/MerkleProof.sol";
import {Clock} from "../../src/lib/Clock.sol";
import "../../src/lib/Errors.sol";

contract TensorRootHarness {
    function root(bytes calldata b) external pure returns (bytes32) {
        return TensorRoot.compute(b);
    }
}

contract TensorRootTest is TestBase {
    TensorRootHarness internal h;

    function setUp() public {
        h = new TensorRootHarness();
    }

    /// @dev Independent: a full binary tree built by recursion over leaf ranges.
    function _node(bytes memory b, uint256 height, uint256 index) internal pure returns (bytes32) {
        uint256 first = index << height; // first leaf covered
        if (first * 32 >= b.length) return MerkleProof.zeroHash(height);
        if (height == 0) {
            bytes32 leaf;
            for (uint256 i = 0; i < 32 && first * 32 + i < b.length; i++) {
                leaf |= bytes32(uint256(uint8(b[first * 32 + i])) << (8 * (31 - i)));
            }
            return leaf;
        }
        return keccak256(abi.encodePacked(_node(b, height - 1, 2 * index), _node(b, height - 1, 2 * index + 1)));
    }

    function test_ZeroHashConstants() public pure {
        assertEq(TensorRoot.Z16, MerkleProof.zeroHash(16), "Z16");
        assertEq(TensorRoot.Z23, MerkleProof.zeroHash(23), "Z23");
        assertEq(TensorRoot.Z32, MerkleProof.zeroHash(32), "Z32");
    }

    function test_KnownLengths() public view {
        uint256[9] memory lens = [uint256(0), 1, 31, 32, 33, 64, 95, 352, 1000];
        for (uint256 i = 0; i < lens.length; i++) {
            bytes memory b = new bytes(lens[i]);
            for (uint256 j = 0; j < b.length; j++) {
                b[j] = bytes1(uint8(j * 13 + 1));
            }
            assertEq(h.root(b), _node(b, 23, 0), "root");
        }
    }

    function testFuzz_MatchesIndependentRoot(bytes memory b) public view {
        assertEq(h.root(b), _node(b, 23, 0), "root");
        // trailing zeros do not change a root (PROTOCOL §2.2)
        assertEq(h.root(bytes.concat(b, new bytes(40))), h.root(b), "trailing zeros");
    }

    /// @dev 2^28 + 1 bytes of calldata cannot be sent in a test; a crafted length is refused by the
    ///      ABI decoder before TensorRoot's own TensorTooLarge check (which is defence in depth).
    function test_TooLargeLengthReverts() public view {
        (bool ok,) = address(h)
            .staticcall(abi.encodePacked(TensorRootHarness.root.selector, uint256(32), uint256((1 << 28) + 1)));
        assertTrue(!ok, "reverts");
    }

    function test_Clock() public pure {
        assertEq(Clock.deadline(100, 50), 150, "deadline");
        assertEq(Clock.charge(50, 100, 130), 20, "charge");
        assertEq(Clock.topUp(20, 30), 30, "topUp below");
        assertEq(Clock.topUp(40, 30), 40, "topUp above");
    }
}
