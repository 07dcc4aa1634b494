// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {console} from "../utils/console.sol";
import {Game, Stage, Side} from "../../src/lib/Types.sol";

/// @notice Prints the execution gas (as seen by the caller; no intrinsic/calldata cost) of every
///         move type. `forge test --match-contract GameGas -vv`.
abstract contract GameGasBase is DisputeTestBase {
    /// @dev Marks the contracts' storage and accounts cold again, so that each measured move pays
    ///      the cold-access costs of a real transaction.
    function _cool() internal {
        vm.cool(address(game));
        vm.cool(address(tasks));
        vm.cool(address(registry));
        vm.cool(address(rs));
    }

    uint256 internal submitterGas; // execution gas of the submitter's moves in the played game
    uint256 internal challengerGas; // of the challenger's (the step included)
    uint256 internal submitterTxs;
    uint256 internal challengerTxs;

    function _log(string memory what, uint256 used) internal view {
        console.log(string.concat(what, " [k=", vm.toString(arity()), "]"), used);
    }

    function _tally(bool bySubmitter, uint256 used) internal {
        if (bySubmitter) {
            submitterGas += used;
            submitterTxs++;
        } else {
            challengerGas += used;
            challengerTxs++;
        }
    }

    function gasMove(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        Stage st = g.stage;
        string memory ph = st == Stage.Slots ? " phase1" : " phase2";
        uint256 g0;
        if ((st == Stage.Slots || st == Stage.Steps) && g.toMove == Side.Submitter) {
            uint256[] memory p = splitPts(g.lo, g.hi);
            bytes32[] memory roots = new bytes32[](p.length - 2);
            for (uint256 i = 1; i + 1 < p.length; i++) {
                roots[i - 1] = subRootAt(pl, st, p[i]);
            }
            lastPosted[pl.gameId] = roots;
            vm.prank(g.submitter);
            _cool();
            g0 = gasleft();
            game.bisect(pl.gameId, g.moves, roots);
            uint256 used = g0 - gasleft();
            _log(string.concat("bisect", ph, " roots=", vm.toString(roots.length)), used);
            _tally(true, used);
            // Only a hash of the roots is stored (PROTOCOL §5.3): a full first bisect stays cheap at any k.
            if (st == Stage.Slots && g.moves == 0) assertTrue(used <= 150_000, "first bisect <= 150k gas");
        } else if (st == Stage.Slots || st == Stage.Steps) {
            uint256 c = pickChoice(pl);
            bytes32[] memory posted = lastPosted[pl.gameId];
            vm.prank(pl.challenger);
            _cool();
            g0 = gasleft();
            game.choose(pl.gameId, g.moves, c, posted);
            uint256 usedC = g0 - gasleft();
            _log(string.concat("choose", ph), usedC);
            _tally(false, usedC);
        } else if (st == Stage.Transition) {
            (bytes32 outRoot, bytes32[] memory sib) = transitionSiblings(pl);
            vm.prank(g.submitter);
            _cool();
            g0 = gasleft();
            game.proveTransition(pl.gameId, g.moves, outRoot, sib);
            uint256 usedS = g0 - gasleft();
            _log("proveTransition", usedS);
            _tally(true, usedS);
        } else if (st == Stage.Link) {
            LinkArgs memory a = linkArgs(pl);
            vm.prank(g.submitter);
            _cool();
            g0 = gasleft();
            game.link(pl.gameId, g.moves, a.descriptor, a.descriptorProof, a.inputRoots, a.inputProofs);
            uint256 usedS = g0 - gasleft();
            _log(string.concat("link inputs=", vm.toString(a.inputRoots.length)), usedS);
            _tally(true, usedS);
        } else if (st == Stage.Final) {
            (bytes memory fs, bytes32[] memory proof) = finalClaim(pl);
            vm.prank(g.submitter);
            _cool();
            g0 = gasleft();
            game.claimFinal(pl.gameId, g.moves, fs, proof);
            uint256 usedS = g0 - gasleft();
            _log("claimFinal", usedS);
            _tally(true, usedS);
        } else {
            ensureTrace(pl);
            bytes memory s = pl.tr.states[g.lo];
            bytes memory pr = pl.tr.proofs[g.lo];
            vm.prank(ANYONE);
            _cool();
            g0 = gasleft();
            game.step(pl.gameId, g.moves, s, pr);
            uint256 usedT = g0 - gasleft();
            _log(string.concat("step (proofs=", vm.toString(pr.length / 896), ", resolves)"), usedT);
            _tally(false, usedT);
        }
    }

    function test_GasPerMove() public {
        _cool();
        uint256 g0 = gasleft();
        registry.register(programRoot, 0, descriptorsRoot, 3, weightsRoot, 2, 2, 64, 64, MAX_STEPS);
        _log("register", g0 - gasleft());

        vm.prank(REQUESTER);
        _cool();
        g0 = gasleft();
        uint256 taskId = tasks.request{value: FEE}(modelId, taskInput, passes());
        _log("request (40-byte input)", g0 - gasleft());

        uint32[] memory vals = liarVals(slots() - 2);
        bytes32[] memory r = slotRoots(vals);
        uint256 o = outputSlot();
        bytes32[] memory proof = listSiblings(r, o, 32);
        bytes32 fin = S(r, r.length);
        bytes memory out = le4(vals[o]);
        vm.prank(SUBMITTER);
        _cool();
        g0 = gasleft();
        tasks.submit{value: SUB_BOND}(taskId, out, fin, proof);
        _log("submit (4-byte output)", g0 - gasleft());

        vm.prank(CHALLENGER);
        _cool();
        g0 = gasleft();
        uint256 gid = tasks.challenge{value: CH_BOND}(taskId);
        _log("challenge (opens a game)", g0 - gasleft());
        vm.prank(CHALLENGER2);
        uint256 gid2 = tasks.challenge{value: CH_BOND}(taskId);

        Play memory pl = newPlay(gid, CHALLENGER, vals, LIE_STORE, CH_HONEST);
        for (uint256 i = 0; i < 200 && g_(gid).stage != Stage.Resolved; i++) {
            gasMove(pl);
        }
        _log(string.concat("whole game: submitter moves ", vm.toString(submitterTxs), ", gas"), submitterGas);
        _log(string.concat("whole game: challenger moves ", vm.toString(challengerTxs), ", gas"), challengerGas);
        _cool();
        g0 = gasleft();
        game.cancel(gid2);
        _log("cancel (refund)", g0 - gasleft());

        vm.prank(CHALLENGER);
        _cool();
        g0 = gasleft();
        tasks.withdraw();
        _log("withdraw", g0 - gasleft());

        // timeout and finalize on a fresh honest submission
        submitVals(taskId, SUBMITTER, honestVals());
        uint256 gid3 = challengeTask(taskId, CHALLENGER);
        Play memory p3 = newPlay(gid3, CHALLENGER, honestVals(), 0, CH_FIRST);
        move(p3); // the submitter bisects, the challenger never answers
        vm.warp(block.timestamp + WINDOW);
        _cool();
        g0 = gasleft();
        game.timeout(gid3, 1);
        _log("timeout (resolves)", g0 - gasleft());
        _cool();
        g0 = gasleft();
        tasks.finalize(taskId);
        _log("finalize", g0 - gasleft());
    }
}

contract GameGasK2Test is GameGasBase {}

contract GameGasK4Test is GameGasBase {
    function arity() internal pure override returns (uint256) {
        return 4;
    }

    function passes() internal pure override returns (uint32) {
        return 40;
    }
}

contract GameGasK16Test is GameGasBase {
    function arity() internal pure override returns (uint256) {
        return 16;
    }

    function passes() internal pure override returns (uint32) {
        return 40;
    }
}

contract GameGasK64Test is GameGasBase {
    function arity() internal pure override returns (uint256) {
        return 64;
    }

    function passes() internal pure override returns (uint32) {
        return 40;
    }
}
