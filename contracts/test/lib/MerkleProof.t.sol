// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StepTestBase} from "../utils/StepTestBase.sol";
import {MerkleProof} from "../../src/lib/MerkleProof.sol";

contract MerkleHarness {
    function verify(bytes calldata proof, bytes32 root, uint256 index, uint256 depth) external pure returns (bool) {
        return MerkleProof.verify(proof, root, index, depth);
    }

    function update(bytes calldata proof, bytes32 root, uint256 index, uint256 depth, bytes32 newLeaf)
        external
        pure
        returns (bool, bytes32)
    {
        return MerkleProof.update(proof, root, index, depth, newLeaf);
    }
}

/// @notice MerkleProof library against the test-side sparse tree (PROTOCOL §2, §3).
contract MerkleProofTest is StepTestBase {
    MerkleHarness h;

    function setUp() public override {
        super.setUp();
        h = new MerkleHarness();
    }

    function test_ZeroHashes() public view {
        for (uint256 i = 0; i < 28; i++) {
            assertEq(MerkleProof.zeroHash(i), Z[i], "Z");
        }
    }

    function test_VerifyAndUpdate() public view {
        Mem memory m = newMem();
        setLeaf(m, 5, keccak256("five"));
        setLeaf(m, 0x7ffffff, keccak256("last"));
        bytes32 r = root(m);
        bytes memory p = proof(m, 5);
        assertTrue(h.verify(p, r, 5, 27), "verify");
        assertTrue(!h.verify(p, r, 4, 27), "wrong index");
        assertTrue(!h.verify(p, r, 5 + (1 << 27), 27), "index too large");
        assertTrue(!h.verify(bytes.concat(p, hex"00"), r, 5, 27), "length");
        assertEq(MerkleProof.rootOfMemoryProof(p, 5), r, "memory proof");
        (bool ok, bytes32 nr) = h.update(p, r, 5, 27, keccak256("new"));
        assertTrue(ok, "update ok");
        setLeaf(m, 5, keccak256("new"));
        assertEq(nr, root(m), "updated root");
        assertEq(MerkleProof.rootOfMemoryProofWithLeaf(p, 5, keccak256("new")), nr, "memory update");
    }

    function test_RegionComposition() public view {
        // Memory with one leaf in region 0 and one in region 10 (output tensor).
        Mem memory m = newMem();
        setLeaf(m, 3, keccak256("code"));
        setLeaf(m, (0xA0000000 >> 5) + 1, keccak256("out"));
        bytes32[16] memory regions;
        for (uint256 r = 0; r < 16; r++) {
            regions[r] = node(m, 23, r);
        }
        assertEq(regions[1], Z[23], "empty region");
        assertEq(MerkleProof.memoryRoot(regions), root(m), "memory root from regions");
        // A partial list is padded with Z[23].
        bytes32[] memory first = new bytes32[](1);
        first[0] = regions[0];
        Mem memory m0 = newMem();
        setLeaf(m0, 3, keccak256("code"));
        assertEq(MerkleProof.rootOfSubtrees(first, 23, 4), root(m0), "padded");
        bytes32[] memory none = new bytes32[](0);
        assertEq(MerkleProof.rootOfSubtrees(none, 23, 4), Z[27], "empty list");
        // Byte string root (§2.2): leaves at depth 3 from 3 leaves.
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = bytes32(uint256(1));
        leaves[1] = bytes32(uint256(2));
        leaves[2] = bytes32(uint256(3));
        bytes32 a = keccak256(abi.encodePacked(leaves[0], leaves[1]));
        bytes32 b = keccak256(abi.encodePacked(leaves[2], Z[0]));
        bytes32 c = keccak256(abi.encodePacked(a, b));
        assertEq(MerkleProof.rootOfSubtrees(leaves, 0, 3), keccak256(abi.encodePacked(c, Z[2])), "depth 3");
    }
}
