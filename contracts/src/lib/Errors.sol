// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Stage} from "./Types.sol";

// Custom errors of the dispute contracts (PROTOCOL §5). Every revert is one of these (or, for `step`,
// one of RiscvStep's: BadStateLength(), BadExitedFlag(), BadProofsLength(uint256,uint256), BadMemoryProof()).

// ---- parameters / access
error BadParameter(uint256 which); // constructor: 0 k, 1 extension, 2 challengeWindow, 3 clock budget,
// 4 loss share, 5 loss receiver, 6 task expiry
error OnlyTasks();
error OnlyGame();
error Reentrancy();

// ---- registry
error UnknownModel(uint256 modelId);
error BadNodeCount(uint256 nodeCount);
error BadWeightCount(uint256 weightCount);
error BadOutputNode(uint256 outputNode, uint256 nodeCount);
error BadInputSizeLimit(uint256 inputSizeLimit);
error BadOutputSizeLimit(uint256 outputSizeLimit);
error BadMaxNodeSteps(uint256 maxNodeSteps);
error BadEntryPc(uint256 entryPc);

// ---- tensors and proofs
error TensorTooLarge(uint256 length);
error BadSiblingCount(uint256 expected, uint256 got);

// ---- tasks, submissions, money
error UnknownTask(uint256 taskId);
error FeeTooLow(uint256 fee, uint256 minimum);
error InputTooLarge(uint256 length, uint256 limit);
error OutputTooLarge(uint256 length, uint256 limit);
error TaskExpired(uint256 expiry);
error TaskNotExpired(uint256 expiry);
error NotRequester(address caller);
error BadPasses(uint256 passes, uint256 slots);
error TaskNotOpen(uint256 taskId);
error TaskNotSubmitted(uint256 taskId);
error WrongBond(uint256 expected, uint256 got);
error BadOutputSlotProof();
error ChallengeWindowClosed(uint256 deadline);
error ChallengeWindowOpen(uint256 deadline);
error SelfChallenge();
error GamesOpen(uint256 openGames);
error NothingToWithdraw();
error TransferFailed();

// ---- games
error UnknownGame(uint256 gameId);
error GameOver(uint256 gameId);
error SubmissionNotPending(uint256 submissionId);
error NotCancellable(uint256 gameId);
error WrongTurn(uint256 expected, uint256 actual);
error WrongStage(Stage stage);
error NotParticipant(address caller);
error NotYourTurn(address caller);
error ClockExpired(uint256 deadline);
error ClockNotExpired(uint256 deadline);
error BadRootCount(uint256 expected, uint256 got);
error PostedRootsMismatch();
error BadChoice(uint256 choice, uint256 count);
error BadTransitionProof();
error BadDescriptor();
error BadDescriptorProof();
error BadInputCount(uint256 expected, uint256 got);
error BadInputProof(uint256 input);
error BadFinalStateLength(uint256 length);
error BadFinalState(uint256 exited, uint256 exitCode);
error BadStepCount(uint256 steps, uint256 maxNodeSteps);
error BadOutputProof();
error PreStateMismatch(bytes32 got, bytes32 expected);
