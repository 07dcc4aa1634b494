// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {IDisputeGame} from "../../src/dispute/interfaces/IDisputeGame.sol";
import {IOpmlTasks} from "../../src/dispute/interfaces/IOpmlTasks.sol";
import {Game, Stage, Side, Resolution, CreditReason} from "../../src/lib/Types.sol";

/// @notice Events carry the state a follower needs; views and the split rule; exact clock top-ups.
contract GameEventsTest is DisputeTestBase {
    bytes32 internal fin;
    uint64 internal t0;
    uint256 internal gid;
    bytes32 internal root3;

    function test_EventsFollowTheGame() public {
        uint32[] memory vals = liarVals(4);
        _evStart(vals);
        _evBisect(vals);
        _evChoose();
        _evEnd(newPlay(gid, CHALLENGER, vals, LIE_MID, CH_HONEST));
    }

    function _evStart(uint32[] memory vals) internal {
        uint256 taskId = requestTask();
        uint256 sid = submitVals(taskId, SUBMITTER, vals);
        fin = S(slotRoots(vals), slots());
        t0 = uint64(block.timestamp);
        vm.expectEmit();
        emit IDisputeGame.GameStarted(1, taskId, sid, SUBMITTER, CHALLENGER, uint64(slots()), fin);
        vm.expectEmit();
        emit IDisputeGame.GameProgress(
            1, 0, Stage.Slots, Side.Submitter, 0, uint64(slots()), ZH[32], fin, CLOCK, CLOCK, t0 + CLOCK
        );
        vm.expectEmit();
        emit IOpmlTasks.Challenged(taskId, sid, 1, CHALLENGER, CH_BOND);
        gid = challengeTask(taskId, CHALLENGER);
    }

    function _evBisect(uint32[] memory vals) internal {
        // bisect after 100 s: the submitter's clock is charged, the challenger's turn starts
        vm.warp(t0 + 100);
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = S(slotRoots(vals), 3); // p_1 = 3 of [0, 6]
        root3 = roots[0];
        vm.expectEmit();
        emit IDisputeGame.Bisected(gid, 0, 1, 0, 6, roots);
        vm.expectEmit();
        emit IDisputeGame.GameProgress(
            gid, 1, Stage.Slots, Side.Challenger, 0, 6, ZH[32], fin, CLOCK - 100, CLOCK, t0 + 100 + CLOCK
        );
        vm.prank(SUBMITTER);
        game.bisect(gid, 0, roots);
    }

    function _evChoose() internal {
        // the honest challenger disputes [3, 6] (slot 4 is false)
        vm.warp(t0 + 150);
        vm.expectEmit();
        emit IDisputeGame.Chosen(gid, 1, 1, 1, 3, 6, root3, fin);
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = root3;
        uint64 dl = t0 + 150 + CLOCK - 100;
        vm.expectEmit();
        emit IDisputeGame.GameProgress(
            gid, 2, Stage.Slots, Side.Submitter, 3, 6, root3, fin, CLOCK - 100, CLOCK - 50, dl
        );
        vm.prank(CHALLENGER);
        game.choose(gid, 1, 1, roots);
        Game memory g = g_(gid);
        assertEq(g.lo, 3, "lo");
        assertEq(g.hi, 6, "hi");
        assertEq(g.moves, 2, "moves");
        assertEq(game.deadline(gid), dl, "deadline view");
    }

    function _evEnd(Play memory pl) internal {
        // play to the end; the last events are the step and the resolution
        playUntil(pl, Stage.Step, Side.Challenger);
        ensureTrace(pl);
        Game memory g = g_(gid);
        vm.expectEmit();
        emit IDisputeGame.Stepped(gid, g.moves, ANYONE, g.lo, pl.tr.hashes[g.lo], pl.tr.hashes[g.lo + 1], g.rootHi);
        vm.expectEmit();
        emit IDisputeGame.GameResolved(gid, g.moves, Side.Challenger, Resolution.Step, CHALLENGER);
        doStep(pl);
    }

    function test_LinkAndFinalEvents() public {
        uint256 taskId = requestTask();
        uint32[] memory vals = liarVals(5);
        submitVals(taskId, SUBMITTER, vals);
        gid = challengeTask(taskId, CHALLENGER);
        Play memory pl = newPlay(gid, CHALLENGER, vals, LIE_LAST, CH_HONEST);
        playUntil(pl, Stage.Link, Side.Submitter);
        ensureTrace(pl);
        LinkArgs memory a = linkArgs(pl);
        Game memory g = g_(gid);
        bytes32 memRoot = regionsRoot(slotMemory(honestVals(), 5).rroot);
        vm.expectEmit();
        emit IDisputeGame.Linked(gid, g.moves, 5, 2, 1, descRoots[2], a.inputRoots, memRoot, pl.tr.hashes[0]);
        vm.prank(SUBMITTER);
        game.link(gid, g.moves, a.descriptor, a.descriptorProof, a.inputRoots, a.inputProofs);
        (bytes memory st, bytes32[] memory proof) = finalClaim(pl);
        vm.expectEmit();
        emit IDisputeGame.FinalClaimed(
            gid, g.moves + 1, uint64(T_PROGRAM), pl.fakeMemRoot, hashWithRoot(pl.tr.states[T_PROGRAM], pl.fakeMemRoot)
        );
        vm.prank(SUBMITTER);
        game.claimFinal(gid, g.moves + 1, st, proof);
    }

    function testFuzz_SplitPoints(uint64 lo, uint64 len) public view {
        len = uint64(bound(len, 1, type(uint32).max));
        lo = uint64(bound(lo, 0, type(uint32).max));
        uint64[] memory p = game.splitPoints(lo, lo + len);
        uint256 m = len < arity() ? len : arity();
        assertEq(p.length, m + 1, "m + 1 points");
        assertEq(p[0], lo, "p_0 = lo");
        assertEq(p[m], lo + len, "p_m = hi");
        for (uint256 i = 1; i <= m; i++) {
            assertTrue(p[i] > p[i - 1], "strictly increasing");
            assertEq(p[i], lo + (i * len) / m, "floor rule");
        }
    }

    function bound(uint64 x, uint64 lo, uint64 hi) internal pure returns (uint64) {
        return lo + x % (hi - lo + 1);
    }

    /// @dev A side that used up its clock gets exactly E at its next turn, 4E at the pinned-slot turn.
    function test_ExactTopUps() public {
        uint256 taskId = requestTask();
        uint32[] memory vals = liarVals(1);
        submitVals(taskId, SUBMITTER, vals);
        gid = challengeTask(taskId, CHALLENGER);
        Play memory pl = newPlay(gid, CHALLENGER, vals, LIE_MID, CH_HONEST);
        // the submitter spends all its time on every phase-1 bisect; the challenger answers at once
        Game memory g;
        for (uint256 i = 0; i < 10; i++) {
            vm.warp(game.deadline(gid));
            move(pl);
            assertEq(g_(gid).submitterClock, 0, "submitter at 0");
            move(pl);
            g = g_(gid);
            assertEq(game.deadline(gid), block.timestamp + g.submitterClock, "deadline = now + remaining");
            if (g.stage == Stage.Transition) break;
            assertEq(g.submitterClock, EXT, "ordinary turn: topped up to E");
        }
        assertTrue(g.stage == Stage.Transition, "slot pinned");
        assertEq(g.submitterClock, 4 * EXT, "pinned-slot turn: 4E (transition, link, claimFinal, bisect)");
        // the heavy turn is one turn: transition, link, claimFinal, bisect all on the same clock
        vm.warp(block.timestamp + EXT);
        move(pl);
        move(pl);
        move(pl);
        vm.warp(game.deadline(gid));
        move(pl); // the phase-2 bisect at the last second
        g = g_(gid);
        assertTrue(g.stage == Stage.Steps, "phase 2");
        assertTrue(g.toMove == Side.Challenger, "turn passed after the first phase-2 bisect");
        assertEq(g.submitterClock, 0, "the pinned-slot turn used 4E");
    }
}
