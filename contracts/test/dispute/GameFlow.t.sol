// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {Game, Stage, Side, Task, Submission, TaskStatus, SubmissionStatus} from "../../src/lib/Types.sol";

/// @notice Whole games on the tiny scenario; run for several arities (subcontracts below).
abstract contract GameFlowTests is DisputeTestBase {
    function test_ScenarioIsConsistent() public view {
        // Every slot's real trace ends with region 10 = the slot root computed from the graph semantics.
        uint32[] memory vals = honestVals();
        for (uint256 g = 0; g < vals.length; g++) {
            Trace memory t = traceSlot(vals, g);
            assertEq(t.T, T_PROGRAM, "T");
            assertEq(t.finalRegions[10], tensorRoot(le4(vals[g])), "region 10 = slot root");
        }
    }

    function test_LyingSubmitterLosesAtEverySlot() public {
        uint256 taskId = requestTask();
        uint256 n = slots();
        for (uint256 j = 0; j < n; j++) {
            uint256 sid = submitVals(taskId, SUBMITTER, liarVals(j));
            uint256 gid = challengeTask(taskId, CHALLENGER);
            Play memory pl = newPlay(gid, CHALLENGER, liarVals(j), LIE_LAST, CH_HONEST);
            Side w = playOut(pl);
            assertTrue(w == Side.Challenger, "challenger wins");
            assertEq(g_(gid).slot, j, "phase 1 pins the lying slot");
            assertTrue(tasks.submission(sid).status == SubmissionStatus.Rejected, "rejected");
            assertTrue(tasks.task(taskId).status == TaskStatus.Open, "task open again");
        }
        assertEq(tasks.credits(CHALLENGER), n * (CH_BOND + SUB_BOND), "challenger credits");
        // Finally an honest submission stands.
        submitVals(taskId, SUBMITTER, honestVals());
        vm.warp(block.timestamp + WINDOW);
        tasks.finalize(taskId);
        assertEq(tasks.credits(SUBMITTER), FEE + SUB_BOND, "submitter paid");
    }
}

contract GameFlowK2Test is GameFlowTests {}
