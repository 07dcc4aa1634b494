// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Model} from "../../lib/Types.sol";

/// @notice Permissionless, append-only model registry (PROTOCOL §5.1).
interface IModelRegistry {
    event ModelRegistered(
        uint256 indexed modelId,
        address indexed registrant,
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
    );

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
    ) external returns (uint256 modelId);

    /// @notice The model; reverts UnknownModel(modelId) if it was never registered.
    function model(uint256 modelId) external view returns (Model memory);

    function modelCount() external view returns (uint256);
}
