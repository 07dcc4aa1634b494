// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DisputeTestBase} from "./DisputeTestBase.sol";
import {OpmlTasks} from "../../src/dispute/OpmlTasks.sol";
import {DisputeGame} from "../../src/dispute/DisputeGame.sol";
import {Game, Stage, Side} from "../../src/lib/Types.sol";

/// @notice Phase 1 for random N (1..300), k (2..64) and lie position: an honest challenger always
///         pins the first false slot and the liar's transition proof then holds (out_j is the lie);
///         against an honest submitter any sequence of choices ends where the transition is provable
///         with the true root.
contract Phase1FuzzTest is DisputeTestBase {
    OpmlTasks internal t2;
    DisputeGame internal g2;
    uint256 internal oneNode;

    /// @dev S_0..S_N of the slot roots r, incrementally (a frontier of left siblings).
    function allRoots(bytes32[] memory r) internal view returns (bytes32[] memory s) {
        s = new bytes32[](r.length + 1);
        bytes32[32] memory left;
        s[0] = ZH[32];
        for (uint256 i = 0; i < r.length; i++) {
            // insert leaf i
            bytes32 node = r[i];
            uint256 idx = i;
            for (uint256 h = 0; h < 32; h++) {
                if (idx & 1 == 0) {
                    left[h] = node;
                    break;
                }
                node = keccak256(abi.encodePacked(left[h], node));
                idx >>= 1;
            }
            uint256 n = i + 1;
            s[i + 1] = _rootFromFrontier(left, n);
        }
    }

    function _rootFromFrontier(bytes32[32] memory left, uint256 n) internal view returns (bytes32 node) {
        // Deposit-contract style: left[h] is the full subtree of height h for each set bit h of n;
        // `node` is the (zero-padded) part to its right, climbed one height per iteration.
        bool have = false;
        for (uint256 h = 0; h < 32; h++) {
            if ((n >> h) & 1 == 1) {
                node = keccak256(abi.encodePacked(left[h], have ? node : ZH[h]));
                have = true;
            } else {
                node = have ? keccak256(abi.encodePacked(node, ZH[h])) : ZH[h + 1];
            }
        }
    }

    function _setup(uint256 k) internal {
        t2 = new OpmlTasks(registry, address(rs), params(k, MIN_FEE));
        g2 = t2.game();
        bytes32[] memory one = new bytes32[](1);
        one[0] = descRoots[0];
        oneNode = registry.register(programRoot, 0, listRoot(one, 16), 1, weightsRoot, 2, 0, 64, 64, MAX_STEPS);
    }

    function _roots(uint256 seed, uint256 n, uint256 lie) internal view returns (bytes32[] memory r, uint32 outVal) {
        r = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            uint32 v = uint32(uint256(keccak256(abi.encode(seed, i))));
            if (i == lie) v ^= 0x5a5a;
            r[i] = tensorRoot(le4(v));
            if (i == n - 1) outVal = v;
        }
    }

    function _open(bytes32[] memory sub, bytes32[] memory subS, uint32 outVal) internal returns (uint256 gid) {
        vm.prank(REQUESTER);
        uint256 taskId = t2.request{value: FEE}(oneNode, "", uint32(sub.length));
        bytes32[] memory proof = listSiblings(sub, sub.length - 1, 32);
        vm.prank(SUBMITTER);
        t2.submit{value: SUB_BOND}(taskId, le4(outVal), subS[sub.length], proof);
        vm.prank(CHALLENGER);
        gid = t2.challenge{value: CH_BOND}(taskId);
    }

    function _phase1(uint256 gid, bytes32[] memory subS, bytes32[] memory trueS, uint256 seed, bool honestCh) internal {
        for (uint256 round = 0; round < 40; round++) {
            Game memory g = g2.game(gid);
            if (g.stage != Stage.Slots) return;
            uint64[] memory p = g2.splitPoints(g.lo, g.hi);
            uint256 m = p.length - 1;
            bytes32[] memory roots = new bytes32[](m - 1);
            for (uint256 i = 1; i < m; i++) {
                roots[i - 1] = subS[p[i]];
            }
            vm.prank(SUBMITTER);
            g2.bisect(gid, g.moves, roots);
            uint256 c = m - 1;
            if (honestCh) {
                for (uint256 i = 0; i + 1 < m; i++) {
                    if (roots[i] != trueS[p[i + 1]]) {
                        c = i;
                        break;
                    }
                }
            } else {
                c = uint256(keccak256(abi.encode(seed, round))) % m;
            }
            vm.prank(CHALLENGER);
            g2.choose(gid, g.moves + 1, c, roots);
        }
    }

    /// forge-config: default.fuzz.runs = 64
    function testFuzz_HonestChallengerPinsTheLie(uint256 seed, uint16 nRaw, uint8 kRaw, uint16 lieRaw) public {
        uint256 n = 1 + (nRaw % 300);
        uint256 lie = lieRaw % n;
        _setup(2 + (kRaw % 63));
        (bytes32[] memory truth,) = _roots(seed, n, type(uint256).max);
        (bytes32[] memory sub, uint32 outVal) = _roots(seed, n, lie);
        bytes32[] memory trueS = allRoots(truth);
        bytes32[] memory subS = allRoots(sub);
        assertEq(subS[n], listRoot(sub, 32), "incremental S_N");
        assertEq(subS[lie + 1], S(sub, lie + 1), "incremental S_j+1");
        assertEq(subS[lie], trueS[lie], "agree before the lie");
        uint256 gid = _open(sub, subS, outVal);
        _phase1(gid, subS, trueS, seed, true);
        Game memory g = g2.game(gid);
        assertTrue(g.stage == Stage.Transition, "pinned");
        assertEq(g.slot, lie, "the first false slot");
        assertEq(g.rootLo, trueS[lie], "agreed S_j true");
        assertEq(g.rootHi, subS[lie + 1], "disputed S_j+1");
        vm.prank(SUBMITTER);
        g2.proveTransition(gid, g.moves, sub[lie], listSiblings(prefix(sub, lie), lie, 32));
        assertEq(g2.game(gid).outRoot, sub[lie], "out_j is the lie");
        assertTrue(sub[lie] != truth[lie], "and it is false");
    }

    /// forge-config: default.fuzz.runs = 64
    function testFuzz_HonestSubmitterSurvivesAnyChoices(uint256 seed, uint16 nRaw, uint8 kRaw) public {
        uint256 n = 1 + (nRaw % 300);
        _setup(2 + (kRaw % 63));
        (bytes32[] memory truth, uint32 outVal) = _roots(seed, n, type(uint256).max);
        bytes32[] memory trueS = allRoots(truth);
        uint256 gid = _open(truth, trueS, outVal);
        _phase1(gid, trueS, trueS, seed, false);
        Game memory g = g2.game(gid);
        assertTrue(g.stage == Stage.Transition, "pinned");
        assertEq(g.hi, g.lo + 1, "one slot");
        uint256 j = g.slot;
        assertEq(g.rootLo, trueS[j], "true left end");
        assertEq(g.rootHi, trueS[j + 1], "true right end");
        vm.prank(SUBMITTER);
        g2.proveTransition(gid, g.moves, truth[j], listSiblings(prefix(truth, j), j, 32));
        assertTrue(g2.game(gid).stage == Stage.Link, "transition proved");
    }
}
