// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TensorTooLarge} from "./Errors.sol";

/// @title TensorRoot — root(bytes, 23) of calldata bytes (PROTOCOL §2.2, GRAPH §3).
/// @notice 32-byte leaves in order, the last one zero-padded, hashed pairwise level by level (an odd
///         last node is paired with the zero hash of its height), then climbed to height 23.
library TensorRoot {
    uint256 internal constant DEPTH = 23;
    uint256 internal constant MAX_BYTES = 1 << 28;
    /// @dev Z[16], Z[23], Z[32] (PROTOCOL §2.1); checked against MerkleProof.zeroHash in the tests.
    bytes32 internal constant Z16 = 0x2733e50f526ec2fa19a22b31e8ed50f23cd1fdf94c9154ed3a7609a2f1ff981f;
    bytes32 internal constant Z23 = 0x4df84f40ae0c8229d0d6069e5c8f39a7c299677a09d367fc7b05e3bc380ee652;
    bytes32 internal constant Z32 = 0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757;

    /// @notice Tensor root of `data`; reverts TensorTooLarge above 2^28 bytes.
    function compute(bytes calldata data) internal pure returns (bytes32 r) {
        uint256 len = data.length;
        if (len > MAX_BYTES) revert TensorTooLarge(len);
        if (len == 0) return Z23;
        assembly ("memory-safe") {
            // Leaves are laid out past the free memory pointer (scratch, never allocated).
            let buf := mload(0x40)
            let n := shr(5, add(len, 31))
            mstore(add(buf, shl(5, sub(n, 1))), 0) // zero the last leaf, then copy over it
            calldatacopy(buf, data.offset, len)
            let z := 0
            for { let h := 0 } lt(h, 23) { h := add(h, 1) } {
                let m := shr(1, add(n, 1))
                for { let i := 0 } lt(i, m) { i := add(i, 1) } {
                    let src := add(buf, shl(6, i))
                    mstore(0, mload(src))
                    switch lt(add(shl(1, i), 1), n)
                    case 1 { mstore(32, mload(add(src, 32))) }
                    default { mstore(32, z) }
                    mstore(add(buf, shl(5, i)), keccak256(0, 64))
                }
                n := m
                mstore(0, z)
                mstore(32, z)
                z := keccak256(0, 64)
            }
            r := mload(buf)
        }
    }
}
