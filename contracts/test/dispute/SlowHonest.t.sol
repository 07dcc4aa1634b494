// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {console} from "../utils/console.sol";
import {OpmlTasks} from "../../src/dispute/OpmlTasks.sol";
import {Game, Stage, Side} from "../../src/lib/Types.sol";
import "../../src/lib/Errors.sol";

/// @notice The clock rule against the slowest honest party the rules allow (PROTOCOL §5.5): every transaction of an
///         honest turn is sent at max(turnStart + i·E, deadline − (n − i)·E) for its i-th of n transactions — it
///         takes its whole allowance E on each and otherwise waits to the last second its clock allows, so from its
///         first turn on it plays on the floors alone. One transaction per block. The adversary tries every interval
///         length, lie position and arity; the honest side must win every game.
///
///         Before the per-transaction floors, a phase-2 bisect of length k < L < 2k gave the challenger only E for
///         choose + step, and `test_HonestChallengerSurvivesEveryPhase2Length` lost on time at k = 2, L = 3 first.
abstract contract SlowHonestBase is DisputeTestBase {
    uint256 internal kNow;

    function arity() internal view override returns (uint256) {
        return kNow == 0 ? 2 : kNow;
    }

    // ---- the true trace of each slot, computed once (traceSlot checks every step against RiscvStep)
    struct Stored {
        bool ready;
        uint256 T;
        bytes[] states;
        bytes[] proofs;
        bytes32[] hashes;
        bytes32[16] regions;
    }

    mapping(uint256 => Stored) internal traces;

    function stored(uint256 j) internal returns (Stored storage st) {
        st = traces[j];
        if (st.ready) return st;
        Trace memory t = traceSlot(honestVals(), j);
        st.T = t.T;
        for (uint256 i = 0; i <= t.T; i++) {
            st.states.push(t.states[i]);
            st.hashes.push(t.hashes[i]);
            if (i < t.T) st.proofs.push(t.proofs[i]);
        }
        for (uint256 r = 0; r < 16; r++) {
            st.regions[r] = t.finalRegions[r];
        }
        st.ready = true;
    }

    /// @dev A fresh OpmlTasks at arity k (same registry and model).
    function deployAt(uint256 k) internal {
        kNow = k;
        tasks = new OpmlTasks(registry, address(rs), params(k, MIN_FEE));
        game = tasks.game();
    }

    // ---- timing
    function warpTo(uint256 t) internal {
        if (t > block.timestamp) vm.warp(t);
        vm.roll(block.number + 1);
    }

    /// @dev The slowest honest schedule: transaction i (1-based) of n in the current turn.
    function honestTime(uint256 gid, uint256 i, uint256 n) internal view returns (uint256) {
        Game memory g = game.game(gid);
        uint256 a = g.turnStart + i * EXT;
        uint256 d = game.deadline(gid);
        uint256 b = d >= (n - i) * EXT ? d - (n - i) * EXT : 0;
        uint256 t = a > b ? a : b;
        return t > block.timestamp ? t : block.timestamp + 1;
    }

    /// @dev The honest side is late: the test fails naming the point, as the adversary would claim the timeout.
    function requireInTime(uint256 gid, string memory what) internal view {
        uint256 d = game.deadline(gid);
        if (block.timestamp > d) {
            revert(string.concat("honest side out of time at ", what, " (k=", vm.toString(arity()), ")"));
        }
    }

    /// @dev The adversary moves at a time it picks in [turnStart, deadline] (mode 0: at once, 1: at its deadline,
    ///      otherwise pseudo-random).
    function liarTime(uint256 gid, uint256 mode) internal view returns (uint256) {
        Game memory g = game.game(gid);
        uint256 d = game.deadline(gid);
        uint256 t = mode == 0 ? g.turnStart + 1 : mode == 1 ? d : g.turnStart + (mode % (d - g.turnStart + 1));
        if (t > d) t = d;
        return t > block.timestamp ? t : block.timestamp + 1;
    }

    /// @dev A liar that spent its whole clock on earlier moves of a multi-transaction turn has no legal time left: the
    ///      honest side claims the timeout (returns true).
    function liarOutOfTime(uint256 gid) internal returns (bool) {
        if (block.timestamp < game.deadline(gid)) return false;
        warpTo(game.deadline(gid) + 1);
        Game memory g = game.game(gid);
        vm.prank(ANYONE);
        game.timeout(gid, g.moves);
        return true;
    }

    // ---- the lying submitter's phase-2 claims: true up to x, junk after, a final state claimed at T = L
    struct Lie {
        uint256 j; // the lied slot
        uint256 L; // the claimed T
        uint256 x; // first false phase-2 point (1..L)
        bytes claimed; // the claimed final state
        bytes32 claimedHash;
    }

    function makeLie(uint256 j, uint256 L, uint256 x) internal returns (Lie memory lie) {
        Stored storage st = stored(j);
        lie.j = j;
        lie.L = L;
        lie.x = x;
        bytes32[16] memory rr = st.regions;
        rr[10] = tensorRoot(le4(liarVals(j)[j]));
        bytes32 fake = regionsRoot(rr);
        bytes memory s = withRoot(st.states[st.T], fake);
        for (uint256 b = 0; b < 8; b++) {
            s[160 + b] = bytes1(uint8(L >> (8 * (7 - b))));
        }
        lie.claimed = s;
        lie.claimedHash = hashWithRoot(s, fake);
    }

    function trueHash(uint256 j, uint256 p) internal returns (bytes32) {
        Stored storage st = stored(j);
        return st.hashes[p < st.T ? p : st.T];
    }

    function liarRoot(Lie memory lie, uint256 p) internal returns (bytes32) {
        if (p == lie.L) return lie.claimedHash;
        if (p < lie.x) return trueHash(lie.j, p);
        return keccak256(abi.encodePacked("junk", p));
    }
}

/// @notice A lying submitter (claims T = L, lies from point x) against the slowest honest challenger.
contract SlowHonestChallengerTest is SlowHonestBase {
    /// @dev Plays one whole game; returns the winner. The liar moves per `liarMode` (see liarTime).
    function playLiar(uint256 j, uint256 L, uint256 x, uint256 liarMode) internal returns (Side) {
        // Winnings stay as credits (never withdrawn here), so each game starts with fresh balances.
        vm.deal(REQUESTER, 100 ether);
        vm.deal(SUBMITTER, 100 ether);
        vm.deal(CHALLENGER, 100 ether);
        uint256 taskId = requestTask();
        uint32[] memory vals = liarVals(j);
        submitVals(taskId, SUBMITTER, vals);
        uint256 gid = challengeTask(taskId, CHALLENGER);
        Play memory pl = newPlay(gid, CHALLENGER, vals, 0, CH_HONEST);
        pl.subRoots = slotRoots(vals);
        Lie memory lie = makeLie(j, L, x);
        for (uint256 round = 0; round < 400; round++) {
            Game memory g = game.game(gid);
            if (g.stage == Stage.Resolved) return g.winner;
            if (g.toMove == Side.Submitter) {
                _liarMove(pl, lie, g, liarMode + round);
            } else {
                _honestChallengerTurn(pl, lie, g);
            }
        }
        revert("game did not end");
    }

    function _liarMove(Play memory pl, Lie memory lie, Game memory g, uint256 mode) internal {
        uint256 gid = pl.gameId;
        if (liarOutOfTime(gid)) return;
        warpTo(liarTime(gid, mode));
        if (g.stage == Stage.Slots) {
            doBisect(pl);
        } else if (g.stage == Stage.Transition) {
            doTransition(pl);
        } else if (g.stage == Stage.Link) {
            doLink(pl);
        } else if (g.stage == Stage.Final) {
            bytes32[16] memory rr = stored(lie.j).regions;
            rr[10] = tensorRoot(le4(pl.subVals[lie.j]));
            vm.prank(SUBMITTER);
            game.claimFinal(gid, g.moves, lie.claimed, regionSiblings(rr, 10));
        } else {
            uint256[] memory p = splitPts(g.lo, g.hi);
            bytes32[] memory roots = new bytes32[](p.length - 2);
            for (uint256 i = 1; i + 1 < p.length; i++) {
                roots[i - 1] = liarRoot(lie, p[i]);
            }
            bisectAs(SUBMITTER, gid, g.moves, roots);
        }
    }

    /// @dev The honest challenger's whole turn: one choose, or choose + step when the choose pins a step, or the step.
    function _honestChallengerTurn(Play memory pl, Lie memory lie, Game memory g) internal {
        uint256 gid = pl.gameId;
        if (g.stage == Stage.Step) {
            warpTo(honestTime(gid, 1, 1));
            requireInTime(gid, "step");
            _step(gid, lie, g);
            return;
        }
        uint256[] memory p = splitPts(g.lo, g.hi);
        uint256 m = p.length - 1;
        bytes32[] memory posted = lastPosted[gid];
        uint256 c = m - 1;
        for (uint256 i = 0; i + 1 < m; i++) {
            bytes32 truth = g.stage == Stage.Slots ? S(pl.trueRoots, p[i + 1]) : trueHash(lie.j, p[i + 1]);
            if (posted[i] != truth) {
                c = i;
                break;
            }
        }
        bool pins = g.stage == Stage.Steps && p[c + 1] - p[c] == 1;
        uint256 n = pins ? 2 : 1;
        warpTo(honestTime(gid, 1, n));
        requireInTime(gid, "choose");
        chooseAs(CHALLENGER, gid, g.moves, c);
        if (pins) {
            warpTo(honestTime(gid, 2, n));
            requireInTime(gid, "step after the pinning choose");
            _step(gid, lie, game.game(gid));
        }
    }

    function _step(uint256 gid, Lie memory lie, Game memory g) internal {
        Stored storage st = stored(lie.j);
        uint256 s = g.lo;
        bytes memory state = st.states[s < st.T ? s : st.T];
        bytes memory proofs = s < st.T ? st.proofs[s] : bytes("");
        vm.prank(CHALLENGER);
        game.step(gid, g.moves, state, proofs);
    }

    /// @dev For every k in [kFrom, kTo] and every claimed T = L in 1..2k+1, lying from the first point and at the
    ///      last: the honest challenger wins.
    function sweep(uint256 kFrom, uint256 kTo) internal {
        uint256 games;
        for (uint256 k = kFrom; k <= kTo; k++) {
            deployAt(k);
            for (uint256 L = 1; L <= 2 * k + 1; L++) {
                assertTrue(playLiar(0, L, 1, 1) == Side.Challenger, "honest challenger wins (lie at 1)");
                if (L > 1) assertTrue(playLiar(0, L, L, 1) == Side.Challenger, "honest challenger wins (lie at L)");
                games += L > 1 ? 2 : 1;
            }
        }
        console.log("games", games);
    }

    function test_HonestChallengerSurvivesEveryPhase2Length_k2to16() public {
        sweep(2, 16);
    }

    function test_HonestChallengerSurvivesEveryPhase2Length_k17to32() public {
        sweep(17, 32);
    }

    function test_HonestChallengerSurvivesEveryPhase2Length_k33to48() public {
        sweep(33, 48);
    }

    function test_HonestChallengerSurvivesEveryPhase2Length_k49to64() public {
        sweep(49, 64);
    }

    /// @dev A fuzz counterexample of the test itself: the liar spent its clock at its first pin-turn move and could not
    ///      move again; the honest side must then win by timeout.
    function test_ALiarOutOfTimeWithinItsOwnTurnLoses() public {
        testFuzz_HonestChallengerNeverLoses(52, 73, 12, 247, 14400);
    }

    /// @dev Random k, lied slot, claimed T, lie position and adversary timing: the honest side never loses.
    /// forge-config: default.fuzz.runs = 256
    function testFuzz_HonestChallengerNeverLoses(uint8 kRaw, uint8 jRaw, uint8 lRaw, uint8 xRaw, uint32 mode) public {
        uint256 k = 2 + (kRaw % 63);
        deployAt(k);
        uint256 L = 1 + (lRaw % MAX_STEPS);
        uint256 x = 1 + (xRaw % L);
        assertTrue(playLiar(jRaw % slots(), L, x, mode) == Side.Challenger, "honest challenger wins");
    }
}

/// @notice An honest submitter, playing the slowest schedule the rules allow, against a lying challenger that picks
///         its sub-intervals by `mode` (every first, every last, or pseudo-random) and moves at times of its choice.
///         The submitter's only multi-transaction turn is the one after the phase-1 pin (proveTransition, link,
///         claimFinal, first phase-2 bisect: 4E); every other turn is one bisect.
contract SlowHonestSubmitterTest is SlowHonestBase {
    function playHonestSubmitter(uint256 strategy, uint256 liarMode) internal returns (Side) {
        vm.deal(REQUESTER, 100 ether);
        vm.deal(SUBMITTER, 100 ether);
        vm.deal(CHALLENGER, 100 ether);
        uint256 taskId = requestTask();
        uint32[] memory vals = honestVals();
        submitVals(taskId, SUBMITTER, vals);
        uint256 gid = challengeTask(taskId, CHALLENGER);
        Play memory pl = newPlay(gid, CHALLENGER, vals, 0, CH_HONEST);
        for (uint256 round = 0; round < 400; round++) {
            Game memory g = game.game(gid);
            if (g.stage == Stage.Resolved) return g.winner;
            if (g.toMove == Side.Challenger) {
                _liarChallengerMove(pl, g, strategy, liarMode + round);
            } else {
                _honestSubmitterTurn(pl, g);
            }
        }
        revert("game did not end");
    }

    function _liarChallengerMove(Play memory pl, Game memory g, uint256 strategy, uint256 mode) internal {
        uint256 gid = pl.gameId;
        if (liarOutOfTime(gid)) return;
        if (g.stage == Stage.Step) {
            // The step would prove the submitter right; a liar's best is to run its clock out.
            if (mode % 2 == 0) {
                warpTo(game.deadline(gid) + 1);
                vm.prank(ANYONE);
                game.timeout(gid, g.moves);
            } else {
                warpTo(liarTime(gid, mode));
                doStep(pl);
            }
            return;
        }
        warpTo(liarTime(gid, mode));
        uint256 m = splitPts(g.lo, g.hi).length - 1;
        uint256 c = strategy == 0 ? 0 : strategy == 1 ? m - 1 : uint256(keccak256(abi.encode(mode, g.moves))) % m;
        chooseAs(CHALLENGER, gid, g.moves, c);
    }

    /// @dev One whole honest submitter turn, each transaction at the last second the slow schedule allows.
    function _honestSubmitterTurn(Play memory pl, Game memory g) internal {
        uint256 gid = pl.gameId;
        if (g.stage == Stage.Slots || g.stage == Stage.Steps) {
            warpTo(honestTime(gid, 1, 1));
            requireInTime(gid, "bisect");
            doBisect(pl);
            return;
        }
        require(g.stage == Stage.Transition, "submitter turn starts at the pin");
        ensureTrace(pl);
        uint256 n = pl.tr.T > 1 ? 4 : 3;
        warpTo(honestTime(gid, 1, n));
        requireInTime(gid, "proveTransition");
        doTransition(pl);
        warpTo(honestTime(gid, 2, n));
        requireInTime(gid, "link");
        doLink(pl);
        warpTo(honestTime(gid, 3, n));
        requireInTime(gid, "claimFinal");
        doClaimFinal(pl);
        if (n == 4) {
            warpTo(honestTime(gid, 4, n));
            requireInTime(gid, "first phase-2 bisect");
            doBisect(pl);
        }
    }

    /// @dev For every k in 2..64, the challenger always taking the first, always the last, or random sub-intervals
    ///      (so the pin falls on the first, the last and scattered slots): the honest submitter wins.
    function test_HonestSubmitterSurvivesEveryArityAndPin() public {
        uint256 games;
        for (uint256 k = 2; k <= 64; k++) {
            deployAt(k);
            for (uint256 s = 0; s < 3; s++) {
                assertTrue(playHonestSubmitter(s, 1 + s) == Side.Submitter, "honest submitter wins");
                games++;
            }
        }
        console.log("games", games);
    }

    /// forge-config: default.fuzz.runs = 256
    function testFuzz_HonestSubmitterNeverLoses(uint8 kRaw, uint8 strategy, uint32 mode) public {
        deployAt(2 + (kRaw % 63));
        assertTrue(playHonestSubmitter(strategy % 3, mode) == Side.Submitter, "honest submitter wins");
    }
}
