// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOpmlTasks} from "./interfaces/IOpmlTasks.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {DisputeGame} from "./DisputeGame.sol";
import {Model, Task, TaskStatus, Submission, SubmissionStatus, CreditReason, Parameters} from "../lib/Types.sol";
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
    uint256 public immutable taskExpiry;
    /// @notice The share of Bs (basis points) a rejected submitter loses whoever wins its game, and who receives it.
    uint256 public immutable lossBps;
    address public immutable lossReceiver;

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

    /// @param p the deployment parameters (PROTOCOL §5); a bad one reverts BadParameter(i).
    constructor(IModelRegistry registry_, address riscvStep, Parameters memory p) {
        if (p.challengeWindow == 0 || p.challengeWindow > type(uint64).max) revert BadParameter(2);
        if (p.lossBps == 0 || p.lossBps > 10_000) revert BadParameter(4);
        if (p.lossReceiver == address(0)) revert BadParameter(5);
        if (p.taskExpiry == 0 || p.taskExpiry > type(uint64).max) revert BadParameter(6);
        registry = registry_;
        challengeWindow = p.challengeWindow;
        submitterBond = p.submitterBond;
        challengerBond = p.challengerBond;
        minFee = p.minFee;
        taskExpiry = p.taskExpiry;
        lossBps = p.lossBps;
        lossReceiver = p.lossReceiver;
        game = new DisputeGame(address(this), address(registry_), riscvStep, p.k, p.clockBudget, p.extension);
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
        t.outputSizeLimit = m.outputSizeLimit;
        t.fee = msg.value;
        t.inputRoot = inputRoot;
        t.requestedAt = uint64(block.timestamp);
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
        _checkSubmittable(t, taskId, output.length);
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

    /// @dev Open, not expired, the bond, an output within the model's limit.
    function _checkSubmittable(Task storage t, uint256 taskId, uint256 outputLength) internal view {
        if (t.status != TaskStatus.Open) revert TaskNotOpen(taskId);
        uint256 expiry = t.requestedAt + taskExpiry;
        if (block.timestamp >= expiry) revert TaskExpired(expiry);
        if (msg.value != submitterBond) revert WrongBond(submitterBond, msg.value);
        if (outputLength > t.outputSizeLimit) revert OutputTooLarge(outputLength, t.outputSizeLimit);
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

    /// @notice Requester: the fee of a task that is Open (no pending submission) at or after its expiry comes back.
    function reclaim(uint256 taskId) external nonReentrant {
        Task storage t = _tasks[taskId];
        if (t.status != TaskStatus.Open) revert TaskNotOpen(taskId);
        if (msg.sender != t.requester) revert NotRequester(msg.sender);
        uint256 expiry = t.requestedAt + taskExpiry;
        if (block.timestamp < expiry) revert TaskNotExpired(expiry);
        t.status = TaskStatus.Expired;
        uint256 fee = t.fee;
        totalLocked -= fee;
        _credit(msg.sender, fee, CreditReason.FeeReclaimed, taskId);
        emit TaskExpiredReclaimed(taskId, msg.sender, fee);
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

    function onGameResolved(
        uint256 gameId,
        uint256 submissionId,
        address submitter,
        address challenger,
        bool challengerWon
    ) external onlyGame {
        Submission storage s = _submissions[submissionId];
        s.openGames -= 1;
        if (challengerWon) {
            // The game contract lets only one game reject a submission (it closes the others).
            s.status = SubmissionStatus.Rejected;
            uint256 taskId = s.taskId;
            Task storage t = _tasks[taskId];
            t.status = TaskStatus.Open;
            t.submissionId = 0;
            (uint256 loss, uint256 perGame, uint256 toWinner) = rejectionSplit(s.openGames);
            s.compensation = perGame;
            // Locked until each other game is cancelled: its bond and its compensation.
            totalLocked -= challengerBond + submitterBond - perGame * s.openGames;
            _credit(lossReceiver, loss, CreditReason.Burned, gameId);
            _credit(challenger, challengerBond + toWinner, CreditReason.ChallengerWon, gameId);
            emit SubmissionRejected(taskId, submissionId, gameId);
        } else {
            totalLocked -= challengerBond;
            _credit(submitter, challengerBond, CreditReason.SubmitterWon, gameId);
        }
    }

    /// @notice How a rejected submitter's bond Bs is split (PROTOCOL §5.6) when `others` more games of the submission
    ///         are still open: `loss` = Bs·lossBps/10⁴ to the loss receiver whoever won; each other game is paid
    ///         `perGame` = min(Bc, (Bs − loss)/2 / others) beyond its bond when cancelled; the winner gets the rest.
    function rejectionSplit(uint256 others) public view returns (uint256 loss, uint256 perGame, uint256 toWinner) {
        loss = (submitterBond * lossBps) / 10_000;
        uint256 rest = submitterBond - loss;
        if (others != 0) {
            perGame = rest / 2 / others;
            if (perGame > challengerBond) perGame = challengerBond;
        }
        toWinner = rest - perGame * others;
    }

    function onGameCancelled(uint256 gameId, uint256 submissionId, address challenger) external onlyGame {
        Submission storage s = _submissions[submissionId];
        s.openGames -= 1;
        uint256 payout = challengerBond + s.compensation;
        totalLocked -= payout;
        _credit(challenger, payout, CreditReason.GameCancelled, gameId);
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
