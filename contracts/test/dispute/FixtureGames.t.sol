// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase, Vm} from "../utils/Vm.sol";
import {console} from "../utils/console.sol";
import {RiscvStep} from "../../src/step/RiscvStep.sol";
import {ModelRegistry} from "../../src/dispute/ModelRegistry.sol";
import {OpmlTasks} from "../../src/dispute/OpmlTasks.sol";
import {DisputeGame} from "../../src/dispute/DisputeGame.sol";
import {Game, Stage, Side, Task, TaskStatus, Submission, SubmissionStatus, Parameters} from "../../src/lib/Types.sol";
import "../../src/lib/Errors.sol";

/// @notice Replays whole dispute games recorded by the C# engine (`opml-node dispute fixture`: real model,
///         real VM traces, real proofs) on freshly deployed contracts, and reports per-game gas.
///
///         The index `test/fixtures/games/index.json` = {"files": [...]} (env OPML_GAMES_INDEX; relative paths
///         are taken from the project root; file names in the index are relative to the index's directory)
///         lists the fixtures. A missing index skips the test, unless OPML_GAMES_REQUIRED=true. Index and
///         fixtures must lie under the project root (foundry.toml fs_permissions), e.g. cache/ for ad-hoc sets:
///         `OPML_GAMES_INDEX=cache/my/index.json npx forge test --match-contract FixtureGames -vv`.
///         Every listed fixture is replayed; failures are collected and reported together at the end.
///
///         Per fixture (each in its own call frame, so its memory is released afterwards): deploy RiscvStep,
///         ModelRegistry, OpmlTasks(k); register the model; request; submit; challenge; replay every move
///         with expectedTurn = the game's move counter; assert resolution by `step` with the fixture's
///         winner, the pinned slot / step, T, bisects ≤ roundBound and the money. Before the first move of each
///         kind, tampered variants of it (a flipped byte of a proof or root, a bad count, a wrong turn, a
///         wrong caller) must revert with the exact custom error.
///
///         Gas = execution gas of each call as seen by the caller, with the contracts' storage made cold
///         before each call (vm.cool, as GameGas.t.sol); txgas adds 21000 + calldata (EIP-2028, EIP-7623 floor).
contract FixtureGamesTest is TestBase {
    uint256 internal constant WINDOW = 7 days;
    uint256 internal constant SUB_BOND = 1 ether; // Bs
    uint256 internal constant CH_BOND = 0.3 ether; // Bc (≠ Bs, so that a swap is detected)
    uint64 internal constant CLOCK = 7 days;
    uint64 internal constant EXT = 1 hours;
    uint256 internal constant FEE = 0.2 ether;
    uint256 internal constant MOVE_DELAY = 60; // seconds between moves (clocks and turnStart really change)

    address internal constant REQUESTER = address(0xA11CE);
    address internal constant SUBMITTER = address(0x5B5B);
    address internal constant CHALLENGER = address(0xC1C1);
    address internal constant ANYONE = address(0xE0E0);

    uint256 internal constant K_BISECT = 1;
    uint256 internal constant K_CHOOSE = 2;
    uint256 internal constant K_TRANSITION = 3;
    uint256 internal constant K_LINK = 4;
    uint256 internal constant K_FINAL = 5;
    uint256 internal constant K_STEP = 6;

    bytes32 internal constant GAME_RESOLVED = keccak256("GameResolved(uint256,uint32,uint8,uint8,address)");

    struct Fx {
        string json;
        string name;
        uint256 k;
        uint256 passes;
        uint256 slots;
        uint256 pinnedSlot;
        uint256 steps;
        uint256 pinnedStep;
        uint256 roundBound;
        uint256 moveCount;
        uint256 winner;
        string liar;
    }

    struct Env {
        RiscvStep rs;
        ModelRegistry registry;
        OpmlTasks tasks;
        DisputeGame game;
        uint256 modelId;
        uint256 taskId;
        uint256 sid;
        uint256 gid;
        bytes32[] posted; // the last bisect's roots, handed back by the next choose
    }

    /// @dev Index 0 = challenge, 1..6 = move kinds.
    struct Acc {
        uint256[7] gas;
        uint256[7] count;
        uint256[7] maxGas; // of a single move
        uint256 total;
        uint256 txTotal;
        uint256 tampers;
        uint256 setupRegister;
        uint256 setupRequest;
        uint256 setupSubmit;
        bytes genuine; // the fixture's move being checked by tampered variants
        address genuineFrom;
        string genuineWhat;
        bool seen1;
        bool seen2;
        bool seen3;
        bool seen4;
        bool seen5;
        bool seen6;
    }

    // ================================================================= driver

    function test_FixtureGames() public {
        string memory index = vm.envOr("OPML_GAMES_INDEX", string("test/fixtures/games/index.json"));
        if (bytes(index).length == 0 || bytes(index)[0] != "/") index = string.concat(vm.projectRoot(), "/", index);
        if (!vm.exists(index)) {
            // CI generates the fixtures first and sets OPML_GAMES_REQUIRED, so a missing index fails there.
            require(!vm.envOr("OPML_GAMES_REQUIRED", false), string.concat("game fixture index not found: ", index));
            console.log(string.concat("game fixture index not found, skipping: ", index));
            vm.skip(true);
            return;
        }
        string[] memory files = vm.parseJsonStringArray(vm.readFile(index), ".files");
        require(files.length > 0, string.concat("game fixture index lists no files: ", index));
        string memory dir = _dirOf(index);

        uint256 failed;
        string memory failures;
        uint256[7] memory maxGas; // over all fixtures, of a single move
        uint256 maxTotal;
        string memory maxTotalFile;
        for (uint256 i = 0; i < files.length; i++) {
            string memory path =
                bytes(files[i]).length > 0 && bytes(files[i])[0] == "/" ? files[i] : string.concat(dir, "/", files[i]);
            // One call frame per fixture: its memory (the JSON text, the parsed moves) is freed on return,
            // and a failing fixture is reported without stopping the others.
            try this.replayFixture(path) returns (uint256[7] memory mg, uint256 total) {
                for (uint256 k = 0; k < 7; k++) {
                    if (mg[k] > maxGas[k]) maxGas[k] = mg[k];
                }
                if (total > maxTotal) (maxTotal, maxTotalFile) = (total, files[i]);
            } catch (bytes memory err) {
                failed++;
                string memory why = _reason(err);
                console.log(string.concat("FAIL ", files[i], ": ", why));
                if (failed <= 20) failures = string.concat(failures, "\n  ", files[i], ": ", why);
            }
        }
        console.log(
            string.concat(
                "fixture games: ", vm.toString(files.length - failed), " passed, ", vm.toString(failed), " failed"
            )
        );
        string[7] memory names = _kindNames();
        string memory line = "max gas of one move:";
        for (uint256 k = 0; k < 7; k++) {
            line = string.concat(line, " ", names[k], "=", vm.toString(maxGas[k]));
        }
        console.log(string.concat(line, " | max game gas=", vm.toString(maxTotal), " (", maxTotalFile, ")"));
        if (failed != 0) {
            revert(
                string.concat(
                    vm.toString(failed), " of ", vm.toString(files.length), " fixture games failed:", failures
                )
            );
        }
    }

    /// @notice Replays one fixture; reverts with a message on any mismatch. External so that each fixture
    ///         runs in its own call frame (memory released afterwards).
    function replayFixture(string memory path) external returns (uint256[7] memory maxGas, uint256 total) {
        require(vm.exists(path), string.concat("fixture not found: ", path));
        Fx memory f = _header(vm.readFile(path));
        Env memory e;
        Acc memory a;
        _setUp(f, e, a);

        for (uint256 i = 0; i < f.moveCount; i++) {
            vm.warp(block.timestamp + MOVE_DELAY);
            _move(f, e, a, i);
        }

        _checkOutcome(f, e, a);
        _logGame(f, a);
        return (a.maxGas, a.total);
    }

    // ================================================================= fixture header and set-up

    function _header(string memory json) internal pure returns (Fx memory f) {
        f.json = json;
        require(vm.parseJsonUint(json, ".version") == 1, "fixture version != 1");
        f.name = vm.parseJsonString(json, ".name");
        f.k = vm.parseJsonUint(json, ".k");
        f.passes = vm.parseJsonUint(json, ".passes");
        f.slots = vm.parseJsonUint(json, ".slots");
        f.pinnedSlot = vm.parseJsonUint(json, ".pinnedSlot");
        f.steps = vm.parseJsonUint(json, ".steps");
        f.pinnedStep = vm.parseJsonUint(json, ".pinnedStep");
        f.roundBound = vm.parseJsonUint(json, ".roundBound");
        f.moveCount = vm.parseJsonUint(json, ".moveCount");
        f.winner = vm.parseJsonUint(json, ".winner");
        f.liar = vm.parseJsonString(json, ".liar");
    }

    function _setUp(Fx memory f, Env memory e, Acc memory a) internal {
        require(f.moveCount > 0, string.concat(f.name, ": moveCount 0"));
        require(
            vm.keyExistsJson(f.json, string.concat(".moves[", vm.toString(f.moveCount - 1), "]")),
            "fewer moves than moveCount"
        );
        require(
            !vm.keyExistsJson(f.json, string.concat(".moves[", vm.toString(f.moveCount), "]")),
            "more moves than moveCount"
        );
        require(f.winner == uint8(Side.Submitter) || f.winner == uint8(Side.Challenger), "fixture winner not 1 or 2");

        vm.warp(1_000_000);
        e.rs = new RiscvStep();
        e.registry = new ModelRegistry();
        e.tasks = new OpmlTasks(
            e.registry,
            address(e.rs),
            Parameters({
                challengeWindow: WINDOW,
                submitterBond: SUB_BOND,
                challengerBond: CH_BOND,
                k: f.k,
                clockBudget: CLOCK,
                extension: EXT,
                minFee: 0,
                taskExpiry: 30 days,
                lossBps: 5_000,
                lossReceiver: address(0xDEAD)
            })
        );
        e.game = e.tasks.game();
        vm.deal(REQUESTER, 10 ether);
        vm.deal(SUBMITTER, 10 ether);
        vm.deal(CHALLENGER, 10 ether);

        bytes memory cd = _registerCall(f.json);
        bytes memory ret;
        (a.setupRegister, ret) = _call(e, address(e.registry), address(this), 0, cd, "register");
        e.modelId = abi.decode(ret, (uint256));

        cd = abi.encodeCall(OpmlTasks.request, (e.modelId, vm.parseJsonBytes(f.json, ".input"), uint32(f.passes)));
        (a.setupRequest, ret) = _call(e, address(e.tasks), REQUESTER, FEE, cd, "request");
        e.taskId = abi.decode(ret, (uint256));
        assertEq(e.tasks.task(e.taskId).slots, f.slots, "N = passes * nodeCount");

        cd = abi.encodeCall(
            OpmlTasks.submit,
            (
                e.taskId,
                vm.parseJsonBytes(f.json, ".submission.output"),
                vm.parseJsonBytes32(f.json, ".submission.finalRoot"),
                vm.parseJsonBytes32Array(f.json, ".submission.outputSlotProof")
            )
        );
        vm.warp(block.timestamp + MOVE_DELAY);
        (a.setupSubmit, ret) = _call(e, address(e.tasks), SUBMITTER, SUB_BOND, cd, "submit");
        e.sid = abi.decode(ret, (uint256));

        vm.warp(block.timestamp + MOVE_DELAY);
        cd = abi.encodeCall(OpmlTasks.challenge, (e.taskId));
        uint256 used;
        (used, ret) = _call(e, address(e.tasks), CHALLENGER, CH_BOND, cd, "challenge");
        e.gid = abi.decode(ret, (uint256));
        _account(a, 0, used, cd);
    }

    function _registerCall(string memory json) internal pure returns (bytes memory) {
        return abi.encodeCall(
            ModelRegistry.register,
            (
                vm.parseJsonBytes32(json, ".model.programRoot"),
                uint32(vm.parseJsonUint(json, ".model.entryPc")),
                vm.parseJsonBytes32(json, ".model.descriptorsRoot"),
                uint32(vm.parseJsonUint(json, ".model.nodeCount")),
                vm.parseJsonBytes32(json, ".model.weightsRoot"),
                uint32(vm.parseJsonUint(json, ".model.weightCount")),
                uint32(vm.parseJsonUint(json, ".model.outputNode")),
                uint32(vm.parseJsonUint(json, ".model.inputSizeLimit")),
                uint32(vm.parseJsonUint(json, ".model.outputSizeLimit")),
                uint64(vm.parseJsonUint(json, ".model.maxNodeSteps"))
            )
        );
    }

    // ================================================================= moves

    function _move(Fx memory f, Env memory e, Acc memory a, uint256 i) internal {
        string memory key = string.concat(".moves[", vm.toString(i), "]");
        uint256 kind = vm.parseJsonUint(f.json, string.concat(key, ".kind"));
        Game memory g = e.game.game(e.gid);
        assertEq(g.moves, i, string.concat("move ", vm.toString(i), ": game move counter"));
        require(g.stage != Stage.Resolved, string.concat("move ", vm.toString(i), ": game already resolved"));

        bytes memory cd;
        address from = g.submitter;
        if (kind == K_BISECT) {
            bytes32[] memory roots = vm.parseJsonBytes32Array(f.json, string.concat(key, ".roots"));
            cd = abi.encodeCall(DisputeGame.bisect, (e.gid, i, roots));
            e.posted = roots;
            _arm(a, cd, from, i, kind);
            if (!a.seen1) _tamperBisect(e, a, g, i, roots);
            a.seen1 = true;
        } else if (kind == K_CHOOSE) {
            from = g.challenger;
            uint256 c = vm.parseJsonUint(f.json, string.concat(key, ".choice"));
            cd = abi.encodeCall(DisputeGame.choose, (e.gid, i, c, e.posted));
            _arm(a, cd, from, i, kind);
            if (!a.seen2) _tamperChoose(e, a, g, i);
            a.seen2 = true;
        } else if (kind == K_TRANSITION) {
            bytes32 outRoot = vm.parseJsonBytes32(f.json, string.concat(key, ".outRoot"));
            bytes32[] memory sib = vm.parseJsonBytes32Array(f.json, string.concat(key, ".siblings"));
            cd = abi.encodeCall(DisputeGame.proveTransition, (e.gid, i, outRoot, sib));
            _arm(a, cd, from, i, kind);
            if (!a.seen3) _tamperTransition(e, a, i, outRoot, sib);
            a.seen3 = true;
        } else if (kind == K_LINK) {
            cd = _linkCall(f.json, key, e.gid, i);
            _arm(a, cd, from, i, kind);
            if (!a.seen4) _tamperLink(e, a, cd);
            a.seen4 = true;
        } else if (kind == K_FINAL) {
            bytes memory fs = vm.parseJsonBytes(f.json, string.concat(key, ".finalState"));
            bytes32[] memory proof = vm.parseJsonBytes32Array(f.json, string.concat(key, ".outputProof"));
            cd = abi.encodeCall(DisputeGame.claimFinal, (e.gid, i, fs, proof));
            _arm(a, cd, from, i, kind);
            if (!a.seen5) _tamperFinal(e, a, i, fs, proof);
            a.seen5 = true;
        } else if (kind == K_STEP) {
            from = ANYONE;
            bytes memory st = vm.parseJsonBytes(f.json, string.concat(key, ".state"));
            bytes memory pr = vm.parseJsonBytes(f.json, string.concat(key, ".proofs"));
            cd = abi.encodeCall(DisputeGame.step, (e.gid, i, st, pr));
            _arm(a, cd, from, i, kind);
            if (!a.seen6) _tamperStep(e, a, g, i, st, pr);
            a.seen6 = true;
            vm.recordLogs();
        } else {
            revert(string.concat("move ", vm.toString(i), ": unknown kind ", vm.toString(kind)));
        }
        if (i == 0) _tamperTurnAndCaller(e, a, cd, from, kind);

        (uint256 used,) = _call(e, address(e.game), from, 0, cd, a.genuineWhat);
        _account(a, kind, used, cd);
        if (kind == K_STEP) _checkResolvedByStep(f, e);
    }

    function _linkCall(string memory json, string memory key, uint256 gid, uint256 turn)
        internal
        view
        returns (bytes memory)
    {
        bytes32[] memory inputRoots = vm.parseJsonBytes32Array(json, string.concat(key, ".inputRoots"));
        // bytes32[][] with possibly empty inner arrays: parsed one inner array at a time (typed, so "[]" is
        // an empty bytes32[]), their count from the JSON itself (not from inputRoots).
        uint256 n = 0;
        while (vm.keyExistsJson(json, string.concat(key, ".inputProofs[", vm.toString(n), "]"))) n++;
        bytes32[][] memory inputProofs = new bytes32[][](n);
        for (uint256 j = 0; j < n; j++) {
            inputProofs[j] = vm.parseJsonBytes32Array(json, string.concat(key, ".inputProofs[", vm.toString(j), "]"));
        }
        return abi.encodeCall(
            DisputeGame.link,
            (
                gid,
                turn,
                vm.parseJsonBytes(json, string.concat(key, ".descriptor")),
                vm.parseJsonBytes32Array(json, string.concat(key, ".descriptorProof")),
                inputRoots,
                inputProofs
            )
        );
    }

    function _checkResolvedByStep(Fx memory f, Env memory e) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool found;
        for (uint256 j = 0; j < logs.length; j++) {
            Vm.Log memory l = logs[j];
            if (l.emitter != address(e.game) || l.topics.length != 2 || l.topics[0] != GAME_RESOLVED) continue;
            if (uint256(l.topics[1]) != e.gid) continue;
            (, uint8 winner, uint8 how,) = abi.decode(l.data, (uint32, uint8, uint8, address));
            assertEq(how, 1, "GameResolved.how (1 = Step)");
            assertEq(winner, f.winner, "GameResolved.winner");
            found = true;
        }
        assertTrue(found, "step did not emit GameResolved");
    }

    // ================================================================= outcome

    function _checkOutcome(Fx memory f, Env memory e, Acc memory a) internal {
        Game memory g = e.game.game(e.gid);
        assertTrue(
            g.stage == Stage.Resolved,
            string.concat("not resolved after all moves, stage ", vm.toString(uint8(g.stage)))
        );
        assertEq(uint8(g.winner), f.winner, "winner");
        assertEq(g.moves, f.moveCount, "moves");
        assertEq(a.count[K_STEP], 1, "resolved by exactly one step move");
        assertEq(g.slot, f.pinnedSlot, "pinned slot");
        assertEq(g.steps, f.steps, "T");
        assertEq(g.lo, f.pinnedStep, "pinned step");
        assertTrue(a.count[K_BISECT] <= f.roundBound, "bisects > roundBound");
        assertEq(
            f.roundBound, _ceilLog(f.k, f.slots) + _ceilLog(f.k, f.steps), "roundBound = ceil(log_k N) + ceil(log_k T)"
        );

        Submission memory s = e.tasks.submission(e.sid);
        Task memory t = e.tasks.task(e.taskId);
        if (f.winner == uint8(Side.Challenger)) {
            assertEq(
                e.tasks.credits(CHALLENGER), CH_BOND + SUB_BOND / 2, "challenger credited Bc + Bs less the lost half"
            );
            assertEq(e.tasks.credits(address(0xDEAD)), SUB_BOND / 2, "loss receiver credited half of Bs");
            assertEq(e.tasks.credits(SUBMITTER), 0, "losing submitter credited");
            assertTrue(s.status == SubmissionStatus.Rejected, "submission rejected");
            assertTrue(t.status == TaskStatus.Open, "task open again");
            assertEq(t.submissionId, 0, "task submission cleared");
        } else {
            assertEq(e.tasks.credits(SUBMITTER), CH_BOND, "submitter credited Bc");
            assertEq(e.tasks.credits(CHALLENGER), 0, "losing challenger credited");
            assertTrue(s.status == SubmissionStatus.Pending, "submission still pending");
            assertEq(s.openGames, 0, "open games");
            // The submission stands: after the window it is finalized (fee + Bs).
            vm.warp(s.submittedAt + WINDOW);
            e.tasks.finalize(e.taskId);
            assertEq(e.tasks.credits(SUBMITTER), CH_BOND + FEE + SUB_BOND, "submitter credited Bc + fee + Bs");
        }
        assertEq(address(e.tasks).balance, e.tasks.liabilities(), "balance = liabilities");
        // Fixture self-consistency (after the replay, so that a replay mismatch is reported first).
        bytes32 liar = keccak256(bytes(f.liar));
        if (liar == keccak256("submitter")) {
            assertEq(f.winner, uint8(Side.Challenger), "liar submitter but winner");
        } else if (liar == keccak256("challenger")) {
            assertEq(f.winner, uint8(Side.Submitter), "liar challenger but winner");
        } else {
            revert(string.concat("unknown liar ", f.liar));
        }
    }

    function _logGame(Fx memory f, Acc memory a) internal view {
        console.log(
            string.concat(
                "game ",
                f.name,
                " k=",
                vm.toString(f.k),
                " N=",
                vm.toString(f.slots),
                " T=",
                vm.toString(f.steps),
                " rounds=",
                vm.toString(a.count[K_BISECT]),
                "/",
                vm.toString(f.roundBound),
                " moves=",
                vm.toString(f.moveCount),
                " winner=",
                vm.toString(f.winner),
                " gas=",
                vm.toString(a.total)
            )
        );
        string[7] memory names = _kindNames();
        string memory line = "  gas per kind (sum/count):";
        for (uint256 k = 0; k < 7; k++) {
            line = string.concat(line, " ", names[k], "=", vm.toString(a.gas[k]), "/", vm.toString(a.count[k]));
        }
        console.log(
            string.concat(
                line,
                " | txgas=",
                vm.toString(a.txTotal),
                " | setup register=",
                vm.toString(a.setupRegister),
                " request=",
                vm.toString(a.setupRequest),
                " submit=",
                vm.toString(a.setupSubmit),
                " | tampered calls reverted=",
                vm.toString(a.tampers)
            )
        );
    }

    // ================================================================= tampered moves (must revert)

    function _tamperTurnAndCaller(Env memory e, Acc memory a, bytes memory cd, address from, uint256 kind) internal {
        // expectedTurn is the 2nd argument of every move: word at 4 + 32.
        bytes memory bad = _copy(cd);
        _setWord(bad, 36, 1);
        _expectRevert(e, a, from, bad, abi.encodeWithSelector(WrongTurn.selector, 1, 0), "wrong expectedTurn");
        if (kind != K_STEP) {
            _expectRevert(e, a, ANYONE, cd, abi.encodeWithSelector(NotParticipant.selector, ANYONE), "non-participant");
            address other = from == SUBMITTER ? CHALLENGER : SUBMITTER;
            _expectRevert(e, a, other, cd, abi.encodeWithSelector(NotYourTurn.selector, other), "other side");
        }
    }

    function _tamperBisect(Env memory e, Acc memory a, Game memory g, uint256 turn, bytes32[] memory roots) internal {
        uint256 len = g.hi - g.lo;
        uint256 m = len < e.game.k() ? len : e.game.k();
        bytes32[] memory more = new bytes32[](roots.length + 1);
        for (uint256 j = 0; j < roots.length; j++) {
            more[j] = roots[j];
        }
        _expectRevert(
            e,
            a,
            g.submitter,
            abi.encodeCall(DisputeGame.bisect, (e.gid, turn, more)),
            abi.encodeWithSelector(BadRootCount.selector, m - 1, m),
            "bisect with one root too many"
        );
    }

    function _tamperChoose(Env memory e, Acc memory a, Game memory g, uint256 turn) internal {
        uint256 len = g.hi - g.lo;
        uint256 m = len < e.game.k() ? len : e.game.k();
        _expectRevert(
            e,
            a,
            g.challenger,
            abi.encodeCall(DisputeGame.choose, (e.gid, turn, m, e.posted)),
            abi.encodeWithSelector(BadChoice.selector, m, m),
            "choice out of range"
        );
        if (e.posted.length != 0) {
            bytes32[] memory other = new bytes32[](e.posted.length);
            for (uint256 j = 0; j < other.length; j++) {
                other[j] = e.posted[j];
            }
            other[0] = ~other[0];
            _expectRevert(
                e,
                a,
                g.challenger,
                abi.encodeCall(DisputeGame.choose, (e.gid, turn, 0, other)),
                abi.encodeWithSelector(PostedRootsMismatch.selector),
                "choose with posted roots other than the bisect's"
            );
        }
    }

    function _tamperTransition(Env memory e, Acc memory a, uint256 turn, bytes32 outRoot, bytes32[] memory sib)
        internal
    {
        bytes memory want = abi.encodeWithSelector(BadTransitionProof.selector);
        _expectRevert(
            e,
            a,
            SUBMITTER,
            abi.encodeCall(DisputeGame.proveTransition, (e.gid, turn, _flip(outRoot), sib)),
            want,
            "transition: flipped outRoot"
        );
        for (uint256 j = 0; j < sib.length; j += 13) {
            bytes32[] memory bad = _copy32(sib);
            bad[j] = _flip(bad[j]);
            _expectRevert(
                e,
                a,
                SUBMITTER,
                abi.encodeCall(DisputeGame.proveTransition, (e.gid, turn, outRoot, bad)),
                want,
                string.concat("transition: flipped sibling ", vm.toString(j))
            );
        }
    }

    struct LinkArgs {
        uint256 gid;
        uint256 turn;
        bytes desc;
        bytes32[] dproof;
        bytes32[] roots;
        bytes32[][] proofs;
    }

    function _linkCd(LinkArgs memory l) internal pure returns (bytes memory) {
        return abi.encodeCall(DisputeGame.link, (l.gid, l.turn, l.desc, l.dproof, l.roots, l.proofs));
    }

    function _tamperLink(Env memory e, Acc memory a, bytes memory cd) internal {
        LinkArgs memory l;
        (l.gid, l.turn, l.desc, l.dproof, l.roots, l.proofs) =
            abi.decode(_args(cd), (uint256, uint256, bytes, bytes32[], bytes32[], bytes32[][]));
        bytes memory wantD = abi.encodeWithSelector(BadDescriptorProof.selector);
        // a flipped descriptor byte (its last, parameter area) or descriptor-proof sibling
        bytes memory saved = l.desc;
        l.desc = _copy(saved);
        l.desc[l.desc.length - 1] ^= 0x01;
        _expectRevert(e, a, SUBMITTER, _linkCd(l), wantD, "link: flipped descriptor byte");
        l.desc = saved;
        bytes32[] memory savedP = l.dproof;
        l.dproof = _copy32(savedP);
        l.dproof[l.dproof.length - 1] = _flip(l.dproof[l.dproof.length - 1]);
        _expectRevert(e, a, SUBMITTER, _linkCd(l), wantD, "link: flipped descriptor proof");
        l.dproof = savedP;
        // every input root flipped in turn, and the first sibling of every non-empty input proof
        bytes32[] memory roots = l.roots;
        for (uint256 j = 0; j < roots.length; j++) {
            bytes memory want = abi.encodeWithSelector(BadInputProof.selector, j);
            l.roots = _copy32(roots);
            l.roots[j] = _flip(l.roots[j]);
            _expectRevert(e, a, SUBMITTER, _linkCd(l), want, string.concat("link: flipped input root ", vm.toString(j)));
            l.roots = roots;
            if (l.proofs[j].length == 0) continue;
            savedP = l.proofs[j];
            l.proofs[j] = _copy32(savedP);
            l.proofs[j][0] = _flip(savedP[0]);
            _expectRevert(
                e, a, SUBMITTER, _linkCd(l), want, string.concat("link: flipped input proof ", vm.toString(j))
            );
            l.proofs[j] = savedP;
        }
        if (roots.length != 0) {
            // one input root missing
            l.roots = new bytes32[](roots.length - 1);
            for (uint256 j = 0; j < l.roots.length; j++) {
                l.roots[j] = roots[j];
            }
            _expectRevert(
                e,
                a,
                SUBMITTER,
                _linkCd(l),
                abi.encodeWithSelector(BadInputCount.selector, roots.length, roots.length - 1),
                "link: one input root missing"
            );
            l.roots = roots;
        }
    }

    function _tamperFinal(Env memory e, Acc memory a, uint256 turn, bytes memory fs, bytes32[] memory proof) internal {
        bytes memory want = abi.encodeWithSelector(BadOutputProof.selector);
        bytes32[] memory p2 = _copy32(proof);
        p2[0] = _flip(p2[0]);
        _expectRevert(
            e,
            a,
            SUBMITTER,
            abi.encodeCall(DisputeGame.claimFinal, (e.gid, turn, fs, p2)),
            want,
            "claimFinal: flipped output proof"
        );
        bytes memory f2 = _copy(fs);
        f2[0] ^= 0x01; // memRoot
        _expectRevert(
            e,
            a,
            SUBMITTER,
            abi.encodeCall(DisputeGame.claimFinal, (e.gid, turn, f2, proof)),
            want,
            "claimFinal: flipped memRoot"
        );
        f2 = _copy(fs);
        f2[169] = 0x01; // exit code 1
        _expectRevert(
            e,
            a,
            SUBMITTER,
            abi.encodeCall(DisputeGame.claimFinal, (e.gid, turn, f2, proof)),
            abi.encodeWithSelector(BadFinalState.selector, uint8(fs[168]), 1),
            "claimFinal: exit code 1"
        );
    }

    function _tamperStep(Env memory e, Acc memory a, Game memory g, uint256 turn, bytes memory st, bytes memory pr)
        internal
    {
        // a flipped state byte (memRoot): the pre-state hash no longer matches h_s
        bytes memory s2 = _copy(st);
        s2[0] ^= 0x01;
        _expectRevert(
            e,
            a,
            ANYONE,
            abi.encodeCall(DisputeGame.step, (e.gid, turn, s2, pr)),
            abi.encodeWithSelector(PreStateMismatch.selector, e.rs.stateHash(s2), g.rootLo),
            "step: flipped state byte"
        );
        if (pr.length == 0) return;
        // a flipped byte of the last proof's top sibling, and of the first proof's leaf
        bytes memory want = abi.encodeWithSelector(RiscvStep.BadMemoryProof.selector);
        bytes memory p2 = _copy(pr);
        p2[p2.length - 1] ^= 0x01;
        _expectRevert(
            e, a, ANYONE, abi.encodeCall(DisputeGame.step, (e.gid, turn, st, p2)), want, "step: flipped last proof byte"
        );
        p2 = _copy(pr);
        p2[31] ^= 0x80;
        _expectRevert(
            e, a, ANYONE, abi.encodeCall(DisputeGame.step, (e.gid, turn, st, p2)), want, "step: flipped fetch leaf byte"
        );
        // one byte short: BadProofsLength (its arguments depend on which proof is cut)
        p2 = new bytes(pr.length - 1);
        for (uint256 j = 0; j < p2.length; j++) {
            p2[j] = pr[j];
        }
        _expectRevertSelector(
            e,
            a,
            ANYONE,
            abi.encodeCall(DisputeGame.step, (e.gid, turn, st, p2)),
            RiscvStep.BadProofsLength.selector,
            "step: proofs one byte short"
        );
    }

    function _arm(Acc memory a, bytes memory cd, address from, uint256 i, uint256 kind) internal pure {
        a.genuine = cd;
        a.genuineFrom = from;
        a.genuineWhat = string.concat("move ", vm.toString(i), " (kind ", vm.toString(kind), ")");
    }

    /// @dev A tampered call reverted with an unexpected error: if the fixture's own move reverts too, that is
    ///      the failure to report (the tampered check merely ran first).
    function _tamperMismatch(Env memory e, Acc memory a, string memory what, bytes memory ret, bytes memory want)
        internal
    {
        vm.prank(a.genuineFrom);
        (bool ok, bytes memory gret) = address(e.game).call(a.genuine);
        if (!ok) revert(string.concat(a.genuineWhat, " reverted: ", _reason(gret)));
        revert(
            string.concat(
                "tampered move (", what, ") reverted with ", vm.toString(ret), ", expected ", vm.toString(want)
            )
        );
    }

    function _expectRevert(
        Env memory e,
        Acc memory a,
        address from,
        bytes memory cd,
        bytes memory want,
        string memory what
    ) internal {
        vm.prank(from);
        (bool ok, bytes memory ret) = address(e.game).call(cd);
        assertTrue(!ok, string.concat("tampered move did not revert: ", what));
        if (keccak256(ret) != keccak256(want)) _tamperMismatch(e, a, what, ret, want);
        a.tampers++;
    }

    function _expectRevertSelector(
        Env memory e,
        Acc memory a,
        address from,
        bytes memory cd,
        bytes4 want,
        string memory what
    ) internal {
        vm.prank(from);
        (bool ok, bytes memory ret) = address(e.game).call(cd);
        assertTrue(!ok, string.concat("tampered move did not revert: ", what));
        if (ret.length < 4 || bytes4(ret) != want) _tamperMismatch(e, a, what, ret, abi.encodePacked(want));
        a.tampers++;
    }

    // ================================================================= calls and gas

    /// @dev Calls `to` as `from` with cold contract storage; reverts with `what` and the revert data on failure.
    function _call(Env memory e, address to, address from, uint256 value, bytes memory cd, string memory what)
        internal
        returns (uint256 used, bytes memory ret)
    {
        vm.prank(from);
        vm.cool(address(e.game));
        vm.cool(address(e.tasks));
        vm.cool(address(e.registry));
        vm.cool(address(e.rs));
        bool ok;
        uint256 g0 = gasleft();
        // No return buffer inside the measured span: this frame's memory is large (every JSON cheatcode
        // call copies the fixture text into it), so expanding it would add a size-dependent cost.
        assembly ("memory-safe") {
            ok := call(gas(), to, value, add(cd, 32), mload(cd), 0, 0)
        }
        used = g0 - gasleft();
        ret = new bytes(_returnSize());
        assembly ("memory-safe") {
            returndatacopy(add(ret, 32), 0, mload(ret))
        }
        if (!ok) revert(string.concat(what, " reverted: ", _reason(ret)));
    }

    function _returnSize() internal pure returns (uint256 n) {
        assembly ("memory-safe") {
            n := returndatasize()
        }
    }

    function _account(Acc memory a, uint256 kind, uint256 used, bytes memory cd) internal pure {
        a.gas[kind] += used;
        a.count[kind] += 1;
        if (used > a.maxGas[kind]) a.maxGas[kind] = used;
        a.total += used;
        a.txTotal += _txGas(cd, used);
    }

    /// Gas of a transaction with this calldata and execution gas: max(21000 + 16/nonzero + 4/zero byte +
    /// execution, 21000 + 10 * (zero + 4 * nonzero)) (EIP-2028 and the EIP-7623 floor).
    function _txGas(bytes memory cd, uint256 execution) internal pure returns (uint256) {
        uint256 zeros;
        for (uint256 i = 0; i < cd.length; i++) {
            if (cd[i] == 0) zeros++;
        }
        uint256 nonzeros = cd.length - zeros;
        uint256 standard = 21000 + 16 * nonzeros + 4 * zeros + execution;
        uint256 floor = 21000 + 10 * (zeros + 4 * nonzeros);
        return standard > floor ? standard : floor;
    }

    // ================================================================= helpers

    function _kindNames() internal pure returns (string[7] memory) {
        return ["challenge", "bisect", "choose", "transition", "link", "claimFinal", "step"];
    }

    function _ceilLog(uint256 k, uint256 n) internal pure returns (uint256 r) {
        uint256 p = 1;
        while (p < n) {
            p *= k;
            r++;
        }
    }

    function _flip(bytes32 b) internal pure returns (bytes32) {
        return b ^ bytes32(uint256(1));
    }

    function _copy(bytes memory b) internal pure returns (bytes memory c) {
        c = new bytes(b.length);
        assembly ("memory-safe") {
            mcopy(add(c, 32), add(b, 32), mload(b))
        }
    }

    function _copy32(bytes32[] memory b) internal pure returns (bytes32[] memory c) {
        c = new bytes32[](b.length);
        for (uint256 i = 0; i < b.length; i++) {
            c[i] = b[i];
        }
    }

    function _setWord(bytes memory b, uint256 off, uint256 v) internal pure {
        assembly ("memory-safe") {
            mstore(add(add(b, 32), off), v)
        }
    }

    /// @dev The calldata without its selector.
    function _args(bytes memory cd) internal pure returns (bytes memory r) {
        r = new bytes(cd.length - 4);
        assembly ("memory-safe") {
            mcopy(add(r, 32), add(cd, 36), sub(mload(cd), 4))
        }
    }

    function _dirOf(string memory path) internal pure returns (string memory) {
        bytes memory b = bytes(path);
        uint256 cut = 0;
        for (uint256 i = 0; i < b.length; i++) {
            if (b[i] == "/") cut = i;
        }
        bytes memory d = new bytes(cut);
        for (uint256 i = 0; i < cut; i++) {
            d[i] = b[i];
        }
        return string(d);
    }

    /// @dev Name of a custom error of the contracts (Errors.sol, RiscvStep), "" if unknown.
    function _errName(bytes4 sel) internal pure returns (string memory) {
        if (sel == bytes4(keccak256("BadParameter(uint256)"))) return "BadParameter";
        if (sel == bytes4(keccak256("OnlyTasks()"))) return "OnlyTasks";
        if (sel == bytes4(keccak256("OnlyGame()"))) return "OnlyGame";
        if (sel == bytes4(keccak256("Reentrancy()"))) return "Reentrancy";
        if (sel == bytes4(keccak256("UnknownModel(uint256)"))) return "UnknownModel";
        if (sel == bytes4(keccak256("BadNodeCount(uint256)"))) return "BadNodeCount";
        if (sel == bytes4(keccak256("BadWeightCount(uint256)"))) return "BadWeightCount";
        if (sel == bytes4(keccak256("BadOutputNode(uint256,uint256)"))) return "BadOutputNode";
        if (sel == bytes4(keccak256("BadInputSizeLimit(uint256)"))) return "BadInputSizeLimit";
        if (sel == bytes4(keccak256("BadMaxNodeSteps(uint256)"))) return "BadMaxNodeSteps";
        if (sel == bytes4(keccak256("BadEntryPc(uint256)"))) return "BadEntryPc";
        if (sel == bytes4(keccak256("TensorTooLarge(uint256)"))) return "TensorTooLarge";
        if (sel == bytes4(keccak256("BadSiblingCount(uint256,uint256)"))) return "BadSiblingCount";
        if (sel == bytes4(keccak256("UnknownTask(uint256)"))) return "UnknownTask";
        if (sel == bytes4(keccak256("FeeTooLow(uint256,uint256)"))) return "FeeTooLow";
        if (sel == bytes4(keccak256("InputTooLarge(uint256,uint256)"))) return "InputTooLarge";
        if (sel == bytes4(keccak256("BadPasses(uint256,uint256)"))) return "BadPasses";
        if (sel == bytes4(keccak256("TaskNotOpen(uint256)"))) return "TaskNotOpen";
        if (sel == bytes4(keccak256("TaskNotSubmitted(uint256)"))) return "TaskNotSubmitted";
        if (sel == bytes4(keccak256("WrongBond(uint256,uint256)"))) return "WrongBond";
        if (sel == bytes4(keccak256("BadOutputSlotProof()"))) return "BadOutputSlotProof";
        if (sel == bytes4(keccak256("ChallengeWindowClosed(uint256)"))) return "ChallengeWindowClosed";
        if (sel == bytes4(keccak256("ChallengeWindowOpen(uint256)"))) return "ChallengeWindowOpen";
        if (sel == bytes4(keccak256("SelfChallenge()"))) return "SelfChallenge";
        if (sel == bytes4(keccak256("GamesOpen(uint256)"))) return "GamesOpen";
        if (sel == bytes4(keccak256("NothingToWithdraw()"))) return "NothingToWithdraw";
        if (sel == bytes4(keccak256("TransferFailed()"))) return "TransferFailed";
        if (sel == bytes4(keccak256("UnknownGame(uint256)"))) return "UnknownGame";
        if (sel == bytes4(keccak256("GameOver(uint256)"))) return "GameOver";
        if (sel == bytes4(keccak256("SubmissionNotPending(uint256)"))) return "SubmissionNotPending";
        if (sel == bytes4(keccak256("NotCancellable(uint256)"))) return "NotCancellable";
        if (sel == bytes4(keccak256("WrongTurn(uint256,uint256)"))) return "WrongTurn";
        if (sel == bytes4(keccak256("WrongStage(uint8)"))) return "WrongStage";
        if (sel == bytes4(keccak256("NotParticipant(address)"))) return "NotParticipant";
        if (sel == bytes4(keccak256("NotYourTurn(address)"))) return "NotYourTurn";
        if (sel == bytes4(keccak256("ClockExpired(uint256)"))) return "ClockExpired";
        if (sel == bytes4(keccak256("ClockNotExpired(uint256)"))) return "ClockNotExpired";
        if (sel == bytes4(keccak256("BadRootCount(uint256,uint256)"))) return "BadRootCount";
        if (sel == bytes4(keccak256("BadChoice(uint256,uint256)"))) return "BadChoice";
        if (sel == bytes4(keccak256("BadTransitionProof()"))) return "BadTransitionProof";
        if (sel == bytes4(keccak256("BadDescriptor()"))) return "BadDescriptor";
        if (sel == bytes4(keccak256("BadDescriptorProof()"))) return "BadDescriptorProof";
        if (sel == bytes4(keccak256("BadInputCount(uint256,uint256)"))) return "BadInputCount";
        if (sel == bytes4(keccak256("BadInputProof(uint256)"))) return "BadInputProof";
        if (sel == bytes4(keccak256("BadFinalStateLength(uint256)"))) return "BadFinalStateLength";
        if (sel == bytes4(keccak256("BadFinalState(uint256,uint256)"))) return "BadFinalState";
        if (sel == bytes4(keccak256("BadStepCount(uint256,uint256)"))) return "BadStepCount";
        if (sel == bytes4(keccak256("BadOutputProof()"))) return "BadOutputProof";
        if (sel == bytes4(keccak256("PreStateMismatch(bytes32,bytes32)"))) return "PreStateMismatch";
        if (sel == bytes4(keccak256("BadStateLength()"))) return "BadStateLength";
        if (sel == bytes4(keccak256("BadExitedFlag()"))) return "BadExitedFlag";
        if (sel == bytes4(keccak256("BadProofsLength(uint256,uint256)"))) return "BadProofsLength";
        if (sel == bytes4(keccak256("BadMemoryProof()"))) return "BadMemoryProof";
        return "";
    }

    /// @dev Error(string) → the string; a known custom error → its name and the hex revert data; else hex.
    function _reason(bytes memory err) internal pure returns (string memory) {
        if (err.length >= 68 && bytes4(err) == 0x08c379a0) return abi.decode(_args(err), (string));
        if (err.length == 0) return "(no revert data)";
        if (err.length >= 4) {
            string memory name = _errName(bytes4(err));
            if (bytes(name).length != 0) return string.concat(name, " ", vm.toString(err));
        }
        return vm.toString(err);
    }
}
