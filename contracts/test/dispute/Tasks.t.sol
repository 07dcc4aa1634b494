// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {OpmlTasks} from "../../src/dispute/OpmlTasks.sol";
import {DisputeGame} from "../../src/dispute/DisputeGame.sol";
import {IOpmlTasks} from "../../src/dispute/interfaces/IOpmlTasks.sol";
import {
    Task,
    Submission,
    TaskStatus,
    SubmissionStatus,
    Stage,
    Side,
    CreditReason,
    Parameters
} from "../../src/lib/Types.sol";
import "../../src/lib/Errors.sol";

/// @notice Receives a credit as a challenger and tries to re-enter on payment.
contract ReentrantReceiver {
    OpmlTasks internal immutable t;
    uint8 public mode; // 1: re-enter withdraw and let it fail; 2: re-enter and swallow; 3: re-enter finalize
    uint256 public received;
    bool public reentryFailed;

    constructor(OpmlTasks t_) {
        t = t_;
    }

    function setMode(uint8 m) external {
        mode = m;
    }

    function challenge(uint256 taskId) external payable returns (uint256) {
        return t.challenge{value: msg.value}(taskId);
    }

    function pull() external returns (uint256) {
        return t.withdraw();
    }

    receive() external payable {
        received += msg.value;
        if (mode == 1) {
            t.withdraw();
        } else if (mode == 2) {
            try t.withdraw() {}
            catch {
                reentryFailed = true;
            }
        } else if (mode == 3) {
            try t.finalize(1) {}
            catch (bytes memory err) {
                reentryFailed = keccak256(err) == keccak256(abi.encodeWithSelector(Reentrancy.selector));
            }
        }
    }
}

contract TasksTest is DisputeTestBase {
    // ------------------------------------------------------------------ request

    function test_RequestStoresTaskAndInputRoot() public {
        bytes32 want = tensorRoot(taskInput);
        vm.expectEmit();
        emit IOpmlTasks.TaskRequested(1, modelId, REQUESTER, passes(), uint64(slots()), FEE, want, taskInput);
        uint256 id = requestTask();
        assertEq(id, 1, "id");
        Task memory t = tasks.task(id);
        assertEq(t.inputRoot, want, "input root");
        assertEq(t.slots, slots(), "N");
        assertEq(t.outputSlot, outputSlot(), "output slot");
        assertEq(t.fee, FEE, "fee");
        assertTrue(t.status == TaskStatus.Open, "open");
        assertEq(address(tasks).balance, FEE, "fee held");
        assertEq(tasks.liabilities(), FEE, "liabilities");
        vm.expectRevert(abi.encodeWithSelector(UnknownTask.selector, 2));
        tasks.task(2);
    }

    function testFuzz_RequestInputRoot(bytes memory input) public {
        vm.assume(input.length <= 64);
        vm.prank(REQUESTER);
        uint256 id = tasks.request{value: MIN_FEE}(modelId, input, 1);
        assertEq(tasks.task(id).inputRoot, tensorRoot(input), "input root");
    }

    function test_RequestRejects() public {
        vm.startPrank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(FeeTooLow.selector, MIN_FEE - 1, MIN_FEE));
        tasks.request{value: MIN_FEE - 1}(modelId, taskInput, 1);
        vm.expectRevert(abi.encodeWithSelector(InputTooLarge.selector, 65, 64));
        tasks.request{value: FEE}(modelId, new bytes(65), 1);
        vm.expectRevert(abi.encodeWithSelector(BadPasses.selector, 0, 0));
        tasks.request{value: FEE}(modelId, taskInput, 0);
        uint32 tooMany = uint32((uint256(1) << 32) / NODES + 1);
        vm.expectRevert(abi.encodeWithSelector(BadPasses.selector, tooMany, uint256(tooMany) * NODES));
        tasks.request{value: FEE}(modelId, taskInput, tooMany);
        vm.expectRevert(abi.encodeWithSelector(UnknownModel.selector, 9));
        tasks.request{value: FEE}(9, taskInput, 1);
        // limits accepted: 64 bytes, N = 2^32 with a one-node model
        tasks.request{value: MIN_FEE}(modelId, new bytes(64), uint32((uint256(1) << 32) / NODES));
        vm.stopPrank();
        uint256 one = registry.register(programRoot, 0, descriptorsRoot, 1, weightsRoot, 2, 0, 64, 64, MAX_STEPS);
        vm.prank(REQUESTER);
        uint256 id = tasks.request{value: MIN_FEE}(one, "", type(uint32).max);
        assertEq(tasks.task(id).slots, type(uint32).max, "N");
    }

    function test_ZeroMinimumFee() public {
        OpmlTasks free = new OpmlTasks(registry, address(rs), params(2, 0));
        vm.prank(REQUESTER);
        uint256 id = free.request(modelId, taskInput, 1);
        assertEq(free.task(id).fee, 0, "free task");
    }

    function test_ConstructorRejectsBadParameters() public {
        Parameters memory p = params(1, 0);
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 0));
        new OpmlTasks(registry, address(rs), p);
        p.k = 65;
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 0));
        new OpmlTasks(registry, address(rs), p);
        p = params(2, 0);
        p.extension = 0;
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 1));
        new OpmlTasks(registry, address(rs), p);
        p = params(2, 0);
        p.challengeWindow = 0;
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 2));
        new OpmlTasks(registry, address(rs), p);
        p = params(2, 0);
        p.lossBps = 0;
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 4));
        new OpmlTasks(registry, address(rs), p);
        p.lossBps = 10_001;
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 4));
        new OpmlTasks(registry, address(rs), p);
        p = params(2, 0);
        p.lossReceiver = address(0);
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 5));
        new OpmlTasks(registry, address(rs), p);
        p = params(2, 0);
        p.taskExpiry = 0;
        vm.expectRevert(abi.encodeWithSelector(BadParameter.selector, 6));
        new OpmlTasks(registry, address(rs), p);
        OpmlTasks t = new OpmlTasks(registry, address(rs), params(64, 0));
        assertEq(t.lossBps(), LOSS_BPS, "loss share");
        assertEq(t.lossReceiver(), LOSS_RECEIVER, "loss receiver");
        assertEq(t.taskExpiry(), EXPIRY, "expiry");
        DisputeGame gm = t.game();
        assertEq(gm.k(), 64, "k");
        assertEq(gm.tasks(), address(t), "tasks");
        assertEq(gm.clockBudget(), CLOCK, "C");
        assertEq(gm.extension(), EXT, "E");
    }

    // ------------------------------------------------------------------ submit

    function test_SubmitChecksOutputSlot() public {
        uint256 id = requestTask();
        uint32[] memory vals = honestVals();
        bytes32[] memory r = slotRoots(vals);
        uint256 o = outputSlot();
        bytes32[] memory proof = listSiblings(r, o, 32);
        bytes32 fin = S(r, r.length);
        vm.startPrank(SUBMITTER);
        vm.expectRevert(BadOutputSlotProof.selector);
        tasks.submit{value: SUB_BOND}(id, le4(vals[o] + 1), fin, proof); // other output bytes
        vm.expectRevert(BadOutputSlotProof.selector);
        tasks.submit{value: SUB_BOND}(id, le4(vals[o - 1]), fin, listSiblings(r, o - 1, 32)); // another slot
        vm.expectRevert(BadOutputSlotProof.selector);
        tasks.submit{value: SUB_BOND}(id, le4(vals[o]), keccak256("x"), proof);
        vm.expectRevert(abi.encodeWithSelector(BadSiblingCount.selector, 32, 31));
        tasks.submit{value: SUB_BOND}(id, le4(vals[o]), fin, new bytes32[](31));
        vm.expectRevert(abi.encodeWithSelector(WrongBond.selector, SUB_BOND, SUB_BOND - 1));
        tasks.submit{value: SUB_BOND - 1}(id, le4(vals[o]), fin, proof);
        vm.expectRevert(abi.encodeWithSelector(WrongBond.selector, SUB_BOND, SUB_BOND + 1));
        tasks.submit{value: SUB_BOND + 1}(id, le4(vals[o]), fin, proof);
        vm.expectRevert(abi.encodeWithSelector(TaskNotOpen.selector, 5));
        tasks.submit{value: SUB_BOND}(5, le4(vals[o]), fin, proof);
        vm.expectEmit();
        emit IOpmlTasks.ResultSubmitted(
            id, 1, SUBMITTER, r[o], fin, uint64(o), SUB_BOND, uint64(block.timestamp + WINDOW), le4(vals[o])
        );
        uint256 sid = tasks.submit{value: SUB_BOND}(id, le4(vals[o]), fin, proof);
        vm.expectRevert(abi.encodeWithSelector(TaskNotOpen.selector, id));
        tasks.submit{value: SUB_BOND}(id, le4(vals[o]), fin, proof);
        vm.stopPrank();
        Submission memory s = tasks.submission(sid);
        assertEq(s.outputRoot, r[o], "output root");
        assertEq(s.finalRoot, fin, "final root");
        assertTrue(s.status == SubmissionStatus.Pending, "pending");
        assertEq(tasks.task(id).submissionId, sid, "current submission");
        assertEq(address(tasks).balance, FEE + SUB_BOND, "held");
    }

    // ------------------------------------------------------------------ challenge window and finalize

    function test_ChallengeWindowEdges() public {
        uint256 id = requestTask();
        vm.expectRevert(abi.encodeWithSelector(TaskNotSubmitted.selector, id));
        challengeTask(id, CHALLENGER);
        submitVals(id, SUBMITTER, honestVals());
        uint256 end = block.timestamp + WINDOW;
        vm.prank(SUBMITTER);
        vm.expectRevert(SelfChallenge.selector);
        tasks.challenge{value: CH_BOND}(id);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(WrongBond.selector, CH_BOND, CH_BOND - 1));
        tasks.challenge{value: CH_BOND - 1}(id);
        vm.warp(end - 1);
        uint256 gid = challengeTask(id, CHALLENGER); // last second
        assertEq(tasks.submission(1).openGames, 1, "open games");
        assertEq(g_(gid).challenger, CHALLENGER, "challenger");
        vm.warp(end);
        vm.prank(CHALLENGER2);
        vm.expectRevert(abi.encodeWithSelector(ChallengeWindowClosed.selector, end));
        tasks.challenge{value: CH_BOND}(id);
    }

    function test_FinalizeBeforeAfterAndTwice() public {
        uint256 id = requestTask();
        vm.expectRevert(abi.encodeWithSelector(TaskNotSubmitted.selector, id));
        tasks.finalize(id);
        submitVals(id, SUBMITTER, honestVals());
        uint256 end = block.timestamp + WINDOW;
        vm.warp(end - 1);
        vm.expectRevert(abi.encodeWithSelector(ChallengeWindowOpen.selector, end));
        tasks.finalize(id);
        vm.warp(end);
        vm.expectEmit();
        emit IOpmlTasks.Credited(SUBMITTER, FEE + SUB_BOND, FEE + SUB_BOND, CreditReason.Finalized, id);
        tasks.finalize(id);
        assertTrue(tasks.task(id).status == TaskStatus.Finalized, "finalized");
        assertTrue(tasks.submission(1).status == SubmissionStatus.Finalized, "submission finalized");
        vm.expectRevert(abi.encodeWithSelector(TaskNotSubmitted.selector, id));
        tasks.finalize(id);
        vm.expectRevert(abi.encodeWithSelector(TaskNotOpen.selector, id));
        submitVals(id, SUBMITTER, honestVals());
        assertEq(withdrawAll(SUBMITTER), FEE + SUB_BOND, "paid once");
        assertEq(address(tasks).balance, 0, "empty");
    }

    function test_FinalizeWaitsForOpenGames() public {
        uint256 id = requestTask();
        submitVals(id, SUBMITTER, honestVals());
        uint256 gid = challengeTask(id, CHALLENGER);
        vm.warp(block.timestamp + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(GamesOpen.selector, 1));
        tasks.finalize(id);
        // the submitter never moved: it loses, the task re-opens, nothing to finalize
        game.timeout(gid, 0);
        vm.expectRevert(abi.encodeWithSelector(TaskNotSubmitted.selector, id));
        tasks.finalize(id);
        assertTrue(tasks.task(id).status == TaskStatus.Open, "open again, fee held");
        assertEq(tasks.task(id).fee, FEE, "fee");
    }

    // ------------------------------------------------------------------ expiry

    function test_AnUnansweredTaskGivesItsFeeBackAfterTheExpiry() public {
        uint256 id = requestTask();
        uint64 at = tasks.task(id).requestedAt;
        assertEq(at, block.timestamp, "requestedAt");
        vm.warp(at + EXPIRY - 1);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(TaskNotExpired.selector, at + EXPIRY));
        tasks.reclaim(id);
        vm.warp(at + EXPIRY);
        // nobody else can take it, not even with the requester's task id
        for (uint256 i = 0; i < 3; i++) {
            address other = [SUBMITTER, CHALLENGER, ANYONE][i];
            vm.prank(other);
            vm.expectRevert(abi.encodeWithSelector(NotRequester.selector, other));
            tasks.reclaim(id);
        }
        // nor can a late result be submitted, which would lock the fee again
        bytes32[] memory r = slotRoots(honestVals());
        bytes32[] memory proof = listSiblings(r, outputSlot(), 32);
        bytes memory out = le4(honestVals()[outputSlot()]);
        bytes32 fin = S(r, r.length);
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(TaskExpired.selector, at + EXPIRY));
        tasks.submit{value: SUB_BOND}(id, out, fin, proof);
        uint256 before = tasks.liabilities();
        vm.expectEmit();
        emit IOpmlTasks.Credited(REQUESTER, FEE, FEE, CreditReason.FeeReclaimed, id);
        vm.expectEmit();
        emit IOpmlTasks.TaskExpiredReclaimed(id, REQUESTER, FEE);
        vm.prank(REQUESTER);
        tasks.reclaim(id);
        assertTrue(tasks.task(id).status == TaskStatus.Expired, "expired");
        assertEq(tasks.liabilities(), before, "the fee moved from locked to credited");
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(TaskNotOpen.selector, id));
        tasks.reclaim(id);
        assertEq(withdrawAll(REQUESTER), FEE, "the requester has its fee back");
        assertEq(address(tasks).balance, tasks.liabilities(), "balance = liabilities");
    }

    function test_APendingSubmissionHoldsTheFeeAndARejectionFreesIt() public {
        uint256 id = requestTask();
        uint64 at = tasks.task(id).requestedAt;
        vm.warp(at + EXPIRY - WINDOW / 2);
        submitVals(id, SUBMITTER, liarVals(1));
        vm.warp(at + EXPIRY);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(TaskNotOpen.selector, id));
        tasks.reclaim(id); // a pending submission: the fee waits for its outcome
        uint256 gid = challengeTask(id, CHALLENGER);
        vm.warp(block.timestamp + CLOCK + 1);
        game.timeout(gid, 0); // the liar never moves: rejected, the task is Open again but past its expiry
        vm.prank(REQUESTER);
        tasks.reclaim(id);
        assertEq(tasks.credits(REQUESTER), FEE, "fee back after the rejection");
    }

    function test_AFinalizedTaskCannotBeReclaimed() public {
        uint256 id = requestTask();
        submitVals(id, SUBMITTER, honestVals());
        vm.warp(block.timestamp + EXPIRY + WINDOW);
        tasks.finalize(id);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(TaskNotOpen.selector, id));
        tasks.reclaim(id);
    }

    function test_AnOutputAboveTheModelLimitIsRefused() public {
        uint256 small =
            registry.register(programRoot, 0, descriptorsRoot, uint32(NODES), weightsRoot, 2, 2, 64, 3, MAX_STEPS);
        vm.prank(REQUESTER);
        uint256 id = tasks.request{value: FEE}(small, taskInput, passes());
        assertEq(tasks.task(id).outputSizeLimit, 3, "limit copied into the task");
        bytes32[] memory r = slotRoots(honestVals());
        bytes32[] memory proof = listSiblings(r, outputSlot(), 32);
        bytes memory out = le4(honestVals()[outputSlot()]);
        bytes32 fin = S(r, r.length);
        vm.prank(SUBMITTER);
        vm.expectRevert(abi.encodeWithSelector(OutputTooLarge.selector, 4, 3));
        tasks.submit{value: SUB_BOND}(id, out, fin, proof);
    }

    // ------------------------------------------------------------------ withdraw

    function test_WithdrawOnceOnly() public {
        vm.prank(SUBMITTER);
        vm.expectRevert(NothingToWithdraw.selector);
        tasks.withdraw();
        uint256 id = requestTask();
        submitVals(id, SUBMITTER, honestVals());
        vm.warp(block.timestamp + WINDOW);
        tasks.finalize(id);
        assertEq(withdrawAll(SUBMITTER), FEE + SUB_BOND, "withdrawn");
        assertEq(tasks.credits(SUBMITTER), 0, "credit cleared");
        vm.prank(SUBMITTER);
        vm.expectRevert(NothingToWithdraw.selector);
        tasks.withdraw();
    }

    function _creditReceiver(ReentrantReceiver r) internal returns (uint256 credit) {
        uint256 id = requestTask();
        submitVals(id, SUBMITTER, honestVals());
        vm.deal(address(r), CH_BOND);
        uint256 gid = r.challenge{value: CH_BOND}(id);
        vm.warp(block.timestamp + CLOCK + 1);
        game.timeout(gid, 0); // the submitter did not move
        credit = tasks.credits(address(r));
        (uint256 win,) = rejectionPay(0);
        assertEq(credit, win, "receiver credited");
    }

    function test_ReentrantReceiverCannotDoubleWithdraw() public {
        ReentrantReceiver r = new ReentrantReceiver(tasks);
        uint256 credit = _creditReceiver(r);
        uint256 bal = address(tasks).balance;
        // re-entering withdraw makes the payment fail: everything reverts, the credit stays
        r.setMode(1);
        vm.expectRevert(TransferFailed.selector);
        r.pull();
        assertEq(tasks.credits(address(r)), credit, "credit kept");
        assertEq(address(tasks).balance, bal, "nothing sent");
        // re-entry swallowed: paid exactly once
        r.setMode(2);
        assertEq(r.pull(), credit, "amount");
        assertTrue(r.reentryFailed(), "inner withdraw refused");
        assertEq(r.received(), credit, "received once");
        assertEq(address(tasks).balance, bal - credit, "sent once");
        assertEq(tasks.credits(address(r)), 0, "credit cleared");
    }

    function test_ReentrantReceiverCannotEnterOtherFunctions() public {
        ReentrantReceiver r = new ReentrantReceiver(tasks);
        _creditReceiver(r);
        r.setMode(3);
        r.pull();
        assertTrue(r.reentryFailed(), "finalize refused with Reentrancy");
    }
}
