// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The largest task input or result output, in bytes (PROTOCOL §5.1): request and submit hash it on chain
///         and log it whole, and at this size either transaction stays below EIP-7825's cap of 2^24 gas with every
///         byte non-zero, EIP-7623's calldata floor included (measured in test/dispute/PayloadGas.t.sol).
uint256 constant MAX_PAYLOAD_BYTES = 400 * 1024;

/// @notice The deployment parameters of OpmlTasks and its DisputeGame (PROTOCOL §5), immutable.
struct Parameters {
    uint256 challengeWindow; // Wc, s, >= 1
    uint256 submitterBond; // Bs, wei
    uint256 challengerBond; // Bc, wei
    uint256 k; // arity, 2..64
    uint64 clockBudget; // C per side, s, < 2^32
    uint64 extension; // E, s, 1..2^32-1: the time one transaction of a turn is given at least
    uint256 minFee; // wei
    uint256 taskExpiry; // s, >= 1: an Open task older than this gives its fee back to the requester
    uint256 lossBps; // 1..10000: the share of Bs a rejected submitter loses whoever wins (basis points)
    address lossReceiver; // != 0: where that share goes (e.g. a burn address)
}

/// @notice A registered model (PROTOCOL §5.1, GRAPH §3). Immutable once registered.
struct Model {
    bytes32 programRoot; // region-0 root of the guest image (PROTOCOL §3)
    bytes32 descriptorsRoot; // list root of the n descriptor roots, depth 16
    bytes32 weightsRoot; // list root of the W weight roots, depth 16
    uint32 entryPc;
    uint32 nodeCount; // n, 1..65536
    uint32 weightCount; // W, <= 65536
    uint32 outputNode; // < n
    uint32 inputSizeLimit; // 1..MAX_PAYLOAD_BYTES
    uint32 outputSizeLimit; // 1..MAX_PAYLOAD_BYTES: the largest output a submit may carry
    uint64 maxNodeSteps; // >= 1
    address registrant;
}

enum TaskStatus {
    None,
    Open, // waiting for a submission (fee held)
    Submitted, // a pending submission exists
    Finalized, // fee and bond paid to the submitter
    Expired // no result before the expiry: the fee went back to the requester
}

/// @notice A task (PROTOCOL §5.2).
struct Task {
    uint64 modelId;
    uint32 passes; // P
    TaskStatus status;
    uint64 slots; // N = P·n, 1..2^32
    uint64 outputSlot; // (P-1)·n + outputNode
    uint64 submissionId; // current submission (0 = none)
    address requester;
    uint32 outputSizeLimit; // the model's, copied so that submit reads no other contract
    uint256 fee;
    bytes32 inputRoot; // tensor root of the input bytes
    uint64 requestedAt; // the expiry runs from here
}

enum SubmissionStatus {
    None,
    Pending, // challengeable / waiting for finalize
    Rejected, // lost a game
    Finalized
}

/// @notice A submitted result (PROTOCOL §5.2).
struct Submission {
    uint64 taskId;
    uint64 submittedAt;
    uint32 openGames; // games of this submission not yet resolved or cancelled
    SubmissionStatus status;
    address submitter;
    bytes32 outputRoot; // tensor root of the output bytes
    bytes32 finalRoot; // S_N
    uint256 compensation; // set on rejection: what each game still open then is paid beyond its bond
}

/// @notice What a game is waiting for (PROTOCOL §5.4).
enum Stage {
    None,
    Slots, // phase 1: bisect (submitter) / choose (challenger) over slots
    Transition, // submitter: proveTransition
    Link, // submitter: link
    Final, // submitter: claimFinal
    Steps, // phase 2: bisect / choose over step indices
    Step, // anyone: step (on the challenger's clock)
    Resolved,
    Cancelled // the submission was rejected by another game; challenger refunded
}

enum Side {
    None,
    Submitter,
    Challenger
}

enum Resolution {
    None,
    Step, // decided by the on-chain step
    Timeout // the side to move ran out of time
}

/// @notice Why an account was credited (PROTOCOL §5.6).
enum CreditReason {
    None,
    ChallengerWon, // challenger: own bond + the rejected submitter's bond less the lost share and compensations
    SubmitterWon, // submitter: the challenger's bond
    GameCancelled, // challenger: own bond back + the compensation (submission rejected by another game)
    Finalized, // submitter: fee + own bond
    Burned, // the loss receiver: the fixed share of a rejected submitter's bond
    FeeReclaimed // requester: the fee of an expired task
}

/// @notice One dispute game (PROTOCOL §5.4). Storage layout: 7 slots.
struct Game {
    address submitter;
    uint64 taskId;
    uint32 moves; // move counter = the expectedTurn of the next move
    address challenger;
    uint64 submissionId;
    Stage stage;
    Side toMove;
    Side winner;
    uint64 lo; // interval [lo, hi] (phase 1: slots, phase 2: step indices)
    uint64 hi;
    uint64 slot; // j, the slot pinned by phase 1
    uint64 steps; // T, from claimFinal
    uint64 submitterClock; // remaining seconds, as of turnStart
    uint64 challengerClock;
    uint64 turnStart; // when the side to move's turn began
    uint64 modelId;
    bytes32 rootLo; // agreed root at lo
    bytes32 rootHi; // disputed root at hi
    bytes32 outRoot; // out_j (from proveTransition)
}
