// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Task, Submission, CreditReason} from "../../lib/Types.sol";

/// @notice Tasks, submissions, challenges, finalization and pull payments (PROTOCOL §5.2, §5.6).
interface IOpmlTasks {
    event TaskRequested(
        uint256 indexed taskId,
        uint256 indexed modelId,
        address indexed requester,
        uint32 passes,
        uint64 slots,
        uint256 fee,
        bytes32 inputRoot,
        bytes input
    );
    event ResultSubmitted(
        uint256 indexed taskId,
        uint256 indexed submissionId,
        address indexed submitter,
        bytes32 outputRoot,
        bytes32 finalRoot,
        uint64 outputSlot,
        uint256 bond,
        uint64 challengeDeadline,
        bytes output
    );
    event Challenged(
        uint256 indexed taskId, uint256 indexed submissionId, uint256 indexed gameId, address challenger, uint256 bond
    );
    /// @notice The submission lost game `gameId`; the task is Open again (its fee still held).
    event SubmissionRejected(uint256 indexed taskId, uint256 indexed submissionId, uint256 indexed gameId);
    event TaskFinalized(
        uint256 indexed taskId,
        uint256 indexed submissionId,
        address indexed submitter,
        bytes32 outputRoot,
        bytes32 finalRoot,
        uint256 payout
    );
    /// @notice `account`'s withdrawable credit grew by `amount` to `credit`; `ref` is the game id
    ///         (ChallengerWon, SubmitterWon, GameCancelled, Burned) or the task id (Finalized, FeeReclaimed).
    event Credited(address indexed account, uint256 amount, uint256 credit, CreditReason reason, uint256 indexed ref);
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice The task expired Open and its requester took the fee back (credited); the task is Expired.
    event TaskExpiredReclaimed(uint256 indexed taskId, address indexed requester, uint256 fee);

    function request(uint256 modelId, bytes calldata input, uint32 passes) external payable returns (uint256 taskId);
    function submit(uint256 taskId, bytes calldata output, bytes32 finalRoot, bytes32[] calldata outputSlotProof)
        external
        payable
        returns (uint256 submissionId);
    function challenge(uint256 taskId) external payable returns (uint256 gameId);
    function finalize(uint256 taskId) external;
    function reclaim(uint256 taskId) external;
    function withdraw() external returns (uint256 amount);

    function task(uint256 taskId) external view returns (Task memory);
    function submission(uint256 submissionId) external view returns (Submission memory);
    function credits(address account) external view returns (uint256);
    /// @notice Everything the contract owes: held fees + locked bonds + credits.
    function liabilities() external view returns (uint256);

    /// @dev Called by the game contract only.
    function onGameResolved(
        uint256 gameId,
        uint256 submissionId,
        address submitter,
        address challenger,
        bool challengerWon
    ) external;
    function onGameCancelled(uint256 gameId, uint256 submissionId, address challenger) external;
}
