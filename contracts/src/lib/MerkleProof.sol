// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MerkleProof — binary keccak256 Merkle trees over 32-byte leaves (PROTOCOL.md §2).
/// @notice A proof of leaf `index` in a tree of depth `d` is `leaf ‖ sib[0] ‖ … ‖ sib[d-1]`
///         (siblings bottom-up, 32·(d+1) bytes, §2.3). Parent = H(left ‖ right); bit k of the index
///         says whether the running node is the right child at height k.
///         The hashing loops use the scratch space at memory 0x00–0x3f.
library MerkleProof {
    /// @dev Depth of the VM memory tree (§3): 2^27 leaves of 32 bytes = 4 GiB.
    uint256 internal constant MEM_DEPTH = 27;
    /// @dev Length of a depth-27 proof: 32 · (27 + 1).
    uint256 internal constant MEM_PROOF_LENGTH = 896;
    /// @dev Depth of a region subtree (2^28 bytes) and of the tree over the 16 regions (§3).
    uint256 internal constant REGION_DEPTH = 23;
    uint256 internal constant REGIONS_DEPTH = 4;

    error BadProofLength(uint256 expected, uint256 got);
    error TooManyNodes(uint256 count, uint256 depth);

    // ------------------------------------------------------------------ calldata, raw offsets

    /// @notice Root obtained by hashing `leaf` up through the `depth` siblings stored in calldata at
    ///         `siblingsOffset` (32 bytes each, bottom-up). Bits of `index` above `depth` are ignored.
    function rootFromSiblings(uint256 siblingsOffset, uint256 index, bytes32 leaf, uint256 depth)
        internal
        pure
        returns (bytes32 node)
    {
        assembly ("memory-safe") {
            node := leaf
            let end := add(siblingsOffset, shl(5, depth))
            for { let q := siblingsOffset } lt(q, end) { q := add(q, 32) } {
                // b = 0 when node is the left child, 32 when it is the right child.
                let b := shl(5, and(index, 1))
                mstore(b, node)
                mstore(xor(b, 32), calldataload(q))
                node := keccak256(0, 64)
                index := shr(1, index)
            }
        }
    }

    /// @notice Recomputes, in one pass over the siblings at `siblingsOffset`, the root for `oldLeaf`
    ///         and for `newLeaf` (same siblings, so every other leaf is unchanged).
    function rootsFromSiblings(uint256 siblingsOffset, uint256 index, bytes32 oldLeaf, bytes32 newLeaf, uint256 depth)
        internal
        pure
        returns (bytes32 oldRoot, bytes32 newRoot)
    {
        assembly ("memory-safe") {
            oldRoot := oldLeaf
            newRoot := newLeaf
            let end := add(siblingsOffset, shl(5, depth))
            for { let q := siblingsOffset } lt(q, end) { q := add(q, 32) } {
                let b := shl(5, and(index, 1))
                let o := xor(b, 32)
                let sib := calldataload(q)
                mstore(b, oldRoot)
                mstore(o, sib)
                oldRoot := keccak256(0, 64)
                mstore(b, newRoot)
                mstore(o, sib)
                newRoot := keccak256(0, 64)
                index := shr(1, index)
            }
        }
    }

    // ------------------------------------------------------------------ calldata, bytes slices

    /// @notice True iff `proof` (leaf ‖ depth siblings) proves its leaf at `index` under `root`.
    ///         A proof of the wrong length or an index ≥ 2^depth is not valid.
    function verify(bytes calldata proof, bytes32 root, uint256 index, uint256 depth) internal pure returns (bool) {
        if (proof.length != 32 * (depth + 1) || index >> depth != 0) return false;
        return rootFromSiblings(_offset(proof) + 32, index, _leaf(proof), depth) == root;
    }

    /// @notice Verifies `proof` against `root` and returns the root after replacing its leaf by `newLeaf`.
    function update(bytes calldata proof, bytes32 root, uint256 index, uint256 depth, bytes32 newLeaf)
        internal
        pure
        returns (bool ok, bytes32 newRoot)
    {
        if (proof.length != 32 * (depth + 1) || index >> depth != 0) return (false, bytes32(0));
        bytes32 oldRoot;
        (oldRoot, newRoot) = rootsFromSiblings(_offset(proof) + 32, index, _leaf(proof), newLeaf, depth);
        ok = oldRoot == root;
    }

    /// @notice The leaf carried by `proof` (its first 32 bytes).
    function leafOf(bytes calldata proof) internal pure returns (bytes32) {
        if (proof.length < 32) revert BadProofLength(32, proof.length);
        return _leaf(proof);
    }

    // ------------------------------------------------------------------ memory

    /// @notice Root implied by a proof held in memory (leaf ‖ siblings); depth = length/32 − 1.
    function rootOfMemoryProof(bytes memory proof, uint256 index) internal pure returns (bytes32 node) {
        if (proof.length < 32 || proof.length % 32 != 0) revert BadProofLength(32, proof.length);
        return rootOfMemoryProofWithLeaf(proof, index, _mleaf(proof));
    }

    /// @notice Same as {rootOfMemoryProof} but with `leaf` in place of the proof's own leaf (an update).
    function rootOfMemoryProofWithLeaf(bytes memory proof, uint256 index, bytes32 leaf)
        internal
        pure
        returns (bytes32 node)
    {
        if (proof.length < 32 || proof.length % 32 != 0) revert BadProofLength(32, proof.length);
        assembly ("memory-safe") {
            node := leaf
            let q := add(proof, 64)
            let end := add(add(proof, 32), mload(proof))
            for {} lt(q, end) { q := add(q, 32) } {
                let b := shl(5, and(index, 1))
                mstore(b, node)
                mstore(xor(b, 32), mload(q))
                node := keccak256(0, 64)
                index := shr(1, index)
            }
        }
    }

    // ------------------------------------------------------------------ zero hashes and composition

    /// @notice Z[h]: root of an all-zero subtree of height h (Z[0] = 0, Z[h+1] = H(Z[h] ‖ Z[h])).
    function zeroHash(uint256 h) internal pure returns (bytes32 z) {
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, h) { i := add(i, 1) } {
                mstore(0, z)
                mstore(32, z)
                z := keccak256(0, 64)
            }
        }
    }

    /// @notice Root of the tree made of `nodes` (roots of subtrees of height `subHeight`, placed at
    ///         indices 0..n-1) padded with Z[subHeight] up to 2^depth nodes; the result is a node of
    ///         height subHeight + depth. `nodes` is not modified.
    function rootOfSubtrees(bytes32[] memory nodes, uint256 subHeight, uint256 depth) internal pure returns (bytes32) {
        uint256 n = nodes.length;
        if (depth < 256 && n > (uint256(1) << depth)) revert TooManyNodes(n, depth);
        bytes32[] memory level = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            level[i] = nodes[i];
        }
        bytes32 z = zeroHash(subHeight);
        for (uint256 d = 0; d < depth; ++d) {
            uint256 m = (n + 1) >> 1;
            for (uint256 i = 0; i < m; ++i) {
                bytes32 l = level[2 * i];
                bytes32 r = 2 * i + 1 < n ? level[2 * i + 1] : z;
                level[i] = _hash(l, r);
            }
            n = m;
            z = _hash(z, z);
            if (n == 0) {
                // Nothing but padding: the remaining levels are zero hashes.
                return zeroHash(subHeight + depth);
            }
        }
        return n == 0 ? z : level[0];
    }

    /// @notice The VM memory root (§3): the depth-4 tree over the 16 region roots (depth-23 subtrees).
    function memoryRoot(bytes32[16] memory regionRoots) internal pure returns (bytes32) {
        bytes32[] memory nodes = new bytes32[](16);
        for (uint256 i = 0; i < 16; ++i) {
            nodes[i] = regionRoots[i];
        }
        return rootOfSubtrees(nodes, REGION_DEPTH, REGIONS_DEPTH);
    }

    /// @notice H(a ‖ b).
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return _hash(a, b);
    }

    // ------------------------------------------------------------------ private

    function _hash(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0, a)
            mstore(32, b)
            h := keccak256(0, 64)
        }
    }

    function _offset(bytes calldata b) private pure returns (uint256 o) {
        assembly {
            o := b.offset
        }
    }

    function _leaf(bytes calldata b) private pure returns (bytes32 l) {
        assembly {
            l := calldataload(b.offset)
        }
    }

    function _mleaf(bytes memory b) private pure returns (bytes32 l) {
        assembly ("memory-safe") {
            l := mload(add(b, 32))
        }
    }
}
