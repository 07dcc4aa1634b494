using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;

namespace OpmlNode.Chain.Contracts;

// The custom errors of the dispute contracts, one DTO per error of contracts/src/lib/Errors.sol (file-level, shared by
// ModelRegistry, OpmlTasks and DisputeGame). RiscvStep's four errors (which bubble up through DisputeGame.step) are in
// RiscvStepContract.cs. ContractBindingAbiTests checks this list against Errors.sol and forge's ABIs.

/// <summary><c>BadParameter(uint256 which)</c> — constructor: 0 k, 1 extension, 2 challengeWindow, 3 clock budget</summary>
[Error("BadParameter")]
public sealed class BadParameterError : IErrorDTO
{
    [Parameter("uint256", "which", 1)] public BigInteger Which { get; set; }
}

/// <summary><c>OnlyTasks()</c></summary>
[Error("OnlyTasks")]
public sealed class OnlyTasksError : IErrorDTO;

/// <summary><c>OnlyGame()</c></summary>
[Error("OnlyGame")]
public sealed class OnlyGameError : IErrorDTO;

/// <summary><c>Reentrancy()</c></summary>
[Error("Reentrancy")]
public sealed class ReentrancyError : IErrorDTO;

/// <summary><c>UnknownModel(uint256 modelId)</c></summary>
[Error("UnknownModel")]
public sealed class UnknownModelError : IErrorDTO
{
    [Parameter("uint256", "modelId", 1)] public BigInteger ModelId { get; set; }
}

/// <summary><c>BadNodeCount(uint256 nodeCount)</c></summary>
[Error("BadNodeCount")]
public sealed class BadNodeCountError : IErrorDTO
{
    [Parameter("uint256", "nodeCount", 1)] public BigInteger NodeCount { get; set; }
}

/// <summary><c>BadWeightCount(uint256 weightCount)</c></summary>
[Error("BadWeightCount")]
public sealed class BadWeightCountError : IErrorDTO
{
    [Parameter("uint256", "weightCount", 1)] public BigInteger WeightCount { get; set; }
}

/// <summary><c>BadOutputNode(uint256 outputNode, uint256 nodeCount)</c></summary>
[Error("BadOutputNode")]
public sealed class BadOutputNodeError : IErrorDTO
{
    [Parameter("uint256", "outputNode", 1)] public BigInteger OutputNode { get; set; }
    [Parameter("uint256", "nodeCount", 2)] public BigInteger NodeCount { get; set; }
}

/// <summary><c>BadInputSizeLimit(uint256 inputSizeLimit)</c></summary>
[Error("BadInputSizeLimit")]
public sealed class BadInputSizeLimitError : IErrorDTO
{
    [Parameter("uint256", "inputSizeLimit", 1)] public BigInteger InputSizeLimit { get; set; }
}

/// <summary><c>BadMaxNodeSteps(uint256 maxNodeSteps)</c></summary>
[Error("BadMaxNodeSteps")]
public sealed class BadMaxNodeStepsError : IErrorDTO
{
    [Parameter("uint256", "maxNodeSteps", 1)] public BigInteger MaxNodeSteps { get; set; }
}

/// <summary><c>BadEntryPc(uint256 entryPc)</c></summary>
[Error("BadEntryPc")]
public sealed class BadEntryPcError : IErrorDTO
{
    [Parameter("uint256", "entryPc", 1)] public BigInteger EntryPc { get; set; }
}

/// <summary><c>TensorTooLarge(uint256 length)</c></summary>
[Error("TensorTooLarge")]
public sealed class TensorTooLargeError : IErrorDTO
{
    [Parameter("uint256", "length", 1)] public BigInteger Length { get; set; }
}

/// <summary><c>BadSiblingCount(uint256 expected, uint256 got)</c></summary>
[Error("BadSiblingCount")]
public sealed class BadSiblingCountError : IErrorDTO
{
    [Parameter("uint256", "expected", 1)] public BigInteger Expected { get; set; }
    [Parameter("uint256", "got", 2)] public BigInteger Got { get; set; }
}

/// <summary><c>UnknownTask(uint256 taskId)</c></summary>
[Error("UnknownTask")]
public sealed class UnknownTaskError : IErrorDTO
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

/// <summary><c>FeeTooLow(uint256 fee, uint256 minimum)</c></summary>
[Error("FeeTooLow")]
public sealed class FeeTooLowError : IErrorDTO
{
    [Parameter("uint256", "fee", 1)] public BigInteger Fee { get; set; }
    [Parameter("uint256", "minimum", 2)] public BigInteger Minimum { get; set; }
}

/// <summary><c>BadOutputSizeLimit(uint256 outputSizeLimit)</c></summary>
[Error("BadOutputSizeLimit")]
public sealed class BadOutputSizeLimitError : IErrorDTO
{
    [Parameter("uint256", "outputSizeLimit", 1)] public BigInteger OutputSizeLimit { get; set; }
}

/// <summary><c>OutputTooLarge(uint256 length, uint256 limit)</c></summary>
[Error("OutputTooLarge")]
public sealed class OutputTooLargeError : IErrorDTO
{
    [Parameter("uint256", "length", 1)] public BigInteger Length { get; set; }
    [Parameter("uint256", "limit", 2)] public BigInteger Limit { get; set; }
}

/// <summary><c>TaskExpired(uint256 expiry)</c>: the task is past its expiry; it takes no submission.</summary>
[Error("TaskExpired")]
public sealed class TaskExpiredError : IErrorDTO
{
    [Parameter("uint256", "expiry", 1)] public BigInteger Expiry { get; set; }
}

/// <summary><c>TaskNotExpired(uint256 expiry)</c>: reclaim before the expiry.</summary>
[Error("TaskNotExpired")]
public sealed class TaskNotExpiredError : IErrorDTO
{
    [Parameter("uint256", "expiry", 1)] public BigInteger Expiry { get; set; }
}

/// <summary><c>NotRequester(address caller)</c>: only the task's requester may reclaim its fee.</summary>
[Error("NotRequester")]
public sealed class NotRequesterError : IErrorDTO
{
    [Parameter("address", "caller", 1)] public string Caller { get; set; } = "";
}

/// <summary><c>PostedRootsMismatch()</c>: the roots a choose handed back are not the last bisect's.</summary>
[Error("PostedRootsMismatch")]
public sealed class PostedRootsMismatchError : IErrorDTO;

/// <summary><c>InputTooLarge(uint256 length, uint256 limit)</c></summary>
[Error("InputTooLarge")]
public sealed class InputTooLargeError : IErrorDTO
{
    [Parameter("uint256", "length", 1)] public BigInteger Length { get; set; }
    [Parameter("uint256", "limit", 2)] public BigInteger Limit { get; set; }
}

/// <summary><c>BadPasses(uint256 passes, uint256 slots)</c></summary>
[Error("BadPasses")]
public sealed class BadPassesError : IErrorDTO
{
    [Parameter("uint256", "passes", 1)] public BigInteger Passes { get; set; }
    [Parameter("uint256", "slots", 2)] public BigInteger Slots { get; set; }
}

/// <summary><c>TaskNotOpen(uint256 taskId)</c></summary>
[Error("TaskNotOpen")]
public sealed class TaskNotOpenError : IErrorDTO
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

/// <summary><c>TaskNotSubmitted(uint256 taskId)</c></summary>
[Error("TaskNotSubmitted")]
public sealed class TaskNotSubmittedError : IErrorDTO
{
    [Parameter("uint256", "taskId", 1)] public BigInteger TaskId { get; set; }
}

/// <summary><c>WrongBond(uint256 expected, uint256 got)</c></summary>
[Error("WrongBond")]
public sealed class WrongBondError : IErrorDTO
{
    [Parameter("uint256", "expected", 1)] public BigInteger Expected { get; set; }
    [Parameter("uint256", "got", 2)] public BigInteger Got { get; set; }
}

/// <summary><c>BadOutputSlotProof()</c></summary>
[Error("BadOutputSlotProof")]
public sealed class BadOutputSlotProofError : IErrorDTO;

/// <summary><c>ChallengeWindowClosed(uint256 deadline)</c></summary>
[Error("ChallengeWindowClosed")]
public sealed class ChallengeWindowClosedError : IErrorDTO
{
    [Parameter("uint256", "deadline", 1)] public BigInteger Deadline { get; set; }
}

/// <summary><c>ChallengeWindowOpen(uint256 deadline)</c></summary>
[Error("ChallengeWindowOpen")]
public sealed class ChallengeWindowOpenError : IErrorDTO
{
    [Parameter("uint256", "deadline", 1)] public BigInteger Deadline { get; set; }
}

/// <summary><c>SelfChallenge()</c></summary>
[Error("SelfChallenge")]
public sealed class SelfChallengeError : IErrorDTO;

/// <summary><c>GamesOpen(uint256 openGames)</c></summary>
[Error("GamesOpen")]
public sealed class GamesOpenError : IErrorDTO
{
    [Parameter("uint256", "openGames", 1)] public BigInteger OpenGames { get; set; }
}

/// <summary><c>NothingToWithdraw()</c></summary>
[Error("NothingToWithdraw")]
public sealed class NothingToWithdrawError : IErrorDTO;

/// <summary><c>TransferFailed()</c></summary>
[Error("TransferFailed")]
public sealed class TransferFailedError : IErrorDTO;

/// <summary><c>UnknownGame(uint256 gameId)</c></summary>
[Error("UnknownGame")]
public sealed class UnknownGameError : IErrorDTO
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

/// <summary><c>GameOver(uint256 gameId)</c></summary>
[Error("GameOver")]
public sealed class GameOverError : IErrorDTO
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

/// <summary><c>SubmissionNotPending(uint256 submissionId)</c></summary>
[Error("SubmissionNotPending")]
public sealed class SubmissionNotPendingError : IErrorDTO
{
    [Parameter("uint256", "submissionId", 1)] public BigInteger SubmissionId { get; set; }
}

/// <summary><c>NotCancellable(uint256 gameId)</c></summary>
[Error("NotCancellable")]
public sealed class NotCancellableError : IErrorDTO
{
    [Parameter("uint256", "gameId", 1)] public BigInteger GameId { get; set; }
}

/// <summary><c>WrongTurn(uint256 expected, uint256 actual)</c></summary>
[Error("WrongTurn")]
public sealed class WrongTurnError : IErrorDTO
{
    [Parameter("uint256", "expected", 1)] public BigInteger Expected { get; set; }
    [Parameter("uint256", "actual", 2)] public BigInteger Actual { get; set; }
}

/// <summary><c>WrongStage(Stage stage)</c></summary>
[Error("WrongStage")]
public sealed class WrongStageError : IErrorDTO
{
    [Parameter("uint8", "stage", 1)] public Stage Stage { get; set; }
}

/// <summary><c>NotParticipant(address caller)</c></summary>
[Error("NotParticipant")]
public sealed class NotParticipantError : IErrorDTO
{
    [Parameter("address", "caller", 1)] public string Caller { get; set; } = "";
}

/// <summary><c>NotYourTurn(address caller)</c></summary>
[Error("NotYourTurn")]
public sealed class NotYourTurnError : IErrorDTO
{
    [Parameter("address", "caller", 1)] public string Caller { get; set; } = "";
}

/// <summary><c>ClockExpired(uint256 deadline)</c></summary>
[Error("ClockExpired")]
public sealed class ClockExpiredError : IErrorDTO
{
    [Parameter("uint256", "deadline", 1)] public BigInteger Deadline { get; set; }
}

/// <summary><c>ClockNotExpired(uint256 deadline)</c></summary>
[Error("ClockNotExpired")]
public sealed class ClockNotExpiredError : IErrorDTO
{
    [Parameter("uint256", "deadline", 1)] public BigInteger Deadline { get; set; }
}

/// <summary><c>BadRootCount(uint256 expected, uint256 got)</c></summary>
[Error("BadRootCount")]
public sealed class BadRootCountError : IErrorDTO
{
    [Parameter("uint256", "expected", 1)] public BigInteger Expected { get; set; }
    [Parameter("uint256", "got", 2)] public BigInteger Got { get; set; }
}

/// <summary><c>BadChoice(uint256 choice, uint256 count)</c></summary>
[Error("BadChoice")]
public sealed class BadChoiceError : IErrorDTO
{
    [Parameter("uint256", "choice", 1)] public BigInteger Choice { get; set; }
    [Parameter("uint256", "count", 2)] public BigInteger Count { get; set; }
}

/// <summary><c>BadTransitionProof()</c></summary>
[Error("BadTransitionProof")]
public sealed class BadTransitionProofError : IErrorDTO;

/// <summary><c>BadDescriptor()</c></summary>
[Error("BadDescriptor")]
public sealed class BadDescriptorError : IErrorDTO;

/// <summary><c>BadDescriptorProof()</c></summary>
[Error("BadDescriptorProof")]
public sealed class BadDescriptorProofError : IErrorDTO;

/// <summary><c>BadInputCount(uint256 expected, uint256 got)</c></summary>
[Error("BadInputCount")]
public sealed class BadInputCountError : IErrorDTO
{
    [Parameter("uint256", "expected", 1)] public BigInteger Expected { get; set; }
    [Parameter("uint256", "got", 2)] public BigInteger Got { get; set; }
}

/// <summary><c>BadInputProof(uint256 input)</c></summary>
[Error("BadInputProof")]
public sealed class BadInputProofError : IErrorDTO
{
    [Parameter("uint256", "input", 1)] public BigInteger Input { get; set; }
}

/// <summary><c>BadFinalStateLength(uint256 length)</c></summary>
[Error("BadFinalStateLength")]
public sealed class BadFinalStateLengthError : IErrorDTO
{
    [Parameter("uint256", "length", 1)] public BigInteger Length { get; set; }
}

/// <summary><c>BadFinalState(uint256 exited, uint256 exitCode)</c></summary>
[Error("BadFinalState")]
public sealed class BadFinalStateError : IErrorDTO
{
    [Parameter("uint256", "exited", 1)] public BigInteger Exited { get; set; }
    [Parameter("uint256", "exitCode", 2)] public BigInteger ExitCode { get; set; }
}

/// <summary><c>BadStepCount(uint256 steps, uint256 maxNodeSteps)</c></summary>
[Error("BadStepCount")]
public sealed class BadStepCountError : IErrorDTO
{
    [Parameter("uint256", "steps", 1)] public BigInteger Steps { get; set; }
    [Parameter("uint256", "maxNodeSteps", 2)] public BigInteger MaxNodeSteps { get; set; }
}

/// <summary><c>BadOutputProof()</c></summary>
[Error("BadOutputProof")]
public sealed class BadOutputProofError : IErrorDTO;

/// <summary><c>PreStateMismatch(bytes32 got, bytes32 expected)</c></summary>
[Error("PreStateMismatch")]
public sealed class PreStateMismatchError : IErrorDTO
{
    [Parameter("bytes32", "got", 1)] public byte[] Got { get; set; } = [];
    [Parameter("bytes32", "expected", 2)] public byte[] Expected { get; set; } = [];
}
