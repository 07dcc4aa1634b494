// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {console} from "../utils/console.sol";
import {Game, Stage, Side} from "../../src/lib/Types.sol";

/// @notice A lying submitter that owns challenger addresses races the honest challenger to reject its own submission
///         (PROTOCOL §5.8). Every wei is tallied from balances after everyone withdraws, independently of the
///         contract's books: the liar's group ends poorer by at least the loss share, the honest challenger ends no
///         poorer than it started, counting its gas at GAS_PRICE.
contract SybilMoneyTest is DisputeTestBase {
    uint256 internal constant GAS_PRICE = 10 gwei; // the stated price the honest challenger's gas is valued at
    uint256 internal constant INTRINSIC = 21_000;
    uint256 internal honestGas; // execution gas of the honest challenger's transactions, plus 21k each

    function sybil(uint256 i) internal pure returns (address) {
        return address(uint160(0x5000 + i));
    }

    function _start(uint256 sybils) internal returns (uint256 taskId, uint256 honestGid, uint256[] memory sybilGids) {
        taskId = requestTask();
        submitVals(taskId, SUBMITTER, liarVals(1));
        // The liar's sybils open first, in the same block as the honest challenger (the worst order for the honest).
        sybilGids = new uint256[](sybils);
        for (uint256 i = 0; i < sybils; i++) {
            sybilGids[i] = challengeTask(taskId, sybil(i));
        }
        uint256 g0 = gasleft();
        honestGid = challengeTask(taskId, CHALLENGER);
        honestGas += g0 - gasleft() + INTRINSIC;
    }

    function _fund(uint256 sybils) internal {
        for (uint256 i = 0; i < sybils; i++) {
            vm.deal(sybil(i), 100 ether);
        }
    }

    function _groupBalance(uint256 sybils) internal view returns (uint256 b) {
        b = SUBMITTER.balance;
        for (uint256 i = 0; i < sybils; i++) {
            b += sybil(i).balance;
        }
    }

    function _settle(uint256 sybils, uint256 honestGid, uint256[] memory sybilGids, uint256 winnerIdx) internal {
        for (uint256 i = 0; i < sybils; i++) {
            if (i != winnerIdx) game.cancel(sybilGids[i]);
        }
        uint256 g0 = gasleft();
        vm.prank(CHALLENGER);
        game.cancel(honestGid);
        honestGas += g0 - gasleft() + INTRINSIC;
        for (uint256 i = 0; i < sybils; i++) {
            withdrawAll(sybil(i));
        }
        if (tasks.credits(SUBMITTER) > 0) withdrawAll(SUBMITTER);
        g0 = gasleft();
        withdrawAll(CHALLENGER);
        honestGas += g0 - gasleft() + INTRINSIC;
    }

    function _check(uint256 sybils, uint256 groupBefore, uint256 honestBefore, string memory what) internal {
        uint256 loss = (SUB_BOND * LOSS_BPS) / 10_000;
        uint256 groupAfter = _groupBalance(sybils);
        assertTrue(groupAfter + loss <= groupBefore, string.concat(what, ": the liar's group loses at least the share"));
        uint256 others = sybils; // the games cancelled when the winning sybil rejects: sybils - 1 and the honest one
        (, uint256 cancelled) = rejectionPay(others);
        assertEq(CHALLENGER.balance, honestBefore - CH_BOND + cancelled, string.concat(what, ": honest credited"));
        uint256 gasCost = honestGas * GAS_PRICE;
        assertTrue(CHALLENGER.balance >= honestBefore + gasCost, string.concat(what, ": honest no poorer, gas counted"));
        assertEq(LOSS_RECEIVER.balance, 0, "the receiver withdraws on its own");
        assertEq(tasks.credits(LOSS_RECEIVER), loss, string.concat(what, ": the loss share reaches the receiver"));
        console.log(string.concat(what, ": liar group lost (wei)"), groupBefore - groupAfter);
        console.log(
            string.concat(what, ": honest challenger net gain after gas (wei)"),
            CHALLENGER.balance - honestBefore - gasCost
        );
        console.log(string.concat(what, ": honest challenger gas"), honestGas);
    }

    /// @dev The liar never moves in any game; after its clock the sybil's timeout is mined first.
    function test_TimeoutRace() public {
        _fund(1);
        uint256 groupBefore = _groupBalance(1);
        uint256 honestBefore = CHALLENGER.balance;
        (, uint256 honestGid, uint256[] memory sg) = _start(1);
        vm.warp(game.deadline(sg[0]) + 1);
        vm.prank(sybil(0));
        game.timeout(sg[0], 0);
        assertTrue(g_(sg[0]).winner == Side.Challenger, "the sybil rejected the submission");
        _settle(1, honestGid, sg, 0);
        _check(1, groupBefore, honestBefore, "timeout race");
    }

    /// @dev The honest challenger plays its game to the winning step; the liar plays its sybil's game to the same point
    ///      and mines the sybil's step in front of the honest one.
    function test_FrontRunTheWinningStep() public {
        _fund(1);
        uint256 groupBefore = _groupBalance(1);
        uint256 honestBefore = CHALLENGER.balance;
        (, uint256 honestGid, uint256[] memory sg) = _start(1);
        uint32[] memory lie = liarVals(1);
        Play memory h = newPlay(honestGid, CHALLENGER, lie, LIE_MID, CH_HONEST);
        for (uint256 i = 0; i < 200; i++) {
            Game memory g = g_(honestGid);
            if (g.stage == Stage.Step) break;
            if (g.toMove == Side.Challenger) {
                uint256 g0 = gasleft();
                move(h);
                honestGas += g0 - gasleft() + INTRINSIC;
            } else {
                move(h);
            }
        }
        Play memory s = newPlay(sg[0], sybil(0), lie, LIE_MID, CH_HONEST);
        playUntil(s, Stage.Step, Side.Challenger);
        doStep(s);
        assertTrue(g_(sg[0]).winner == Side.Challenger, "the sybil rejected the submission first");
        _settle(1, honestGid, sg, 0);
        _check(1, groupBefore, honestBefore, "front-run");
    }

    /// @dev Ten sybils dilute the compensation; the liar's group still loses at least the share and the honest
    ///      challenger still gets its bond back and more than its gas.
    function test_TenSybils() public {
        _fund(10);
        uint256 groupBefore = _groupBalance(10);
        uint256 honestBefore = CHALLENGER.balance;
        (, uint256 honestGid, uint256[] memory sg) = _start(10);
        vm.warp(game.deadline(sg[3]) + 1);
        game.timeout(sg[3], 0);
        _settle(10, honestGid, sg, 3);
        _check(10, groupBefore, honestBefore, "ten sybils");
    }
}
