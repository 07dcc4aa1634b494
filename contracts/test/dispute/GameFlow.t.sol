// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {Game, Stage, Side, Task, Submission, TaskStatus, SubmissionStatus} from "../../src/lib/Types.sol";
import "../../src/lib/Errors.sol";

/// @notice Whole games on the tiny scenario; run for k = 2, 4 (6 slots) and k = 64 (120 slots).
abstract contract GameFlowTests is DisputeTestBase {
    /// @dev Slots at which the lying submitter lies (all of them for the small graph).
    function lieSlots() internal view virtual returns (uint256[] memory s) {
        s = new uint256[](slots());
        for (uint256 i = 0; i < s.length; i++) {
            s[i] = i;
        }
    }

    function _game(uint32[] memory vals, address challenger, uint8 lie, uint8 strategy)
        internal
        returns (uint256 taskId, uint256 sid, Play memory pl)
    {
        taskId = requestTask();
        sid = submitVals(taskId, SUBMITTER, vals);
        uint256 gid = challengeTask(taskId, challenger);
        pl = newPlay(gid, challenger, vals, lie, strategy);
    }

    // ------------------------------------------------------------------ scenario sanity

    function test_ScenarioIsConsistent() public view {
        // Every slot's real trace ends with region 10 = the slot root from the graph semantics.
        uint32[] memory vals = honestVals();
        uint256[] memory js = lieSlots();
        for (uint256 i = 0; i < js.length; i++) {
            Trace memory t = traceSlot(vals, js[i]);
            assertEq(t.T, T_PROGRAM, "T");
            assertEq(t.finalRegions[10], tensorRoot(le4(vals[js[i]])), "region 10 = slot root");
        }
    }

    function test_LinkComposesTheTraceStartState() public {
        uint256[] memory js = lieSlots();
        for (uint256 i = 0; i < js.length; i++) {
            (,, Play memory pl) = _game(liarVals(js[i]), CHALLENGER, LIE_LAST, CH_HONEST);
            playUntil(pl, Stage.Final, Side.Submitter);
            ensureTrace(pl);
            Game memory g = g_(pl.gameId);
            assertEq(g.slot, js[i], "slot");
            assertEq(g.rootLo, pl.tr.hashes[0], "h0 = hash of the composed start state");
            assertEq(g.rootLo, rs.stateHash(pl.tr.states[0]), "h0 = RiscvStep.stateHash");
            assertEq(g.outRoot, pl.subRoots[js[i]], "out_j");
        }
    }

    // ------------------------------------------------------------------ lying submitter

    function test_LyingSubmitterLosesAtEverySlot() public {
        uint256 taskId = requestTask();
        uint256[] memory js = lieSlots();
        for (uint256 i = 0; i < js.length; i++) {
            uint256 sid = submitVals(taskId, SUBMITTER, liarVals(js[i]));
            uint256 gid = challengeTask(taskId, CHALLENGER);
            Play memory pl = newPlay(gid, CHALLENGER, liarVals(js[i]), LIE_LAST, CH_HONEST);
            assertTrue(playOut(pl) == Side.Challenger, "challenger wins");
            assertEq(g_(gid).slot, js[i], "phase 1 pins the lying slot");
            assertEq(g_(gid).lo, T_PROGRAM - 1, "phase 2 pins the last step");
            assertTrue(tasks.submission(sid).status == SubmissionStatus.Rejected, "rejected");
            assertTrue(tasks.task(taskId).status == TaskStatus.Open, "task open again");
        }
        (uint256 win,) = rejectionPay(0);
        assertEq(
            tasks.credits(CHALLENGER), js.length * win, "challenger credits: Bc + Bs less the lost share, each time"
        );
        assertEq(tasks.credits(LOSS_RECEIVER), js.length * (SUB_BOND - (win - CH_BOND)), "lost shares");
        assertEq(tasks.credits(SUBMITTER), 0, "liar gets nothing");
        // A correct re-submission then stands and is finalized.
        submitVals(taskId, SUBMITTER, honestVals());
        vm.warp(block.timestamp + WINDOW);
        tasks.finalize(taskId);
        assertEq(tasks.credits(SUBMITTER), FEE + SUB_BOND, "submitter paid");
        assertEq(address(tasks).balance, tasks.liabilities(), "balance = liabilities");
    }

    function _lieInTrace(uint8 lie, uint256 expectStep) internal {
        uint256 j = slots() - 2; // node 1 of the last pass: NODE inputs with lag 0 and 1
        (,, Play memory pl) = _game(liarVals(j), CHALLENGER, lie, CH_HONEST);
        assertTrue(playOut(pl) == Side.Challenger, "challenger wins");
        assertEq(g_(pl.gameId).lo, expectStep, "pinned step");
    }

    function test_LieAtFirstStep() public {
        _lieInTrace(LIE_FIRST, 0);
    }

    function test_LieAtMiddleStep() public {
        _lieInTrace(LIE_MID, T_PROGRAM / 2 - 1);
    }

    function test_LieAtLastStep() public {
        _lieInTrace(LIE_LAST, T_PROGRAM - 1);
    }

    function test_LieAtStore() public {
        _lieInTrace(LIE_STORE, STORE_STEP);
    }

    /// @dev The liar claims T = 1: the challenger's (heavy) step turn follows claimFinal directly.
    function test_LyingSubmitterClaimsOneStep() public {
        uint256 j = 1;
        (,, Play memory pl) = _game(liarVals(j), CHALLENGER, LIE_LAST, CH_HONEST);
        playUntil(pl, Stage.Final, Side.Submitter);
        (bytes memory st, bytes32[] memory proof) = finalClaim(pl);
        for (uint256 b = 160; b < 167; b++) {
            st[b] = 0;
        }
        st[167] = 0x01;
        Game memory g = g_(pl.gameId);
        vm.prank(SUBMITTER);
        game.claimFinal(pl.gameId, g.moves, st, proof);
        g = g_(pl.gameId);
        assertTrue(g.stage == Stage.Step && g.toMove == Side.Challenger, "step turn");
        assertEq(g.hi, 1, "T = 1");
        assertTrue(game.deadline(pl.gameId) >= block.timestamp + 2 * EXT, "heavy turn");
        doStep(pl);
        assertTrue(g_(pl.gameId).winner == Side.Challenger, "challenger wins");
    }

    // ------------------------------------------------------------------ honest submitter

    function _honestWins(uint8 strategy) internal {
        (uint256 taskId,, Play memory pl) = _game(honestVals(), CHALLENGER, 0, strategy);
        assertTrue(playOut(pl) == Side.Submitter, "submitter wins");
        assertEq(tasks.credits(SUBMITTER), CH_BOND, "submitter gets the challenger's bond");
        assertEq(tasks.credits(CHALLENGER), 0, "liar gets nothing");
        assertTrue(tasks.task(taskId).status == TaskStatus.Submitted, "still submitted");
        vm.warp(block.timestamp + WINDOW);
        tasks.finalize(taskId);
        assertEq(tasks.credits(SUBMITTER), CH_BOND + FEE + SUB_BOND, "finalized");
    }

    function test_HonestSubmitterBeatsChallengerPickingFirst() public {
        _honestWins(CH_FIRST);
    }

    function test_HonestSubmitterBeatsChallengerPickingLast() public {
        _honestWins(CH_LAST);
    }

    /// @dev A challenger that disputes a correct result but otherwise compares honestly.
    function test_HonestSubmitterBeatsChallengerOfCorrectResult() public {
        _honestWins(CH_HONEST);
    }

    // ------------------------------------------------------------------ several challengers

    function test_TwoChallengersHonestAndLying() public {
        uint32[] memory lie = liarVals(2);
        (uint256 taskId, uint256 sid, Play memory honestCh) = _game(lie, CHALLENGER, LIE_MID, CH_HONEST);
        uint256 gid2 = challengeTask(taskId, CHALLENGER2);
        Play memory lyingCh = newPlay(gid2, CHALLENGER2, lie, LIE_MID, CH_FIRST);
        // The lying challenger's game advances a bit; then the honest one wins.
        move(lyingCh);
        move(lyingCh);
        assertTrue(playOut(honestCh) == Side.Challenger, "honest challenger wins");
        assertTrue(tasks.submission(sid).status == SubmissionStatus.Rejected, "rejected");
        // The other game is closed: moves revert, cancel refunds the bond.
        Game memory g2 = g_(gid2);
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(SubmissionNotPending.selector, sid));
        game.bisect(gid2, g2.moves, new bytes32[](0));
        vm.prank(ANYONE);
        game.cancel(gid2);
        assertTrue(g_(gid2).stage == Stage.Cancelled, "cancelled");
        vm.expectRevert(abi.encodeWithSelector(NotCancellable.selector, gid2));
        game.cancel(gid2);
        (uint256 win, uint256 cancelled) = rejectionPay(1);
        assertEq(tasks.credits(CHALLENGER), win, "winner");
        assertEq(tasks.credits(CHALLENGER2), cancelled, "refunded + compensated");
        assertEq(withdrawAll(CHALLENGER2), cancelled, "withdrawn");
        assertEq(address(tasks).balance, tasks.liabilities(), "balance = liabilities");
    }

    function test_TwoHonestChallengersBothKeepTheirBonds() public {
        uint32[] memory lie = liarVals(slots() - 1);
        (uint256 taskId,, Play memory a) = _game(lie, CHALLENGER, LIE_STORE, CH_HONEST);
        uint256 gid2 = challengeTask(taskId, CHALLENGER2);
        Play memory b = newPlay(gid2, CHALLENGER2, lie, LIE_STORE, CH_HONEST);
        // Interleave the two games; b finishes first.
        move(a);
        move(b);
        assertTrue(playOut(b) == Side.Challenger, "b wins");
        vm.prank(ANYONE);
        game.cancel(a.gameId);
        (uint256 win, uint256 cancelled) = rejectionPay(1);
        assertEq(tasks.credits(CHALLENGER2), win, "b: bond + submitter's less the lost share and a's compensation");
        assertEq(tasks.credits(CHALLENGER), cancelled, "a: own bond back + compensation");
        assertTrue(cancelled > CH_BOND, "a is paid for its work");
        // Task re-opened; the correct result is submitted and finalized.
        submitVals(taskId, SUBMITTER, honestVals());
        vm.warp(block.timestamp + WINDOW);
        tasks.finalize(taskId);
        assertEq(tasks.credits(SUBMITTER), FEE + SUB_BOND, "honest resubmitter paid the held fee");
    }

    function test_HonestSubmitterBeatsTwoLyingChallengers() public {
        (uint256 taskId,, Play memory a) = _game(honestVals(), CHALLENGER, 0, CH_FIRST);
        uint256 gid2 = challengeTask(taskId, CHALLENGER2);
        Play memory b = newPlay(gid2, CHALLENGER2, honestVals(), 0, CH_LAST);
        assertTrue(playOut(a) == Side.Submitter, "a loses");
        move(b); // the submitter bisects; b never answers
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(GamesOpen.selector, 1));
        tasks.finalize(taskId);
        game.timeout(gid2, 1);
        assertTrue(g_(gid2).winner == Side.Submitter, "b loses on time");
        tasks.finalize(taskId);
        assertEq(tasks.credits(SUBMITTER), 2 * CH_BOND + FEE + SUB_BOND, "submitter");
    }

    // ------------------------------------------------------------------ timeouts

    function _timeoutAt(uint32[] memory vals, Stage stage, Side side, Side expectWinner) internal {
        (,, Play memory pl) = _game(vals, CHALLENGER, LIE_MID, CH_HONEST);
        playUntil(pl, stage, side);
        uint64 dl = game.deadline(pl.gameId);
        Game memory g = g_(pl.gameId);
        vm.warp(dl);
        vm.expectRevert(abi.encodeWithSelector(ClockNotExpired.selector, dl));
        game.timeout(pl.gameId, g.moves);
        vm.warp(uint256(dl) + 1);
        // The side to move can no longer move.
        expectMoveReverts(pl, abi.encodeWithSelector(ClockExpired.selector, dl));
        vm.prank(ANYONE);
        game.timeout(pl.gameId, g.moves);
        g = g_(pl.gameId);
        assertTrue(g.stage == Stage.Resolved && g.winner == expectWinner, "timeout winner");
        if (expectWinner == Side.Challenger) {
            (uint256 win,) = rejectionPay(0);
            assertEq(tasks.credits(CHALLENGER), win, "challenger paid");
        } else {
            assertEq(tasks.credits(SUBMITTER), CH_BOND, "submitter paid");
        }
    }

    function test_TimeoutSubmitterPhase1() public {
        _timeoutAt(liarVals(1), Stage.Slots, Side.Submitter, Side.Challenger);
    }

    function test_TimeoutChallengerPhase1() public {
        _timeoutAt(honestVals(), Stage.Slots, Side.Challenger, Side.Submitter);
    }

    function test_TimeoutSubmitterAtTransition() public {
        _timeoutAt(liarVals(1), Stage.Transition, Side.Submitter, Side.Challenger);
    }

    function test_TimeoutSubmitterAtLink() public {
        _timeoutAt(liarVals(1), Stage.Link, Side.Submitter, Side.Challenger);
    }

    function test_TimeoutSubmitterAtFinalClaim() public {
        _timeoutAt(liarVals(1), Stage.Final, Side.Submitter, Side.Challenger);
    }

    function test_TimeoutSubmitterPhase2() public {
        _timeoutAt(liarVals(1), Stage.Steps, Side.Submitter, Side.Challenger);
    }

    function test_TimeoutChallengerPhase2() public {
        _timeoutAt(honestVals(), Stage.Steps, Side.Challenger, Side.Submitter);
    }

    /// @dev Nobody proves fraud at the last step: the submitter's claim stands (even a false one).
    function test_TimeoutAtStepTurn() public {
        _timeoutAt(liarVals(1), Stage.Step, Side.Challenger, Side.Submitter);
    }

    /// @dev Both sides move at the last allowed second of every turn: the top-ups keep the game
    ///      going (E per turn, 2E for the heavy ones) and the honest side still wins.
    function test_ClockTopUpsKeepTheGameAlive() public {
        (,, Play memory pl) = _game(liarVals(slots() - 1), CHALLENGER, LIE_MID, CH_HONEST);
        for (uint256 i = 0; i < 200; i++) {
            Game memory g = g_(pl.gameId);
            if (g.stage == Stage.Resolved) break;
            uint64 dl = game.deadline(pl.gameId);
            uint64 remaining = g.toMove == Side.Submitter ? g.submitterClock : g.challengerClock;
            bool heavy = (g.stage == Stage.Transition && g.toMove == Side.Submitter)
                || (g.stage == Stage.Steps && g.toMove == Side.Challenger && g.hi - g.lo <= arity())
                || g.stage == Stage.Step;
            if (i > 0 && g.turnStart == block.timestamp) {
                assertTrue(remaining >= (heavy ? 2 * EXT : EXT), "topped up");
            }
            vm.warp(dl);
            move(pl);
        }
        assertTrue(g_(pl.gameId).winner == Side.Challenger, "honest challenger wins");
    }

    // ------------------------------------------------------------------ one-slot task (N = 1)

    function test_SingleSlotTaskStartsAtTransition() public {
        bytes32[] memory one = new bytes32[](1);
        one[0] = descRoots[0];
        uint256 mid = registry.register(programRoot, 0, listRoot(one, 16), 1, weightsRoot, 2, 0, 64, 64, MAX_STEPS);
        _singleSlotRound(mid, true);
        _singleSlotRound(mid, false);
    }

    function _singleSlotRound(uint256 mid, bool lie) internal {
        uint32[] memory vals = new uint32[](1);
        vals[0] = lie ? honest[0] + 7 : honest[0];
        vm.prank(REQUESTER);
        uint256 taskId = tasks.request{value: FEE}(mid, taskInput, 1);
        bytes32[] memory r = slotRoots(vals);
        vm.prank(SUBMITTER);
        tasks.submit{value: SUB_BOND}(taskId, le4(vals[0]), S(r, 1), listSiblings(r, 0, 32));
        uint256 gid = challengeTask(taskId, CHALLENGER);
        Game memory g = g_(gid);
        assertTrue(g.stage == Stage.Transition && g.toMove == Side.Submitter, "transition first");
        assertEq(game.deadline(gid), block.timestamp + (CLOCK > 2 * EXT ? CLOCK : 2 * EXT), "heavy start");
        bytes32[] memory noSlots = new bytes32[](0);
        bytes32[] memory sib = listSiblings(noSlots, 0, 32);
        vm.prank(SUBMITTER);
        game.proveTransition(gid, 0, r[0], sib);
        _linkSingle(gid);
        Play memory pl = newPlay(gid, CHALLENGER, vals, LIE_FIRST, CH_HONEST);
        assertTrue(playOut(pl) == (lie ? Side.Challenger : Side.Submitter), "winner");
    }

    function _linkSingle(uint256 gid) internal {
        bytes32[] memory one = new bytes32[](1);
        one[0] = descRoots[0];
        bytes32[] memory dproof = listSiblings(one, 0, 16);
        bytes32[] memory roots = new bytes32[](2);
        bytes32[][] memory proofs = new bytes32[][](2);
        roots[0] = tensorRoot(taskInput);
        roots[1] = weightRoots[0];
        proofs[1] = listSiblings(weightRoots, 0, 16);
        bytes memory d = descs[0];
        vm.prank(SUBMITTER);
        game.link(gid, 1, d, dproof, roots, proofs);
    }
}

contract GameFlowK2Test is GameFlowTests {}

contract GameFlowK4Test is GameFlowTests {
    function arity() internal pure override returns (uint256) {
        return 4;
    }
}

contract GameFlowK64Test is GameFlowTests {
    function arity() internal pure override returns (uint256) {
        return 64;
    }

    function passes() internal pure override returns (uint32) {
        return 40; // 120 slots: phase 1 takes two rounds at k = 64
    }

    function lieSlots() internal pure override returns (uint256[] memory s) {
        s = new uint256[](5);
        s[0] = 0;
        s[1] = 1;
        s[2] = 62;
        s[3] = 64;
        s[4] = 119;
    }
}
