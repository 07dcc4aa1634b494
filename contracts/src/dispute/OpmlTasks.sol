// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOpmlTasks} from "./interfaces/IOpmlTasks.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {Model, Task, TaskStatus, Submission, SubmissionStatus, CreditReason} from "../lib/Types.sol";
import {TensorRoot} from "../lib/TensorRoot.sol";
import {MerkleProof} from "../lib/MerkleProof.sol";
import "../lib/Errors.sol";

/// @title OpmlTasks — tasks, submissions, challenges and pull payments (PROTOCOL §5.2, §5.6).
/// @notice Holds every wei: fees, bonds and credits. The game contract (created by the constructor,
///         `game()`) runs the disputes and reports each outcome back through onGameResolved /
///         onGameCancelled. Payments are pulled with withdraw().
contract OpmlTasks is IOpmlTasks {
    uint256 internal constant SLOT_DEPTH = 32;
    uint256 internal constant MAX_SLOTS = 1 << 32;

    IModelRegistry public immutable registry;
    DisputeGame public immutable game;
    uint256 public immutable challengeWindow;
    uint256 public immutable submitterBond;
    uint256 public immutable challengerBond;
    uint256 public immutable minFee;

    uint256 public taskCount;
    uint256 public submissionCount;
    mapping(uint256 => Task) internal _tasks;
    mapping(uint256 => Submission) internal _submissions;
    mapping(address => uint256) public credits;
    /// @notice Held fees (tasks not finalized) + locked bonds (pending submissions, open games).
    uint256 public totalLocked;
    uint256 public totalCredits;

    uint256 private transient _locked;

    modifier nonReentrant() {
        if (_locked != 0) revert Reentrancy();
        _locked = 1;
        _;
        _locked = 0;
    }

    modifier onlyGame() {
        if (msg.sender != address(game)) revert OnlyGame();
        _;
    }

    /// @param k_ bisection arity (2..64); clockBudget C and extension E in seconds (PROTOCOL §5.5).
    constructor(
        IModelRegistry registry_,
        address riscvStep,
        uint256 challengeWindow_,
        uint256 submitterBond_,
        uint256 challengerBond_,
        uint256 k_,
        uint64 clockBudget,
        uint64 extension,
        uint256 minFee_
    ) {
        if (challengeWindow_ == 0 || challengeWindow_ > type(uint64).max) revert BadParameter(2);
        registry = registry_;
        challengeWindow = challengeWindow_;
        submitterBond = submitterBond_;
        challengerBond = challengerBond_;
        minFee = minFee_;
        game = new DisputeGame(address(this), address(registry_), riscvStep, k_, clockBudget, extension);
    }

    // ================================================================= tasks

    function request(uint256 modelId, bytes calldata input, uint32 passes)
        external
        payable
        nonReentrant
        returns (uint256 taskId)
    {
        Model memory m = registry.model(modelId);
        if (msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        if (input.length > m.inputSizeLimit) revert InputTooLarge(input.length, m.inputSizeLimit);
        uint256 slots = uint256(passes) * m.nodeCount;
        if (slots == 0 || slots > MAX_SLOTS) revert BadPasses(passes, slots);
        bytes32 inputRoot = TensorRoot.compute(input);

        taskId = ++taskCount;
        Task storage t = _tasks[taskId];
        t.modelId = uint64(modelId);
        t.passes = passes;
        t.status = TaskStatus.Open;
        t.slots = uint64(slots);
        t.outputSlot = uint64(slots - m.nodeCount + m.outputNode);
        t.requester = msg.sender;
        t.fee = msg.value;
        t.inputRoot = inputRoot;
        totalLocked += msg.value;
        emit TaskRequested(taskId, modelId, msg.sender, passes, uint64(slots), msg.value, inputRoot, input);
    }

    function submit(uint256 taskId, bytes calldata output, bytes32 finalRoot, bytes32[] calldata outputSlotProof)
        external
        payable
        nonReentrant
        returns (uint256 submissionId)
    {
        Task storage t = _tasks[taskId];
        if (t.status != TaskStatus.Open) revert TaskNotOpen(taskId);
        if (msg.value != submitterBond) revert WrongBond(submitterBond, msg.value);
        bytes32 outputRoot = TensorRoot.compute(output);
        uint64 outputSlot = t.outputSlot;
        _checkOutputSlot(outputSlot, outputRoot, finalRoot, outputSlotProof);

        submissionId = ++submissionCount;
        Submission storage s = _submissions[submissionId];
        s.taskId = uint64(taskId);
        s.submittedAt = uint64(block.timestamp);
        s.status = SubmissionStatus.Pending;
        s.submitter = msg.sender;
        s.outputRoot = outputRoot;
        s.finalRoot = finalRoot;
        t.status = TaskStatus.Submitted;
        t.submissionId = uint64(submissionId);
        totalLocked += msg.value;
        _emitSubmitted(taskId, submissionId, outputRoot, finalRoot, outputSlot, output);
    }

    /// @dev The output's tensor root must be leaf outputSlot of S_N = finalRoot (depth 32).
    function _checkOutputSlot(uint64 outputSlot, bytes32 outputRoot, bytes32 finalRoot, bytes32[] calldata proof)
        internal
        pure
    {
        if (proof.length != SLOT_DEPTH) revert BadSiblingCount(SLOT_DEPTH, proof.length);
        uint256 off;
        assembly {
            off := proof.offset
        }
        if (MerkleProof.rootFromSiblings(off, outputSlot, outputRoot, SLOT_DEPTH) != finalRoot) {
            revert BadOutputSlotProof();
        }
    }

    function _emitSubmitted(
        uint256 taskId,
        uint256 submissionId,
        bytes32 outputRoot,
        bytes32 finalRoot,
        uint64 outputSlot,
        bytes calldata output
    ) internal {
        emit ResultSubmitted(
            taskId,
            submissionId,
            msg.sender,
            outputRoot,
            finalRoot,
            outputSlot,
            msg.value,
            uint64(block.timestamp + challengeWindow),
            output
        );
    }

    function challenge(uint256 taskId) external payable nonReentrant returns (uint256 gameId) {
        Task storage t = _tasks[taskId];
        if (t.status != TaskStatus.Submitted) revert TaskNotSubmitted(taskId);
        uint256 submissionId = t.submissionId;
        Submission storage s = _submissions[submissionId];
        uint256 end = s.submittedAt + challengeWindow;
        if (block.timestamp >= end) revert ChallengeWindowClosed(end);
        if (msg.sender == s.submitter) revert SelfChallenge();
        if (msg.value != challengerBond) revert WrongBond(challengerBond, msg.value);
        s.openGames += 1;
        totalLocked += msg.value;
        gameId = game.open(taskId, submissionId, t.modelId, t.slots, s.finalRoot, s.submitter, msg.sender);
        emit Challenged(taskId, submissionId, gameId, msg.sender, msg.value);
    }

    function finalize(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        if (t.status != TaskStatus.Submitted) revert TaskNotSubmitted(taskId);
        uint256 submissionId = t.submissionId;
        Submission storage s = _submissions[submissionId];
        uint256 end = s.submittedAt + challengeWindow;
        if (block.timestamp < end) revert ChallengeWindowOpen(end);
        if (s.openGames != 0) revert GamesOpen(s.openGames);
        t.status = TaskStatus.Finalized;
        s.status = SubmissionStatus.Finalized;
        uint256 payout = t.fee + submitterBond;
        totalLocked -= payout;
        _credit(s.submitter, payout, CreditReason.Finalized, taskId);
        emit TaskFinalized(taskId, submissionId, s.submitter, s.outputRoot, s.finalRoot, payout);
    }

    // ================================================================= money

    /// @notice Sends the caller its whole credit (checks-effects-interactions + reentrancy guard).
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = credits[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credits[msg.sender] = 0;
        totalCredits -= amount;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function _credit(address account, uint256 amount, CreditReason reason, uint256 ref) internal {
        uint256 c = credits[account] + amount;
        credits[account] = c;
        totalCredits += amount;
        emit Credited(account, amount, c, reason, ref);
    }

    // ================================================================= game callbacks

    function onGameResolved(uint256 gameId, uint256 submissionId, address submitter, address challenger, bool challengerWon)
        external
        onlyGame
    {
        Submission storage s = _submissions[submissionId];
        s.openGames -= 1;
        if (challengerWon) {
            // The game contract lets only one game reject a submission (it closes the others).
            s.status = SubmissionStatus.Rejected;
            uint256 taskId = s.taskId;
            Task storage t = _tasks[taskId];
            t.status = TaskStatus.Open;
            t.submissionId = 0;
            uint256 payout = challengerBond + submitterBond;
            totalLocked -= payout;
            _credit(challenger, payout, CreditReason.ChallengerWon, gameId);
            emit SubmissionRejected(taskId, submissionId, gameId);
        } else {
            totalLocked -= challengerBond;
            _credit(submitter, challengerBond, CreditReason.SubmitterWon, gameId);
        }
    }

    function onGameCancelled(uint256 gameId, uint256 submissionId, address challenger) external onlyGame {
        _submissions[submissionId].openGames -= 1;
        totalLocked -= challengerBond;
        _credit(challenger, challengerBond, CreditReason.GameCancelled, gameId);
    }

    // ================================================================= views

    function task(uint256 taskId) external view returns (Task memory t) {
        t = _tasks[taskId];
        if (t.status == TaskStatus.None) revert UnknownTask(taskId);
    }

    function submission(uint256 submissionId) external view returns (Submission memory) {
        return _submissions[submissionId];
    }

    function liabilities() external view returns (uint256) {
        return totalLocked + totalCredits;
    }

    /// @notice The task's input root (used by the game's link).
    function inputRootOf(uint256 taskId) external view returns (bytes32) {
        return _tasks[taskId].inputRoot;
    }
}
