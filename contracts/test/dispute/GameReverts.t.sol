// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {Game, Stage, Side} from "../../src/lib/Types.sol";
import "../../src/lib/Errors.sol";

/// @notice Every bad move reverts with its custom error (k = 2, 6 slots).
contract GameRevertsTest is DisputeTestBase {
    uint256 internal taskId;
    uint256 internal sid;

    function _start(uint32[] memory vals) internal returns (Play memory pl) {
        taskId = requestTask();
        sid = submitVals(taskId, SUBMITTER, vals);
        uint256 gid = challengeTask(taskId, CHALLENGER);
        pl = newPlay(gid, CHALLENGER, vals, LIE_MID, CH_HONEST);
    }

    function _expect(bytes memory err, address who) internal {
        vm.expectRevert(err);
        vm.prank(who);
    }

    // ------------------------------------------------------------------ access and turns

    function test_OutsiderAndWrongSideAndReplay() public {
        Play memory pl = _start(liarVals(3));
        bytes32[] memory roots = new bytes32[](1);
        _expect(abi.encodeWithSelector(NotParticipant.selector, ANYONE), ANYONE);
        game.bisect(pl.gameId, 0, roots);
        _expect(abi.encodeWithSelector(NotYourTurn.selector, CHALLENGER), CHALLENGER);
        game.bisect(pl.gameId, 0, roots);
        _expect(abi.encodeWithSelector(NotYourTurn.selector, SUBMITTER), SUBMITTER);
        game.choose(pl.gameId, 0, 0, roots);
        _expect(abi.encodeWithSelector(NotParticipant.selector, ANYONE), ANYONE);
        game.choose(pl.gameId, 0, 0, roots);
        _expect(abi.encodeWithSelector(WrongTurn.selector, 1, 0), SUBMITTER);
        game.bisect(pl.gameId, 1, roots);
        _expect(abi.encodeWithSelector(BadRootCount.selector, 1, 2), SUBMITTER);
        game.bisect(pl.gameId, 0, new bytes32[](2));
        _expect(abi.encodeWithSelector(WrongStage.selector, Stage.Slots), SUBMITTER);
        game.proveTransition(pl.gameId, 0, bytes32(0), new bytes32[](32));
        _expect(abi.encodeWithSelector(WrongStage.selector, Stage.Slots), ANYONE);
        game.step(pl.gameId, 0, "", "");

        vm.prank(SUBMITTER);
        game.bisect(pl.gameId, 0, roots);
        // replaying the same bisect
        _expect(abi.encodeWithSelector(WrongTurn.selector, 0, 1), SUBMITTER);
        game.bisect(pl.gameId, 0, roots);
        _expect(abi.encodeWithSelector(NotYourTurn.selector, SUBMITTER), SUBMITTER);
        game.bisect(pl.gameId, 1, roots);
        _expect(abi.encodeWithSelector(BadChoice.selector, 2, 2), CHALLENGER);
        game.choose(pl.gameId, 1, 2, roots);
        _expect(abi.encodeWithSelector(UnknownGame.selector, 99), CHALLENGER);
        game.choose(99, 1, 0, roots);
        vm.prank(CHALLENGER);
        game.choose(pl.gameId, 1, 0, roots);
        // replaying the choice
        _expect(abi.encodeWithSelector(WrongTurn.selector, 1, 2), CHALLENGER);
        game.choose(pl.gameId, 1, 0, roots);
    }

    function test_OnlyTheContractsCallTheCallbacks() public {
        vm.expectRevert(OnlyTasks.selector);
        game.open(1, 1, 1, 6, bytes32(0), SUBMITTER, CHALLENGER);
        vm.expectRevert(OnlyGame.selector);
        tasks.onGameResolved(1, 1, SUBMITTER, CHALLENGER, true);
        vm.expectRevert(OnlyGame.selector);
        tasks.onGameCancelled(1, 1, CHALLENGER);
    }

    function test_MovesAfterTheEnd() public {
        Play memory pl = _start(liarVals(3));
        vm.warp(block.timestamp + CLOCK + 1);
        game.timeout(pl.gameId, 0);
        _expect(abi.encodeWithSelector(GameOver.selector, pl.gameId), SUBMITTER);
        game.bisect(pl.gameId, 1, new bytes32[](1));
        _expect(abi.encodeWithSelector(GameOver.selector, pl.gameId), ANYONE);
        game.timeout(pl.gameId, 1);
        _expect(abi.encodeWithSelector(NotCancellable.selector, pl.gameId), ANYONE);
        game.cancel(pl.gameId);
        _expect(abi.encodeWithSelector(UnknownGame.selector, 7), ANYONE);
        game.cancel(7);
    }

    function test_CancelOnlyWhenRejected() public {
        Play memory pl = _start(liarVals(3));
        _expect(abi.encodeWithSelector(NotCancellable.selector, pl.gameId), ANYONE);
        game.cancel(pl.gameId);
    }

    // ------------------------------------------------------------------ transition

    function test_BadTransitionProof() public {
        Play memory pl = _start(liarVals(3));
        playUntil(pl, Stage.Transition, Side.Submitter);
        Game memory g = g_(pl.gameId);
        (bytes32 outRoot, bytes32[] memory sib) = transitionSiblings(pl);
        _expect(abi.encodeWithSelector(BadTransitionProof.selector), SUBMITTER);
        game.proveTransition(pl.gameId, g.moves, pl.trueRoots[g.slot], sib); // the true root is not S_{j+1}
        sib[5] = bytes32(uint256(1));
        _expect(abi.encodeWithSelector(BadTransitionProof.selector), SUBMITTER);
        game.proveTransition(pl.gameId, g.moves, outRoot, sib);
        _expect(abi.encodeWithSelector(BadSiblingCount.selector, 32, 31), SUBMITTER);
        game.proveTransition(pl.gameId, g.moves, outRoot, new bytes32[](31));
        _expect(abi.encodeWithSelector(NotYourTurn.selector, CHALLENGER), CHALLENGER);
        game.proveTransition(pl.gameId, g.moves, outRoot, sib);
    }

    // ------------------------------------------------------------------ link

    function _atLink(uint256 j) internal returns (Play memory pl, LinkArgs memory a, uint32 turn) {
        pl = _start(liarVals(j));
        playUntil(pl, Stage.Link, Side.Submitter);
        a = linkArgs(pl);
        turn = g_(pl.gameId).moves;
    }

    function _link(Play memory pl, LinkArgs memory a, uint32 turn, bytes memory err) internal {
        _expect(err, SUBMITTER);
        game.link(pl.gameId, turn, a.descriptor, a.descriptorProof, a.inputRoots, a.inputProofs);
    }

    function test_LinkWrongDescriptor() public {
        (Play memory pl, LinkArgs memory a, uint32 turn) = _atLink(4); // node 1
        bytes memory good = a.descriptor;
        a.descriptor = descs[0];
        _link(pl, a, turn, abi.encodeWithSelector(BadDescriptorProof.selector));
        a.descriptor = good;
        a.descriptorProof[3] = bytes32(uint256(7));
        _link(pl, a, turn, abi.encodeWithSelector(BadDescriptorProof.selector));
        a.descriptorProof = new bytes32[](15);
        _link(pl, a, turn, abi.encodeWithSelector(BadSiblingCount.selector, 16, 15));
        a.descriptorProof = listSiblings(descRoots, 1, 16);
        a.descriptor = bytes.concat(good, hex"00");
        _link(pl, a, turn, abi.encodeWithSelector(BadDescriptor.selector));
    }

    function test_LinkWrongNodeInput() public {
        (Play memory pl, LinkArgs memory a, uint32 turn) = _atLink(4); // NODE(0,0) and NODE(2,1) in pass 1
        a.inputRoots[0] = pl.trueRoots[2]; // another slot's root
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 0));
        a = linkArgs(pl);
        a.inputRoots[1] = ZH[23]; // pretending the lagged input is absent
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 1));
        a = linkArgs(pl);
        a.inputProofs[1] = new bytes32[](0);
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 1));
    }

    function test_LinkWrongWeightAndTaskInput() public {
        (Play memory pl, LinkArgs memory a, uint32 turn) = _atLink(0); // TASK_INPUT, WEIGHT(0)
        a.inputRoots[0] = weightRoots[0];
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 0));
        a = linkArgs(pl);
        a.inputRoots[1] = weightRoots[1];
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 1));
        a = linkArgs(pl);
        a.inputProofs[1][0] = bytes32(uint256(1));
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 1));
        a = linkArgs(pl);
        a.inputProofs[0] = new bytes32[](1);
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 0));
        a = linkArgs(pl);
        a.inputRoots = new bytes32[](1);
        _link(pl, a, turn, abi.encodeWithSelector(BadInputCount.selector, 2, 1));
    }

    function test_LinkPreviousPassInputIsZero() public {
        (Play memory pl, LinkArgs memory a, uint32 turn) = _atLink(1); // node 1 in pass 0: NODE(2,1) → Z[23]
        a.inputRoots[1] = pl.trueRoots[0];
        _link(pl, a, turn, abi.encodeWithSelector(BadInputProof.selector, 1));
        a = linkArgs(pl);
        assertEq(a.inputRoots[1], ZH[23], "absent lagged input");
        vm.prank(SUBMITTER);
        game.link(pl.gameId, turn, a.descriptor, a.descriptorProof, a.inputRoots, a.inputProofs);
    }

    /// @dev Descriptors the contract refuses to read: nInputs > 8, an unknown kind, NODE(k, 0) with
    ///      k >= j, a weight index >= W. Registered on purpose in one-node models.
    function test_LinkBadDescriptors() public {
        uint8[] memory kinds = new uint8[](1);
        uint32[] memory idx = new uint32[](1);
        uint32[] memory lags = new uint32[](1);
        kinds[0] = 7;
        _badDescriptor(makeDesc(kinds, idx, lags, 0));
        kinds[0] = 3; // NODE(0, 0) in node 0: reads itself
        _badDescriptor(makeDesc(kinds, idx, lags, 0));
        kinds[0] = 1;
        idx[0] = 2; // WEIGHT(2), W = 2
        _badDescriptor(makeDesc(kinds, idx, lags, 0));
        kinds[0] = 3;
        idx[0] = 1; // NODE(1, 1): k >= n
        lags[0] = 1;
        _badDescriptor(makeDesc(kinds, idx, lags, 0));
        bytes memory d = makeDesc(new uint8[](0), new uint32[](0), new uint32[](0), 0);
        d[8] = 0x09;
        _badDescriptor(d);
    }

    function _badDescriptor(bytes memory d) internal {
        bytes32[] memory one = new bytes32[](1);
        one[0] = tensorRoot(d);
        uint256 mid = registry.register(programRoot, 0, listRoot(one, 16), 1, weightsRoot, 2, 0, 64, 64, MAX_STEPS);
        vm.prank(REQUESTER);
        uint256 t = tasks.request{value: FEE}(mid, taskInput, 1); // N = 1
        bytes32[] memory r = new bytes32[](1);
        r[0] = ZH[23]; // the output "" has root Z[23]
        vm.prank(SUBMITTER);
        tasks.submit{value: SUB_BOND}(t, "", S(r, 1), listSiblings(r, 0, 32));
        uint256 gid = challengeTask(t, CHALLENGER);
        vm.prank(SUBMITTER);
        game.proveTransition(gid, 0, r[0], listSiblings(new bytes32[](0), 0, 32));
        uint256 n = uint8(d[8]);
        bytes32[] memory roots = new bytes32[](n);
        bytes32[][] memory proofs = new bytes32[][](n);
        bytes32[] memory dproof = listSiblings(one, 0, 16);
        _expect(abi.encodeWithSelector(BadDescriptor.selector), SUBMITTER);
        game.link(gid, 1, d, dproof, roots, proofs);
    }

    // ------------------------------------------------------------------ final claim

    function _atFinal() internal returns (Play memory pl, bytes memory st, bytes32[] memory proof, uint32 turn) {
        pl = _start(liarVals(2));
        playUntil(pl, Stage.Final, Side.Submitter);
        (st, proof) = finalClaim(pl);
        turn = g_(pl.gameId).moves;
    }

    function _claim(Play memory pl, uint32 turn, bytes memory st, bytes32[] memory proof, bytes memory err) internal {
        _expect(err, SUBMITTER);
        game.claimFinal(pl.gameId, turn, st, proof);
    }

    function test_ClaimFinalRejects() public {
        (Play memory pl, bytes memory st, bytes32[] memory proof, uint32 turn) = _atFinal();
        bytes memory bad = bytes.concat(st);
        bad[169] = 0x03;
        _claim(pl, turn, bad, proof, abi.encodeWithSelector(BadFinalState.selector, 1, 3));
        bad = bytes.concat(st);
        bad[168] = 0x02;
        bad[169] = 0x01;
        _claim(pl, turn, bad, proof, abi.encodeWithSelector(BadFinalState.selector, 2, 1));
        bad = bytes.concat(st);
        bad[168] = 0x00;
        _claim(pl, turn, bad, proof, abi.encodeWithSelector(BadFinalState.selector, 0, 0));
        bad = bytes.concat(st);
        bad[167] = bytes1(uint8(MAX_STEPS + 1));
        _claim(pl, turn, bad, proof, abi.encodeWithSelector(BadStepCount.selector, MAX_STEPS + 1, MAX_STEPS));
        bad = bytes.concat(st);
        bad[167] = 0x00;
        _claim(pl, turn, bad, proof, abi.encodeWithSelector(BadStepCount.selector, 0, MAX_STEPS));
        _claim(pl, turn, bytes.concat(st, hex"00"), proof, abi.encodeWithSelector(BadFinalStateLength.selector, 171));
        // the true final state: its region 10 is not the submitter's out_j
        ensureTrace(pl);
        _claim(pl, turn, pl.tr.states[pl.tr.T], proof, abi.encodeWithSelector(BadOutputProof.selector));
        bytes32[] memory badProof = new bytes32[](4);
        for (uint256 i = 0; i < 4; i++) {
            badProof[i] = proof[i];
        }
        badProof[2] = bytes32(uint256(5));
        _claim(pl, turn, st, badProof, abi.encodeWithSelector(BadOutputProof.selector));
        _claim(pl, turn, st, new bytes32[](3), abi.encodeWithSelector(BadSiblingCount.selector, 4, 3));
        vm.prank(SUBMITTER);
        game.claimFinal(pl.gameId, turn, st, proof);
    }

    // ------------------------------------------------------------------ step

    function test_StepRejects() public {
        Play memory pl = _start(liarVals(2));
        playUntil(pl, Stage.Step, Side.Challenger);
        ensureTrace(pl);
        Game memory g = g_(pl.gameId);
        bytes memory other = pl.tr.states[g.lo + 1];
        bytes32 otherHash = pl.tr.hashes[g.lo + 1];
        _expect(abi.encodeWithSelector(PreStateMismatch.selector, otherHash, g.rootLo), ANYONE);
        game.step(pl.gameId, g.moves, other, pl.tr.proofs[g.lo + 1]);
        _expect(abi.encodeWithSelector(WrongTurn.selector, g.moves + 1, g.moves), ANYONE);
        game.step(pl.gameId, g.moves + 1, pl.tr.states[g.lo], pl.tr.proofs[g.lo]);
        // a bad witness: RiscvStep's own error bubbles up
        bytes memory badProofs = bytes.concat(pl.tr.proofs[g.lo]);
        badProofs[100] = bytes1(uint8(badProofs[100]) ^ 1);
        _expect(abi.encodeWithSignature("BadMemoryProof()"), ANYONE);
        game.step(pl.gameId, g.moves, pl.tr.states[g.lo], badProofs);
        _expect(abi.encodeWithSelector(WrongStage.selector, Stage.Step), SUBMITTER);
        game.bisect(pl.gameId, g.moves, new bytes32[](0));
        vm.warp(uint256(game.deadline(pl.gameId)) + 1);
        _expect(abi.encodeWithSelector(ClockExpired.selector, game.deadline(pl.gameId)), ANYONE);
        game.step(pl.gameId, g.moves, pl.tr.states[g.lo], pl.tr.proofs[g.lo]);
    }
}
