using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;

namespace OpmlNode.Chain.Contracts;

// C# mirrors of contracts/src/lib/Types.sol (enums are uint8 on the wire). The struct classes are the tuple
// components of the views that return them (ModelRegistry.model, OpmlTasks.task/submission, DisputeGame.game);
// the field order is the Solidity declaration order and ContractBindingAbiTests checks it against forge's ABI.

/// <summary>Marks a function, event or deployment DTO as part of one contract's ABI, so ContractBindingAbiTests
/// can check every DTO against that contract's forge artifact. (Errors are file-level in Errors.sol and shared.)</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ContractAbiAttribute(string contract) : Attribute
{
    public string Contract { get; } = contract;
}

/// <summary>The contract names used in <see cref="ContractAbiAttribute"/> (= forge artifact names).</summary>
public static class ContractNames
{
    public const string RiscvStep = "RiscvStep";
    public const string ModelRegistry = "ModelRegistry";
    public const string OpmlTasks = "OpmlTasks";
    public const string DisputeGame = "DisputeGame";
}

public enum TaskStatus : byte { None, Open, Submitted, Finalized, Expired }

public enum SubmissionStatus : byte { None, Pending, Rejected, Finalized }

public enum Stage : byte { None, Slots, Transition, Link, Final, Steps, Step, Resolved, Cancelled }

public enum Side : byte { None, Submitter, Challenger }

public enum Resolution : byte { None, Step, Timeout }

public enum CreditReason : byte { None, ChallengerWon, SubmitterWon, GameCancelled, Finalized, Burned, FeeReclaimed }

/// <summary><c>struct Parameters</c>: the deployment's immutable rules (PROTOCOL §5).</summary>
public sealed class ParametersInfo
{
    [Parameter("uint256", "challengeWindow", 1)] public BigInteger ChallengeWindow { get; set; }
    [Parameter("uint256", "submitterBond", 2)] public BigInteger SubmitterBond { get; set; }
    [Parameter("uint256", "challengerBond", 3)] public BigInteger ChallengerBond { get; set; }
    [Parameter("uint256", "k", 4)] public BigInteger K { get; set; }
    [Parameter("uint64", "clockBudget", 5)] public ulong ClockBudget { get; set; }
    [Parameter("uint64", "extension", 6)] public ulong Extension { get; set; }
    [Parameter("uint256", "minFee", 7)] public BigInteger MinFee { get; set; }
    [Parameter("uint256", "taskExpiry", 8)] public BigInteger TaskExpiry { get; set; }
    [Parameter("uint256", "lossBps", 9)] public BigInteger LossBps { get; set; }
    [Parameter("address", "lossReceiver", 10)] public string LossReceiver { get; set; } = "";
}

/// <summary><c>struct Model</c> (PROTOCOL §5.1).</summary>
public sealed class ModelInfo
{
    [Parameter("bytes32", "programRoot", 1)] public byte[] ProgramRoot { get; set; } = [];
    [Parameter("bytes32", "descriptorsRoot", 2)] public byte[] DescriptorsRoot { get; set; } = [];
    [Parameter("bytes32", "weightsRoot", 3)] public byte[] WeightsRoot { get; set; } = [];
    [Parameter("uint32", "entryPc", 4)] public uint EntryPc { get; set; }
    [Parameter("uint32", "nodeCount", 5)] public uint NodeCount { get; set; }
    [Parameter("uint32", "weightCount", 6)] public uint WeightCount { get; set; }
    [Parameter("uint32", "outputNode", 7)] public uint OutputNode { get; set; }
    [Parameter("uint32", "inputSizeLimit", 8)] public uint InputSizeLimit { get; set; }
    [Parameter("uint32", "outputSizeLimit", 9)] public uint OutputSizeLimit { get; set; }
    [Parameter("uint64", "maxNodeSteps", 10)] public ulong MaxNodeSteps { get; set; }
    [Parameter("address", "registrant", 11)] public string Registrant { get; set; } = "";
}

/// <summary><c>struct Task</c> (PROTOCOL §5.2).</summary>
public sealed class TaskInfo
{
    [Parameter("uint64", "modelId", 1)] public ulong ModelId { get; set; }
    [Parameter("uint32", "passes", 2)] public uint Passes { get; set; }
    [Parameter("uint8", "status", 3)] public TaskStatus Status { get; set; }
    [Parameter("uint64", "slots", 4)] public ulong Slots { get; set; }
    [Parameter("uint64", "outputSlot", 5)] public ulong OutputSlot { get; set; }
    [Parameter("uint64", "submissionId", 6)] public ulong SubmissionId { get; set; }
    [Parameter("address", "requester", 7)] public string Requester { get; set; } = "";
    [Parameter("uint32", "outputSizeLimit", 8)] public uint OutputSizeLimit { get; set; }
    [Parameter("uint256", "fee", 9)] public BigInteger Fee { get; set; }
    [Parameter("bytes32", "inputRoot", 10)] public byte[] InputRoot { get; set; } = [];
    [Parameter("uint64", "requestedAt", 11)] public ulong RequestedAt { get; set; }
}

/// <summary><c>struct Submission</c> (PROTOCOL §5.2).</summary>
public sealed class SubmissionInfo
{
    [Parameter("uint64", "taskId", 1)] public ulong TaskId { get; set; }
    [Parameter("uint64", "submittedAt", 2)] public ulong SubmittedAt { get; set; }
    [Parameter("uint32", "openGames", 3)] public uint OpenGames { get; set; }
    [Parameter("uint8", "status", 4)] public SubmissionStatus Status { get; set; }
    [Parameter("address", "submitter", 5)] public string Submitter { get; set; } = "";
    [Parameter("bytes32", "outputRoot", 6)] public byte[] OutputRoot { get; set; } = [];
    [Parameter("bytes32", "finalRoot", 7)] public byte[] FinalRoot { get; set; } = [];
    [Parameter("uint256", "compensation", 8)] public BigInteger Compensation { get; set; }
}

/// <summary><c>struct Game</c> (PROTOCOL §5.4).</summary>
public sealed class GameInfo
{
    [Parameter("address", "submitter", 1)] public string Submitter { get; set; } = "";
    [Parameter("uint64", "taskId", 2)] public ulong TaskId { get; set; }
    [Parameter("uint32", "moves", 3)] public uint Moves { get; set; }
    [Parameter("address", "challenger", 4)] public string Challenger { get; set; } = "";
    [Parameter("uint64", "submissionId", 5)] public ulong SubmissionId { get; set; }
    [Parameter("uint8", "stage", 6)] public Stage Stage { get; set; }
    [Parameter("uint8", "toMove", 7)] public Side ToMove { get; set; }
    [Parameter("uint8", "winner", 8)] public Side Winner { get; set; }
    [Parameter("uint64", "lo", 9)] public ulong Lo { get; set; }
    [Parameter("uint64", "hi", 10)] public ulong Hi { get; set; }
    [Parameter("uint64", "slot", 11)] public ulong Slot { get; set; }
    [Parameter("uint64", "steps", 12)] public ulong Steps { get; set; }
    [Parameter("uint64", "submitterClock", 13)] public ulong SubmitterClock { get; set; }
    [Parameter("uint64", "challengerClock", 14)] public ulong ChallengerClock { get; set; }
    [Parameter("uint64", "turnStart", 15)] public ulong TurnStart { get; set; }
    [Parameter("uint64", "modelId", 16)] public ulong ModelId { get; set; }
    [Parameter("bytes32", "rootLo", 17)] public byte[] RootLo { get; set; } = [];
    [Parameter("bytes32", "rootHi", 18)] public byte[] RootHi { get; set; } = [];
    [Parameter("bytes32", "outRoot", 19)] public byte[] OutRoot { get; set; } = [];
}
