// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IOpmlTasks} from "./interfaces/IOpmlTasks.sol";
import {RiscvStep} from "../step/RiscvStep.sol";
import {Model, Game, Stage, Side, Resolution} from "../lib/Types.sol";
import {TensorRoot} from "../lib/TensorRoot.sol";
import {MerkleProof} from "../lib/MerkleProof.sol";
import {Clock} from "../lib/Clock.sol";
import "../lib/Errors.sol";

interface ITaskInputs {
    function inputRootOf(uint256 taskId) external view returns (bytes32);
}

/// @title DisputeGame — two-phase k-ary bisection game ending in one on-chain RV32IM step (PROTOCOL §5).
/// @notice Created by OpmlTasks, which holds the money; every outcome is reported back to it.
///         Phase 1 bisects graph state roots S_0..S_N down to one slot j; the submitter then proves the
///         transition (out_j), links the slot's VM start state on chain (h_0) and claims the final VM
///         state (h_T, bound to out_j). Phase 2 bisects state hashes h_0..h_T down to one step, which
///         anyone executes with RiscvStep.
contract DisputeGame is IDisputeGame {
    uint256 internal constant SLOT_DEPTH = 32;
    uint256 internal constant LIST_DEPTH = 16;
    uint256 internal constant STATE_LENGTH = 170;
    uint256 internal constant DESCRIPTOR_LENGTH = 352;
    uint256 internal constant MAX_INPUTS = 8;
    uint256 internal constant OUTPUT_REGION = 10;
    uint8 internal constant KIND_WEIGHT = 1;
    uint8 internal constant KIND_TASK_INPUT = 2;
    uint8 internal constant KIND_NODE = 3;
    /// @dev The most transactions a turn may need (PROTOCOL §5.4); its clock floor is that many E.
    uint64 internal constant PIN_TXS = 4; // submitter after the phase-1 pin: proveTransition, link, claimFinal, bisect
    uint64 internal constant STEP_TXS = 2; // challenger when its choose may pin a step: choose, step

    address public immutable tasks;
    IModelRegistry public immutable registry;
    RiscvStep public immutable riscv;
    /// @notice Bisection arity.
    uint256 public immutable k;
    /// @notice Clock budget C per side and extension E, seconds.
    uint64 public immutable clockBudget;
    uint64 public immutable extension;

    uint256 public gameCount;
    mapping(uint256 => Game) internal _games;
    /// @notice keccak256 of the roots posted by each game's last bisect (abi.encodePacked); the roots themselves are
    ///         in its Bisected event, and the challenger's choose hands them back as calldata (one slot, not m − 1).
    mapping(uint256 => bytes32) public postedHash;
    /// @notice Set when a game of the submission was won by its challenger; closes the other games.
    mapping(uint256 => bool) public submissionRejected;

    constructor(address tasks_, address registry_, address riscv_, uint256 k_, uint64 clockBudget_, uint64 extension_) {
        if (k_ < 2 || k_ > 64) revert BadParameter(0);
        if (extension_ == 0 || extension_ > type(uint32).max) revert BadParameter(1);
        if (clockBudget_ > type(uint32).max) revert BadParameter(3);
        tasks = tasks_;
        registry = IModelRegistry(registry_);
        riscv = RiscvStep(riscv_);
        k = k_;
        clockBudget = clockBudget_;
        extension = extension_;
    }

    // ================================================================= opening (tasks contract)

    function open(
        uint256 taskId,
        uint256 submissionId,
        uint256 modelId,
        uint64 slots,
        bytes32 finalRoot,
        address submitter,
        address challenger
    ) external returns (uint256 gameId) {
        if (msg.sender != tasks) revert OnlyTasks();
        gameId = ++gameCount;
        Game storage g = _games[gameId];
        g.submitter = submitter;
        g.taskId = uint64(taskId);
        g.challenger = challenger;
        g.submissionId = uint64(submissionId);
        g.modelId = uint64(modelId);
        g.hi = slots;
        g.rootLo = TensorRoot.Z32; // S_0
        g.rootHi = finalRoot; // S_N
        g.challengerClock = clockBudget;
        g.turnStart = uint64(block.timestamp);
        g.toMove = Side.Submitter;
        bool pinned = slots == 1;
        g.stage = pinned ? Stage.Transition : Stage.Slots; // slot = 0 already
        g.submitterClock = Clock.topUp(clockBudget, (pinned ? PIN_TXS : 1) * extension);
        emit GameStarted(gameId, taskId, submissionId, submitter, challenger, slots, finalRoot);
        _progress(gameId, g);
    }

    // ================================================================= interval game (both phases)

    /// @notice Submitter: the m − 1 roots at p_1..p_{m−1} of the current interval (PROTOCOL §5.3).
    function bisect(uint256 gameId, uint256 expectedTurn, bytes32[] calldata roots) external {
        Game storage g = _load(gameId, expectedTurn);
        Stage st = g.stage;
        if (st != Stage.Slots && st != Stage.Steps) revert WrongStage(st);
        _auth(g, Side.Submitter);
        uint256 lo = g.lo;
        uint256 len = g.hi - lo; // > 1 in these stages
        uint256 m = len < k ? len : k;
        if (roots.length != m - 1) revert BadRootCount(m - 1, roots.length);
        postedHash[gameId] = keccak256(abi.encodePacked(roots));
        uint32 turn = g.moves;
        g.moves = turn + 1;
        // In phase 2, when some sub-interval has length 1 (⌊L/m⌋ = 1, i.e. L < 2m), the challenger's choose may
        // pin a step, and the step is due on the same turn: two transactions, whatever L and k are.
        _pass(g, Side.Challenger, st == Stage.Steps && len < 2 * m ? STEP_TXS : 1);
        emit Bisected(gameId, turn, st == Stage.Slots ? 1 : 2, uint64(lo), g.hi, roots);
        _progress(gameId, g);
    }

    /// @notice Challenger: picks sub-interval c (< m): it agrees with the root at p_c and disputes p_{c+1}.
    ///         `posted` are the roots of the last bisect (its Bisected event), checked against postedHash.
    function choose(uint256 gameId, uint256 expectedTurn, uint256 c, bytes32[] calldata posted) external {
        Game storage g = _load(gameId, expectedTurn);
        Stage st = g.stage;
        if (st != Stage.Slots && st != Stage.Steps) revert WrongStage(st);
        _auth(g, Side.Challenger);
        if (keccak256(abi.encodePacked(posted)) != postedHash[gameId]) revert PostedRootsMismatch();
        _narrow(g, c, posted);
        uint32 turn = g.moves;
        g.moves = turn + 1;
        uint64 newLo = g.lo;
        if (g.hi - newLo > 1) {
            _pass(g, Side.Submitter, 1);
        } else if (st == Stage.Slots) {
            // Phase 1 pinned slot j = newLo: the submitter's pinned-slot turn (transition, link, claimFinal, bisect).
            g.stage = Stage.Transition;
            g.slot = newLo;
            _pass(g, Side.Submitter, PIN_TXS);
        } else {
            // Phase 2 pinned step [s, s+1]: the step is due, still on the challenger's clock.
            g.stage = Stage.Step;
        }
        emit Chosen(gameId, turn, st == Stage.Slots ? 1 : 2, c, newLo, g.hi, g.rootLo, g.rootHi);
        _progress(gameId, g);
    }

    /// @dev The split rule (PROTOCOL §5.3): m = min(k, L), p_i = lo + i·L/m; the new interval is
    ///      [p_c, p_{c+1}] with roots (posted or the old ends).
    function _narrow(Game storage g, uint256 c, bytes32[] calldata posted) internal {
        uint256 lo = g.lo;
        uint256 len = g.hi - lo;
        uint256 m = len < k ? len : k;
        if (c >= m) revert BadChoice(c, m);
        if (c != 0) g.rootLo = posted[c - 1];
        if (c + 1 != m) g.rootHi = posted[c];
        g.lo = uint64(lo + (c * len) / m);
        g.hi = uint64(lo + ((c + 1) * len) / m);
    }

    // ================================================================= slot j: transition, link, final state

    /// @notice Submitter: the 32 siblings of leaf j, which give S_j with leaf Z[0] and S_{j+1} with outRoot.
    function proveTransition(uint256 gameId, uint256 expectedTurn, bytes32 outRoot, bytes32[] calldata siblings)
        external
    {
        Game storage g = _load(gameId, expectedTurn);
        _stage(g, Stage.Transition);
        _auth(g, Side.Submitter);
        if (siblings.length != SLOT_DEPTH) revert BadSiblingCount(SLOT_DEPTH, siblings.length);
        (bytes32 before, bytes32 afterRoot) =
            MerkleProof.rootsFromSiblings(_off(siblings), g.slot, bytes32(0), outRoot, SLOT_DEPTH);
        if (before != g.rootLo || afterRoot != g.rootHi) revert BadTransitionProof();
        g.outRoot = outRoot;
        g.stage = Stage.Link;
        uint32 turn = g.moves;
        g.moves = turn + 1;
        emit TransitionProved(gameId, turn, g.slot, outRoot);
        _progress(gameId, g);
    }

    /// @notice Submitter: composes the VM start state of slot j on chain (GRAPH §4) and records h_0.
    function link(
        uint256 gameId,
        uint256 expectedTurn,
        bytes calldata descriptor,
        bytes32[] calldata descriptorProof,
        bytes32[] calldata inputRoots,
        bytes32[][] calldata inputProofs
    ) external {
        Game storage g = _load(gameId, expectedTurn);
        _stage(g, Stage.Link);
        _auth(g, Side.Submitter);
        LinkCtx memory c = _linkCtx(g);
        bytes32[16] memory regions;
        regions[0] = c.programRoot;
        regions[1] = _descriptorRoot(descriptor, descriptorProof, c.descriptorsRoot, c.nodeIdx);
        _inputs(c, regions, descriptor, inputRoots, inputProofs);
        c.memRoot = _memoryRoot(regions);
        c.startHash = _startHash(c.memRoot, c.entryPc);
        _finishLink(gameId, g, c, inputRoots);
    }

    function _finishLink(uint256 gameId, Game storage g, LinkCtx memory c, bytes32[] calldata inputRoots) internal {
        g.stage = Stage.Final;
        g.lo = 0;
        g.hi = 0;
        g.rootLo = c.startHash;
        g.rootHi = bytes32(0);
        uint32 turn = g.moves;
        g.moves = turn + 1;
        emit Linked(
            gameId,
            turn,
            uint64(c.slot),
            uint32(c.nodeIdx),
            uint64(c.pass),
            c.descriptorRoot,
            inputRoots,
            c.memRoot,
            c.startHash
        );
        _progress(gameId, g);
    }

    /// @dev What link needs about the slot, its model and its task.
    struct LinkCtx {
        uint256 slot;
        uint256 pass;
        uint256 nodeIdx;
        uint256 nodeCount;
        uint256 weightCount;
        bytes32 weightsRoot;
        bytes32 programRoot;
        bytes32 descriptorsRoot;
        bytes32 descriptorRoot;
        bytes32 slotRoot; // the agreed S_j
        uint256 taskId;
        uint32 entryPc;
        bytes32 memRoot;
        bytes32 startHash;
    }

    function _linkCtx(Game storage g) internal view returns (LinkCtx memory c) {
        Model memory m = registry.model(g.modelId);
        c.slot = g.slot;
        c.pass = c.slot / m.nodeCount;
        c.nodeIdx = c.slot % m.nodeCount;
        c.nodeCount = m.nodeCount;
        c.weightCount = m.weightCount;
        c.weightsRoot = m.weightsRoot;
        c.programRoot = m.programRoot;
        c.descriptorsRoot = m.descriptorsRoot;
        c.slotRoot = g.rootLo;
        c.taskId = g.taskId;
        c.entryPc = m.entryPc;
    }

    /// @dev Regions 2.. : the proved input roots, then Z[23] for absent inputs, the output and 11..15.
    function _inputs(
        LinkCtx memory c,
        bytes32[16] memory regions,
        bytes calldata descriptor,
        bytes32[] calldata inputRoots,
        bytes32[][] calldata inputProofs
    ) internal view {
        c.descriptorRoot = regions[1];
        uint256 nInputs = uint8(descriptor[8]);
        if (nInputs > MAX_INPUTS) revert BadDescriptor();
        if (inputRoots.length != nInputs) revert BadInputCount(nInputs, inputRoots.length);
        if (inputProofs.length != nInputs) revert BadInputCount(nInputs, inputProofs.length);
        for (uint256 i = 0; i < nInputs; ++i) {
            _checkInput(c, descriptor, i, inputRoots[i], inputProofs[i]);
            regions[2 + i] = inputRoots[i];
        }
        for (uint256 r = 2 + nInputs; r < 16; ++r) {
            regions[r] = TensorRoot.Z23;
        }
    }

    /// @notice Submitter: the final VM state (exited 0 after T steps) whose output region holds out_j.
    function claimFinal(uint256 gameId, uint256 expectedTurn, bytes calldata finalState, bytes32[] calldata outputProof)
        external
    {
        Game storage g = _load(gameId, expectedTurn);
        _stage(g, Stage.Final);
        _auth(g, Side.Submitter);
        if (finalState.length != STATE_LENGTH) revert BadFinalStateLength(finalState.length);
        uint256 exited = uint8(finalState[168]);
        uint256 exitCode = uint8(finalState[169]);
        if (exited != 1 || exitCode != 0) revert BadFinalState(exited, exitCode);
        uint64 steps = uint64(bytes8(finalState[160:168]));
        uint64 maxSteps = registry.model(g.modelId).maxNodeSteps;
        if (steps == 0 || steps > maxSteps) revert BadStepCount(steps, maxSteps);
        bytes32 memRoot = bytes32(finalState[0:32]);
        if (outputProof.length != 4) revert BadSiblingCount(4, outputProof.length);
        if (MerkleProof.rootFromSiblings(_off(outputProof), OUTPUT_REGION, g.outRoot, 4) != memRoot) {
            revert BadOutputProof();
        }
        // Status byte 0: exited with code 0 (PROTOCOL §4.2).
        bytes32 hT = keccak256(finalState) & bytes32(type(uint256).max >> 8);

        g.steps = steps;
        g.hi = steps;
        g.rootHi = hT;
        uint32 turn = g.moves;
        g.moves = turn + 1;
        if (steps == 1) {
            g.stage = Stage.Step;
            _pass(g, Side.Challenger, 1); // the step alone
        } else {
            g.stage = Stage.Steps; // the submitter's first phase-2 bisect is still in this turn
        }
        emit FinalClaimed(gameId, turn, steps, memRoot, hT);
        _progress(gameId, g);
    }

    // ================================================================= the end

    /// @notice Anyone: executes step s (the pinned [s, s+1]) from `state` (hash h_s) with RiscvStep.
    ///         Post-state hash = h_{s+1} → the submitter wins, else the challenger wins.
    function step(uint256 gameId, uint256 expectedTurn, bytes calldata state, bytes calldata proofs) external {
        Game storage g = _load(gameId, expectedTurn);
        _stage(g, Stage.Step);
        _checkClock(g);
        bytes32 pre = riscv.stateHash(state);
        if (pre != g.rootLo) revert PreStateMismatch(pre, g.rootLo);
        bytes32 post = riscv.step(state, proofs);
        uint32 turn = g.moves;
        g.moves = turn + 1;
        emit Stepped(gameId, turn, msg.sender, g.lo, pre, post, g.rootHi);
        _resolve(gameId, g, turn, post == g.rootHi ? Side.Submitter : Side.Challenger, Resolution.Step);
    }

    /// @notice Anyone: the side to move has exceeded its remaining time and loses.
    function timeout(uint256 gameId, uint256 expectedTurn) external {
        Game storage g = _load(gameId, expectedTurn);
        uint64 dl = _deadline(g);
        if (block.timestamp <= dl) revert ClockNotExpired(dl);
        if (g.toMove == Side.Submitter) g.submitterClock = 0;
        else g.challengerClock = 0;
        uint32 turn = g.moves;
        g.moves = turn + 1;
        _resolve(gameId, g, turn, g.toMove == Side.Submitter ? Side.Challenger : Side.Submitter, Resolution.Timeout);
    }

    function cancel(uint256 gameId) external {
        Game storage g = _games[gameId];
        Stage st = g.stage;
        if (st == Stage.None) revert UnknownGame(gameId);
        if (st >= Stage.Resolved || !submissionRejected[g.submissionId]) revert NotCancellable(gameId);
        g.stage = Stage.Cancelled;
        emit GameCancelled(gameId, g.submissionId, g.challenger);
        IOpmlTasks(tasks).onGameCancelled(gameId, g.submissionId, g.challenger);
    }

    // ================================================================= views

    function game(uint256 gameId) external view returns (Game memory) {
        return _games[gameId];
    }

    function deadline(uint256 gameId) external view returns (uint64) {
        return _deadline(_games[gameId]);
    }

    function splitPoints(uint64 lo, uint64 hi) external view returns (uint64[] memory p) {
        uint256 len = hi - lo;
        uint256 m = len < k ? len : k;
        p = new uint64[](m + 1);
        for (uint256 i = 0; i <= m; ++i) {
            p[i] = m == 0 ? lo : uint64(lo + (i * len) / m);
        }
    }

    // ================================================================= internals

    function _load(uint256 gameId, uint256 expectedTurn) internal view returns (Game storage g) {
        g = _games[gameId];
        Stage st = g.stage;
        if (st == Stage.None) revert UnknownGame(gameId);
        if (st >= Stage.Resolved) revert GameOver(gameId);
        if (submissionRejected[g.submissionId]) revert SubmissionNotPending(g.submissionId);
        if (expectedTurn != g.moves) revert WrongTurn(expectedTurn, g.moves);
    }

    function _stage(Game storage g, Stage expected) internal view {
        if (g.stage != expected) revert WrongStage(g.stage);
    }

    /// @dev The caller must be `side`'s account and `side` must be to move, within its clock.
    function _auth(Game storage g, Side side) internal view {
        address a = side == Side.Submitter ? g.submitter : g.challenger;
        if (msg.sender != a) {
            if (msg.sender != g.submitter && msg.sender != g.challenger) revert NotParticipant(msg.sender);
            revert NotYourTurn(msg.sender);
        }
        if (g.toMove != side) revert NotYourTurn(msg.sender);
        _checkClock(g);
    }

    function _checkClock(Game storage g) internal view {
        uint64 dl = _deadline(g);
        if (block.timestamp > dl) revert ClockExpired(dl);
    }

    function _deadline(Game storage g) internal view returns (uint64) {
        return Clock.deadline(g.turnStart, g.toMove == Side.Submitter ? g.submitterClock : g.challengerClock);
    }

    /// @dev Ends the mover's turn (charging its clock) and starts `next`'s, topping it up to E for each of the
    ///      `txs` transactions the new turn may need (PROTOCOL §5.5).
    function _pass(Game storage g, Side next, uint64 txs) internal {
        uint64 now_ = uint64(block.timestamp);
        if (g.toMove == Side.Submitter) g.submitterClock = Clock.charge(g.submitterClock, g.turnStart, now_);
        else g.challengerClock = Clock.charge(g.challengerClock, g.turnStart, now_);
        uint64 floor = txs * extension;
        if (next == Side.Submitter) g.submitterClock = Clock.topUp(g.submitterClock, floor);
        else g.challengerClock = Clock.topUp(g.challengerClock, floor);
        g.toMove = next;
        g.turnStart = now_;
    }

    function _resolve(uint256 gameId, Game storage g, uint32 turn, Side winner, Resolution how) internal {
        g.stage = Stage.Resolved;
        g.winner = winner;
        bool challengerWon = winner == Side.Challenger;
        if (challengerWon) submissionRejected[g.submissionId] = true;
        emit GameResolved(gameId, turn, winner, how, challengerWon ? g.challenger : g.submitter);
        _progress(gameId, g);
        IOpmlTasks(tasks).onGameResolved(gameId, g.submissionId, g.submitter, g.challenger, challengerWon);
    }

    function _progress(uint256 gameId, Game storage g) internal {
        emit GameProgress(
            gameId,
            g.moves,
            g.stage,
            g.toMove,
            g.lo,
            g.hi,
            g.rootLo,
            g.rootHi,
            g.submitterClock,
            g.challengerClock,
            _deadline(g)
        );
    }

    /// @dev Tensor root of the 352 descriptor bytes, proved as leaf `nodeIdx` of the descriptors root.
    function _descriptorRoot(bytes calldata d, bytes32[] calldata proof, bytes32 descriptorsRoot, uint256 nodeIdx)
        internal
        pure
        returns (bytes32 r)
    {
        if (d.length != DESCRIPTOR_LENGTH) revert BadDescriptor();
        r = TensorRoot.compute(d);
        if (proof.length != LIST_DEPTH) revert BadSiblingCount(LIST_DEPTH, proof.length);
        if (MerkleProof.rootFromSiblings(_off(proof), nodeIdx, r, LIST_DEPTH) != descriptorsRoot) {
            revert BadDescriptorProof();
        }
    }

    /// @dev Checks input i's root by the kind read from the descriptor's input record (GRAPH §4).
    function _checkInput(LinkCtx memory c, bytes calldata d, uint256 i, bytes32 root, bytes32[] calldata proof)
        internal
        view
    {
        uint256 rec = 32 + 32 * i;
        uint8 kind = uint8(d[rec]);
        uint256 index = _le32(d, rec + 4);
        if (kind == KIND_WEIGHT) {
            if (index >= c.weightCount) revert BadDescriptor();
            if (proof.length != LIST_DEPTH) revert BadInputProof(i);
            if (MerkleProof.rootFromSiblings(_off(proof), index, root, LIST_DEPTH) != c.weightsRoot) {
                revert BadInputProof(i);
            }
        } else if (kind == KIND_TASK_INPUT) {
            if (proof.length != 0 || root != ITaskInputs(tasks).inputRootOf(c.taskId)) revert BadInputProof(i);
        } else if (kind == KIND_NODE) {
            uint256 lag = _le32(d, rec + 8);
            if (index >= c.nodeCount) revert BadDescriptor();
            if (c.pass >= lag) {
                uint256 src = (c.pass - lag) * c.nodeCount + index;
                if (src >= c.slot) revert BadDescriptor();
                if (proof.length != SLOT_DEPTH) revert BadInputProof(i);
                if (MerkleProof.rootFromSiblings(_off(proof), src, root, SLOT_DEPTH) != c.slotRoot) {
                    revert BadInputProof(i);
                }
            } else if (proof.length != 0 || root != TensorRoot.Z23) {
                revert BadInputProof(i);
            }
        } else {
            revert BadDescriptor();
        }
    }

    /// @dev Depth-4 tree over the 16 region roots (PROTOCOL §3).
    function _memoryRoot(bytes32[16] memory r) internal pure returns (bytes32 root) {
        assembly ("memory-safe") {
            // Hash in place: level sizes 16 → 8 → 4 → 2 → 1.
            for { let n := 16 } gt(n, 1) { n := shr(1, n) } {
                for { let i := 0 } lt(i, shr(1, n)) { i := add(i, 1) } {
                    let src := add(r, shl(6, i))
                    mstore(add(r, shl(5, i)), keccak256(src, 64))
                }
            }
            root := mload(r)
        }
    }

    /// @dev State hash (PROTOCOL §4.1–4.2) of (memRoot, pc, x1..x31 = 0, step 0, running): status 3.
    function _startHash(bytes32 memRoot, uint32 entryPc) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, memRoot)
            mstore(add(p, 32), shl(224, entryPc))
            mstore(add(p, 64), 0)
            mstore(add(p, 96), 0)
            mstore(add(p, 128), 0)
            mstore(add(p, 160), 0)
            h := keccak256(p, 170)
            h := or(and(h, shr(8, not(0))), shl(248, 3))
        }
    }

    function _le32(bytes calldata d, uint256 off) internal pure returns (uint256) {
        return uint256(uint8(d[off])) | (uint256(uint8(d[off + 1])) << 8) | (uint256(uint8(d[off + 2])) << 16)
            | (uint256(uint8(d[off + 3])) << 24);
    }

    function _off(bytes32[] calldata a) internal pure returns (uint256 o) {
        assembly {
            o := a.offset
        }
    }
}
