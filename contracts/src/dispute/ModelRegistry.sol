// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {Model, MAX_PAYLOAD_BYTES} from "../lib/Types.sol";
import "../lib/Errors.sol";

/// @title ModelRegistry — permissionless, append-only (PROTOCOL §5.1). Ids are sequential from 1;
///        a registered model can never change (there is no function that writes an existing id).
contract ModelRegistry is IModelRegistry {
    uint256 public modelCount;
    mapping(uint256 => Model) internal _models;

    function register(
        bytes32 programRoot,
        uint32 entryPc,
        bytes32 descriptorsRoot,
        uint32 nodeCount,
        bytes32 weightsRoot,
        uint32 weightCount,
        uint32 outputNode,
        uint32 inputSizeLimit,
        uint32 outputSizeLimit,
        uint64 maxNodeSteps
    ) external returns (uint256 modelId) {
        if (nodeCount == 0 || nodeCount > 1 << 16) revert BadNodeCount(nodeCount);
        if (weightCount > 1 << 16) revert BadWeightCount(weightCount);
        if (outputNode >= nodeCount) revert BadOutputNode(outputNode, nodeCount);
        if (inputSizeLimit == 0 || inputSizeLimit > MAX_PAYLOAD_BYTES) revert BadInputSizeLimit(inputSizeLimit);
        if (outputSizeLimit == 0 || outputSizeLimit > MAX_PAYLOAD_BYTES) revert BadOutputSizeLimit(outputSizeLimit);
        if (maxNodeSteps == 0) revert BadMaxNodeSteps(maxNodeSteps);
        if (entryPc >= 1 << 28) revert BadEntryPc(entryPc); // PROTOCOL §3.1: the entry lies in region 0

        modelId = ++modelCount;
        Model storage m = _models[modelId];
        m.programRoot = programRoot;
        m.descriptorsRoot = descriptorsRoot;
        m.weightsRoot = weightsRoot;
        m.entryPc = entryPc;
        m.nodeCount = nodeCount;
        m.weightCount = weightCount;
        m.outputNode = outputNode;
        m.inputSizeLimit = inputSizeLimit;
        m.outputSizeLimit = outputSizeLimit;
        m.maxNodeSteps = maxNodeSteps;
        m.registrant = msg.sender;
        emit ModelRegistered(
            modelId,
            msg.sender,
            programRoot,
            entryPc,
            descriptorsRoot,
            nodeCount,
            weightsRoot,
            weightCount,
            outputNode,
            inputSizeLimit,
            outputSizeLimit,
            maxNodeSteps
        );
    }

    function model(uint256 modelId) external view returns (Model memory m) {
        m = _models[modelId];
        if (m.nodeCount == 0) revert UnknownModel(modelId);
    }
}
