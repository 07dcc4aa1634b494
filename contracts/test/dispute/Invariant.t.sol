// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../utils/Vm.sol";
import {console} from "../utils/console.sol";
import {RiscvStep} from "../../src/step/RiscvStep.sol";
import {ModelRegistry} from "../../src/dispute/ModelRegistry.sol";
import {OpmlTasks} from "../../src/dispute/OpmlTasks.sol";
import {DisputeGame} from "../../src/dispute/DisputeGame.sol";
import {Game, Task, Submission, Stage, Side, TaskStatus, SubmissionStatus, Parameters} from "../../src/lib/Types.sol";

/// @notice Random sequences of requests, submissions, challenges, bisects, choices, timeouts,
///         cancels, finalizations, withdrawals and time jumps by four actors (2-slot tasks).
///         Ghost books: what each actor should have been credited, by the rules of PROTOCOL §5.6.
contract Handler is TestBase {
    uint256 internal constant SB = 1 ether;
    uint256 internal constant CB = 0.4 ether;
    uint256 internal constant MIN_FEE = 0.01 ether;
    uint256 internal constant LOSS_BPS = 5_000;
    address public constant RECEIVER = address(0xDEAD);

    OpmlTasks public tasks;
    DisputeGame public game;
    uint256 public modelId;
    address[4] public actors;
    uint256[] public taskIds;
    uint256[] public gameIds;
    mapping(address => uint256) public credited;
    mapping(address => uint256) public withdrawn;
    uint256 public nTimeouts;
    uint256 public nCancels;
    uint256 public nFinalized;
    uint256 public nWithdrawals;
    bytes32[33] internal Z;
    mapping(uint256 => bytes32[]) internal posted; // the last bisect's roots per game
    mapping(uint256 => uint256) internal compensation; // per rejected submission, computed here from the rule
    uint256 public nReclaims;

    constructor() {
        ModelRegistry reg = new ModelRegistry();
        tasks = new OpmlTasks(
            reg,
            address(new RiscvStep()),
            Parameters({
                challengeWindow: 1 days,
                submitterBond: SB,
                challengerBond: CB,
                k: 2,
                clockBudget: 1 hours,
                extension: 10 minutes,
                minFee: MIN_FEE,
                taskExpiry: 2 days,
                lossBps: LOSS_BPS,
                lossReceiver: RECEIVER
            })
        );
        game = tasks.game();
        modelId = reg.register(keccak256("p"), 0, keccak256("d"), 1, keccak256("w"), 0, 0, 64, 4, 1000);
        for (uint256 i = 0; i < 4; i++) {
            actors[i] = address(uint160(0xAC7000 + i));
            vm.deal(actors[i], 1e9 ether);
        }
        bytes32 z;
        for (uint256 h = 0; h <= 32; h++) {
            Z[h] = z;
            z = keccak256(abi.encodePacked(z, z));
        }
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function gameCount() external view returns (uint256) {
        return gameIds.length;
    }

    // ------------------------------------------------------------------ actions

    function request(uint256 a, uint256 fee) external {
        fee = MIN_FEE + (fee % 1 ether);
        vm.prank(actors[a % 4]);
        try tasks.request{value: fee}(modelId, "", 2) returns (uint256 id) {
            taskIds.push(id);
        } catch {}
    }

    function submit(uint256 a, uint256 t, bytes32 r0, uint32 out) external {
        if (taskIds.length == 0) return;
        uint256 id = taskIds[t % taskIds.length];
        bytes memory output = abi.encodePacked(out);
        bytes32 r1 = bytes32(output);
        for (uint256 h = 0; h < 23; h++) {
            r1 = keccak256(abi.encodePacked(r1, Z[h]));
        }
        bytes32[] memory sib = new bytes32[](32);
        sib[0] = r0;
        bytes32 fin = keccak256(abi.encodePacked(r0, r1));
        for (uint256 h = 1; h < 32; h++) {
            sib[h] = Z[h];
            fin = keccak256(abi.encodePacked(fin, Z[h]));
        }
        vm.prank(actors[a % 4]);
        try tasks.submit{value: SB}(id, output, fin, sib) {} catch {}
    }

    function challenge(uint256 a, uint256 t) external {
        if (taskIds.length == 0) return;
        vm.prank(actors[a % 4]);
        try tasks.challenge{value: CB}(taskIds[t % taskIds.length]) returns (uint256 gid) {
            gameIds.push(gid);
        } catch {}
    }

    function bisect(uint256 gi, bytes32 root) external {
        if (gameIds.length == 0) return;
        uint256 gid = gameIds[gi % gameIds.length];
        Game memory g = game.game(gid);
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = root;
        vm.prank(g.submitter);
        try game.bisect(gid, g.moves, roots) {
            posted[gid] = roots;
        } catch {}
    }

    function choose(uint256 gi, uint256 c) external {
        if (gameIds.length == 0) return;
        uint256 gid = gameIds[gi % gameIds.length];
        Game memory g = game.game(gid);
        bytes32[] memory roots = posted[gid];
        vm.prank(g.challenger);
        try game.choose(gid, g.moves, c % 2, roots) {} catch {}
    }

    function timeout(uint256 gi) external {
        if (gameIds.length == 0) return;
        uint256 gid = gameIds[gi % gameIds.length];
        Game memory g = game.game(gid);
        uint256 others = _openGamesOf(g.submissionId) - 1;
        try game.timeout(gid, g.moves) {
            if (g.toMove == Side.Submitter) _rejected(g.submissionId, g.challenger, others);
            else credited[g.submitter] += CB;
            nTimeouts++;
        } catch {}
    }

    function cancel(uint256 gi) external {
        if (gameIds.length == 0) return;
        uint256 gid = gameIds[gi % gameIds.length];
        Game memory g = game.game(gid);
        try game.cancel(gid) {
            credited[g.challenger] += CB + compensation[g.submissionId];
            nCancels++;
        } catch {}
    }

    function finalize(uint256 t) external {
        if (taskIds.length == 0) return;
        uint256 id = taskIds[t % taskIds.length];
        Task memory tk = tasks.task(id);
        Submission memory s = tasks.submission(tk.submissionId);
        try tasks.finalize(id) {
            credited[s.submitter] += tk.fee + SB;
            nFinalized++;
        } catch {}
    }

    function withdraw(uint256 a) external {
        address who = actors[a % 4];
        uint256 before = who.balance;
        vm.prank(who);
        try tasks.withdraw() {
            withdrawn[who] += who.balance - before;
            nWithdrawals++;
        } catch {}
    }

    function reclaim(uint256 a, uint256 t) external {
        if (taskIds.length == 0) return;
        uint256 id = taskIds[t % taskIds.length];
        Task memory tk = tasks.task(id);
        vm.prank(actors[a % 4]);
        try tasks.reclaim(id) {
            credited[tk.requester] += tk.fee;
            nReclaims++;
        } catch {}
    }

    /// @dev The rejection rule, written here independently: LOSS_BPS of SB to the receiver, each other open game
    ///      min(CB, (SB − loss)/2/others) kept for its cancel, the winner its bond and the rest.
    function _rejected(uint256 sid, address winner, uint256 others) internal {
        uint256 loss = SB * LOSS_BPS / 10_000;
        uint256 each = others == 0 ? 0 : (SB - loss) / 2 / others;
        if (each > CB) each = CB;
        compensation[sid] = each;
        credited[RECEIVER] += loss;
        credited[winner] += CB + SB - loss - each * others;
    }

    function _openGamesOf(uint256 sid) internal view returns (uint256 n) {
        for (uint256 i = 0; i < gameIds.length; i++) {
            Game memory g = game.game(gameIds[i]);
            if (g.submissionId == sid && g.stage != Stage.Resolved && g.stage != Stage.Cancelled) n++;
        }
    }

    function warp(uint256 dt) external {
        vm.warp(block.timestamp + (dt % 4 hours));
    }

    // ------------------------------------------------------------------ independent books

    /// @notice Fees of unfinalized tasks + bonds of pending submissions and open games + credits.
    function owed() external view returns (uint256 sum) {
        for (uint256 i = 0; i < taskIds.length; i++) {
            Task memory t = tasks.task(taskIds[i]);
            if (t.status == TaskStatus.Open || t.status == TaskStatus.Submitted) sum += t.fee;
        }
        for (uint256 s = 1; s <= tasks.submissionCount(); s++) {
            if (tasks.submission(s).status == SubmissionStatus.Pending) sum += SB;
        }
        for (uint256 i = 0; i < gameIds.length; i++) {
            Game memory g = game.game(gameIds[i]);
            if (g.stage != Stage.Resolved && g.stage != Stage.Cancelled) {
                sum += CB;
                if (game.submissionRejected(g.submissionId)) sum += compensation[g.submissionId];
            }
        }
        for (uint256 i = 0; i < 4; i++) {
            sum += tasks.credits(actors[i]);
        }
        sum += tasks.credits(RECEIVER);
    }
}

contract InvariantTest is TestBase {
    Handler internal h;

    function setUp() public {
        vm.warp(1_000_000);
        h = new Handler();
    }

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(h);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory t) {
        bytes4[] memory s = new bytes4[](14);
        s[0] = Handler.request.selector;
        s[1] = Handler.submit.selector;
        s[2] = Handler.submit.selector;
        s[3] = Handler.challenge.selector;
        s[4] = Handler.challenge.selector;
        s[5] = Handler.bisect.selector;
        s[6] = Handler.choose.selector;
        s[7] = Handler.timeout.selector;
        s[8] = Handler.cancel.selector;
        s[9] = Handler.finalize.selector;
        s[10] = Handler.withdraw.selector;
        s[11] = Handler.warp.selector;
        s[12] = Handler.timeout.selector;
        s[13] = Handler.reclaim.selector;
        t = new FuzzSelector[](1);
        t[0] = FuzzSelector(address(h), s);
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 150
    function invariant_BalanceCoversEverythingOwed() public view {
        OpmlTasks tasks = h.tasks();
        uint256 owed = h.owed();
        assertTrue(address(tasks).balance >= owed, "solvent");
        assertEq(address(tasks).balance, owed, "no stray wei");
        assertEq(tasks.liabilities(), owed, "liabilities() = independent books");
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 150
    function invariant_NoOneWithdrawsMoreThanCredited() public view {
        OpmlTasks tasks = h.tasks();
        for (uint256 i = 0; i < 4; i++) {
            address a = h.actors(i);
            assertTrue(h.withdrawn(a) <= h.credited(a), "withdrawn <= credited");
            assertEq(tasks.credits(a), h.credited(a) - h.withdrawn(a), "credit = credited - withdrawn");
        }
        assertEq(tasks.credits(h.RECEIVER()), h.credited(h.RECEIVER()), "loss receiver = the share of every rejection");
    }

    /// @dev How far the random runs got (printed with -vv).
    function afterInvariant() public view {
        console.log("games, timeouts", h.gameCount(), h.nTimeouts());
        console.log("cancels, finalized", h.nCancels(), h.nFinalized());
        console.log("withdrawals, tasks", h.nWithdrawals(), h.taskCount());
        console.log("reclaims", h.nReclaims());
    }

    /// @dev The handler really reaches games, payouts and withdrawals (not only reverts).
    function test_HandlerSmoke() public {
        h.request(0, 5);
        h.submit(1, 0, bytes32(uint256(1)), 7);
        h.challenge(2, 0);
        h.challenge(3, 0);
        h.bisect(0, bytes32(uint256(9)));
        h.warp(3 hours);
        h.timeout(0); // challenger 2 did not choose: submitter wins
        h.timeout(1); // submitter did not bisect in game 2: challenger 3 wins, submission rejected
        assertEq(h.gameCount(), 2, "games");
        h.withdraw(1);
        h.withdraw(3);
        assertEq(h.withdrawn(h.actors(1)), 0.4 ether, "submitter got challenger 2's bond");
        // Bs = 1 ether: half lost to the receiver; no other game open when it fell (game 1 was over)
        assertEq(h.withdrawn(h.actors(3)), 0.9 ether, "challenger 3: its bond + Bs less the lost half");
        assertEq(h.tasks().credits(h.RECEIVER()), 0.5 ether, "receiver: half of Bs");
        invariant_BalanceCoversEverythingOwed();
        invariant_NoOneWithdrawsMoreThanCredited();
    }
}
