// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/Vm.sol";
import {ModelRegistry} from "../../src/dispute/ModelRegistry.sol";
import {IModelRegistry} from "../../src/dispute/interfaces/IModelRegistry.sol";
import {Model, MAX_PAYLOAD_BYTES} from "../../src/lib/Types.sol";
import "../../src/lib/Errors.sol";

contract RegistryTest is TestBase {
    ModelRegistry internal reg;

    function setUp() public {
        reg = new ModelRegistry();
    }

    function _reg(uint32 n, uint32 w, uint32 out, uint32 lim, uint64 maxSteps, uint32 pc) internal returns (uint256) {
        return _reg2(n, w, out, lim, 16, maxSteps, pc);
    }

    function _reg2(uint32 n, uint32 w, uint32 out, uint32 lim, uint32 outLim, uint64 maxSteps, uint32 pc)
        internal
        returns (uint256)
    {
        return reg.register(
            keccak256("prog"), pc, keccak256("descs"), n, keccak256("weights"), w, out, lim, outLim, maxSteps
        );
    }

    function test_RegisterSequentialAndImmutable() public {
        vm.expectEmit();
        emit IModelRegistry.ModelRegistered(
            1, address(this), keccak256("prog"), 4, keccak256("descs"), 3, keccak256("weights"), 2, 1, 64, 16, 1000
        );
        assertEq(_reg(3, 2, 1, 64, 1000, 4), 1, "first id");
        Model memory m1 = reg.model(1);
        vm.prank(address(0xBEEF));
        assertEq(
            _reg2(65536, 65536, 65535, uint32(MAX_PAYLOAD_BYTES), uint32(MAX_PAYLOAD_BYTES), type(uint64).max, 0),
            2,
            "second id"
        );
        assertEq(reg.modelCount(), 2, "count");
        Model memory again = reg.model(1);
        assertEq(keccak256(abi.encode(m1)), keccak256(abi.encode(again)), "model 1 unchanged");
        assertEq(again.programRoot, keccak256("prog"), "programRoot");
        assertEq(again.entryPc, 4, "entryPc");
        assertEq(again.nodeCount, 3, "n");
        assertEq(again.weightCount, 2, "W");
        assertEq(again.outputNode, 1, "outputNode");
        assertEq(again.inputSizeLimit, 64, "limit");
        assertEq(again.outputSizeLimit, 16, "output limit");
        assertEq(again.maxNodeSteps, 1000, "maxNodeSteps");
        assertEq(again.registrant, address(this), "registrant");
        assertEq(reg.model(2).registrant, address(0xBEEF), "registrant 2");
        vm.expectRevert(abi.encodeWithSelector(UnknownModel.selector, 3));
        reg.model(3);
        vm.expectRevert(abi.encodeWithSelector(UnknownModel.selector, 0));
        reg.model(0);
    }

    function test_RegisterBadParameters() public {
        vm.expectRevert(abi.encodeWithSelector(BadNodeCount.selector, 0));
        _reg(0, 1, 0, 1, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadNodeCount.selector, 65537));
        _reg(65537, 1, 0, 1, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadWeightCount.selector, 65537));
        _reg(1, 65537, 0, 1, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadOutputNode.selector, 3, 3));
        _reg(3, 1, 3, 1, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadInputSizeLimit.selector, 0));
        _reg(3, 1, 0, 0, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadInputSizeLimit.selector, MAX_PAYLOAD_BYTES + 1));
        _reg(3, 1, 0, uint32(MAX_PAYLOAD_BYTES + 1), 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadOutputSizeLimit.selector, 0));
        _reg2(3, 1, 0, 1, 0, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadOutputSizeLimit.selector, MAX_PAYLOAD_BYTES + 1));
        _reg2(3, 1, 0, 1, uint32(MAX_PAYLOAD_BYTES + 1), 1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadMaxNodeSteps.selector, 0));
        _reg(3, 1, 0, 1, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(BadEntryPc.selector, 0x10000000));
        _reg(3, 1, 0, 1, 1, 0x10000000);
        assertEq(reg.modelCount(), 0, "nothing registered");
        assertEq(_reg(1, 0, 0, 1, 1, 0x0ffffffc), 1, "edges accepted");
    }
}
