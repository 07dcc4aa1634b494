// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {console} from "../utils/console.sol";
import {MAX_PAYLOAD_BYTES} from "../../src/lib/Types.sol";
import {BadInputSizeLimit, BadOutputSizeLimit} from "../../src/lib/Errors.sol";

/// @notice The whole cost of `request` and `submit` carrying the largest payload a model may register
///         (MAX_PAYLOAD_BYTES) fits one transaction under EIP-7825's cap of 2^24 gas, counting the intrinsic 21,000,
///         the calldata at 4/16 gas per zero/non-zero byte and EIP-7623's floor (10 gas per token, a non-zero byte
///         being 4 tokens) whichever is higher. The payloads are pseudo-random, so nearly every byte is non-zero.
///         `forge test --match-contract PayloadGas -vv` prints the table in docs/BENCHMARKS.md.
contract PayloadGasTest is DisputeTestBase {
    uint256 internal constant TX_GAS_CAP = 1 << 24;
    uint256 internal bigModel;

    function setUp() public override {
        super.setUp();
        uint32 lim = uint32(MAX_PAYLOAD_BYTES);
        bigModel = registry.register(programRoot, 0, descriptorsRoot, 3, weightsRoot, 2, 2, lim, lim, MAX_STEPS);
    }

    function payload(uint256 n, uint256 seed) internal pure returns (bytes memory b) {
        b = new bytes(n);
        for (uint256 i = 0; i < n; i += 32) {
            bytes32 w = keccak256(abi.encode(seed, i));
            for (uint256 j = 0; j < 32 && i + j < n; j++) {
                b[i + j] = w[j] == 0 ? bytes1(0x01) : w[j];
            }
        }
    }

    /// @dev What a transaction with this calldata and execution gas costs in all (Prague rules).
    function txGas(bytes memory data, uint256 execution) internal pure returns (uint256) {
        uint256 zero;
        for (uint256 i = 0; i < data.length; i++) {
            if (data[i] == 0) zero++;
        }
        uint256 nonzero = data.length - zero;
        uint256 standard = 21_000 + 4 * zero + 16 * nonzero + execution;
        uint256 floor = 21_000 + 10 * (zero + 4 * nonzero);
        return standard > floor ? standard : floor;
    }

    function _submitGas(uint256 n) internal returns (uint256 total, uint256 execution) {
        bytes memory input = payload(64, n);
        vm.prank(REQUESTER);
        uint256 taskId = tasks.request{value: FEE}(bigModel, input, passes());
        bytes memory out = payload(n, n + 1);
        uint256 o = tasks.task(taskId).outputSlot;
        bytes32[] memory leaves = new bytes32[](o + 1);
        leaves[o] = tensorRoot(out);
        bytes32[] memory proof = listSiblings(leaves, o, 32);
        bytes32 fin = climb(leaves[o], o, proof);
        vm.cool(address(tasks));
        vm.prank(SUBMITTER);
        tasks.submit{value: SUB_BOND}(taskId, out, fin, proof);
        execution = vm.lastCallGas().gasTotalUsed; // the callee's own gas: not the test's memory for the calldata
        total = txGas(abi.encodeCall(tasks.submit, (taskId, out, fin, proof)), execution);
    }

    function _requestGas(uint256 n) internal returns (uint256 total, uint256 execution) {
        bytes memory input = payload(n, n + 2);
        vm.cool(address(tasks));
        vm.cool(address(registry));
        vm.prank(REQUESTER);
        tasks.request{value: FEE}(bigModel, input, passes());
        execution = vm.lastCallGas().gasTotalUsed;
        total = txGas(abi.encodeCall(tasks.request, (bigModel, input, passes())), execution);
    }

    function test_SubmitAndRequestFitOneCappedTransaction() public {
        uint256[6] memory sizes = [uint256(4), 1024, 16 * 1024, 64 * 1024, 256 * 1024, MAX_PAYLOAD_BYTES];
        for (uint256 i = 0; i < sizes.length; i++) {
            (uint256 st, uint256 se) = _submitGas(sizes[i]);
            (uint256 rt, uint256 re) = _requestGas(sizes[i]);
            console.log(string.concat("bytes ", vm.toString(sizes[i]), " submit execution/total"), se, st);
            console.log(string.concat("bytes ", vm.toString(sizes[i]), " request execution/total"), re, rt);
            assertTrue(st <= TX_GAS_CAP, "submit fits one capped transaction");
            assertTrue(rt <= TX_GAS_CAP, "request fits one capped transaction");
        }
    }

    function test_RegisterRefusesAPayloadLimitThatCouldNotBeSubmitted() public {
        uint32 over = uint32(MAX_PAYLOAD_BYTES + 1);
        vm.expectRevert(abi.encodeWithSelector(BadOutputSizeLimit.selector, over));
        registry.register(programRoot, 0, descriptorsRoot, 3, weightsRoot, 2, 2, 64, over, MAX_STEPS);
        vm.expectRevert(abi.encodeWithSelector(BadInputSizeLimit.selector, over));
        registry.register(programRoot, 0, descriptorsRoot, 3, weightsRoot, 2, 2, over, 64, MAX_STEPS);
    }
}
