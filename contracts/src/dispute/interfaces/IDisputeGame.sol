// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Game, Stage, Side, Resolution} from "../../lib/Types.sol";

/// @notice The two-phase bisection game (PROTOCOL §5.3–§5.5). `turn` in a move event is the
///         expectedTurn the move consumed; GameProgress.nextTurn is the one the next move must pass.
interface IDisputeGame {
    event GameStarted(
        uint256 indexed gameId,
        uint256 indexed taskId,
        uint256 indexed submissionId,
        address submitter,
        address challenger,
        uint64 slots,
        bytes32 finalRoot
    );
    /// @notice Emitted after every move and at the start: the whole state a follower needs.
    event GameProgress(
        uint256 indexed gameId,
        uint32 nextTurn,
        Stage stage,
        Side toMove,
        uint64 lo,
        uint64 hi,
        bytes32 rootLo,
        bytes32 rootHi,
        uint64 submitterClock,
        uint64 challengerClock,
        uint64 deadline
    );
    /// @notice roots[i-1] is the submitter's root at point p_i = lo + i·(hi−lo)/m, i = 1..m−1.
    event Bisected(uint256 indexed gameId, uint32 turn, uint8 phase, uint64 lo, uint64 hi, bytes32[] roots);
    event Chosen(
        uint256 indexed gameId,
        uint32 turn,
        uint8 phase,
        uint256 choice,
        uint64 lo,
        uint64 hi,
        bytes32 rootLo,
        bytes32 rootHi
    );
    event TransitionProved(uint256 indexed gameId, uint32 turn, uint64 slot, bytes32 outRoot);
    event Linked(
        uint256 indexed gameId,
        uint32 turn,
        uint64 slot,
        uint32 node,
        uint64 pass,
        bytes32 descriptorRoot,
        bytes32[] inputRoots,
        bytes32 memRoot,
        bytes32 startStateHash
    );
    event FinalClaimed(uint256 indexed gameId, uint32 turn, uint64 steps, bytes32 finalMemRoot, bytes32 finalStateHash);
    event Stepped(
        uint256 indexed gameId,
        uint32 turn,
        address caller,
        uint64 stepIndex,
        bytes32 preStateHash,
        bytes32 postStateHash,
        bytes32 claimedPostStateHash
    );
    event GameResolved(uint256 indexed gameId, uint32 turn, Side winner, Resolution how, address winnerAccount);
    event GameCancelled(uint256 indexed gameId, uint256 indexed submissionId, address challenger);

    function bisect(uint256 gameId, uint256 expectedTurn, bytes32[] calldata roots) external;
    function choose(uint256 gameId, uint256 expectedTurn, uint256 c, bytes32[] calldata posted) external;
    function proveTransition(uint256 gameId, uint256 expectedTurn, bytes32 outRoot, bytes32[] calldata siblings)
        external;
    function link(
        uint256 gameId,
        uint256 expectedTurn,
        bytes calldata descriptor,
        bytes32[] calldata descriptorProof,
        bytes32[] calldata inputRoots,
        bytes32[][] calldata inputProofs
    ) external;
    function claimFinal(uint256 gameId, uint256 expectedTurn, bytes calldata finalState, bytes32[] calldata outputProof)
        external;
    function step(uint256 gameId, uint256 expectedTurn, bytes calldata state, bytes calldata proofs) external;
    function timeout(uint256 gameId, uint256 expectedTurn) external;
    /// @notice Closes an open game whose submission was rejected by another game; refunds its challenger.
    function cancel(uint256 gameId) external;

    /// @dev Called by the tasks contract only.
    function open(
        uint256 taskId,
        uint256 submissionId,
        uint256 modelId,
        uint64 slots,
        bytes32 finalRoot,
        address submitter,
        address challenger
    ) external returns (uint256 gameId);

    function game(uint256 gameId) external view returns (Game memory);
    /// @notice keccak256(abi.encodePacked(roots)) of the last bisect's roots (those of its Bisected event).
    function postedHash(uint256 gameId) external view returns (bytes32);
    /// @notice Deadline of the side to move (turnStart + its remaining time).
    function deadline(uint256 gameId) external view returns (uint64);
    /// @notice The split points p_0..p_m of [lo, hi] (PROTOCOL §5.3).
    function splitPoints(uint64 lo, uint64 hi) external view returns (uint64[] memory);
    function gameCount() external view returns (uint256);
    function submissionRejected(uint256 submissionId) external view returns (bool);
}
