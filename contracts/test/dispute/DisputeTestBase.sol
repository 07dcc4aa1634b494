// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StepTestBase} from "../utils/StepTestBase.sol";
import {ModelRegistry} from "../../src/dispute/ModelRegistry.sol";
import {OpmlTasks} from "../../src/dispute/OpmlTasks.sol";
import {DisputeGame} from "../../src/dispute/DisputeGame.sol";
import {Game, Stage, Side, Parameters} from "../../src/lib/Types.sol";

/// @notice A self-consistent tiny opML scenario built in Solidity, independently of the contracts:
///         a 3-node graph run by a real 13-instruction RV32IM program, its slot roots and graph state
///         roots (own Merkle code), real VM traces (own interpreter, cross-checked step by step against
///         RiscvStep), and drivers that play the dispute game with honest or lying strategies.
///
///         Program (entry 0): out = in0[0] + in1[0] + params[0], read with lw from 0x20000000,
///         0x30000000 and 0x10000120, stored with sw at 0xA0000000, then exit 0 (a7 = 93).
///         Nodes: 0 = [TASK_INPUT, WEIGHT(0)] + 1; 1 = [NODE(0,0), NODE(2,1)] + 2;
///                2 = [NODE(1,0), WEIGHT(1), NODE(2,1)] + 3. Output node 2.
abstract contract DisputeTestBase is StepTestBase {
    uint256 internal constant WINDOW = 1 days;
    uint256 internal constant SUB_BOND = 1 ether;
    uint256 internal constant CH_BOND = 0.5 ether;
    uint64 internal constant CLOCK = 3 hours;
    uint64 internal constant EXT = 30 minutes;
    uint256 internal constant MIN_FEE = 0.1 ether;
    uint256 internal constant FEE = 0.2 ether;
    uint64 internal constant MAX_STEPS = 160; // ≥ 2k + 1 at k = 64: a claimed T may be any length up to it
    uint256 internal constant EXPIRY = 7 days;
    uint256 internal constant LOSS_BPS = 5_000;
    address internal constant LOSS_RECEIVER = address(0xDEAD);
    uint256 internal constant NODES = 3;
    uint256 internal constant T_PROGRAM = 13;
    uint256 internal constant STORE_STEP = 9; // index of the sw instruction

    address internal constant REQUESTER = address(0xA11CE);
    address internal constant SUBMITTER = address(0x5B5B);
    address internal constant CHALLENGER = address(0xC1C1);
    address internal constant CHALLENGER2 = address(0xC2C2);
    address internal constant ANYONE = address(0xE0E0);

    // challenger strategies
    uint8 internal constant CH_HONEST = 0;
    uint8 internal constant CH_FIRST = 1; // always sub-interval 0
    uint8 internal constant CH_LAST = 2; // always the last sub-interval
    // submitter phase-2 lies (when its out_j is false)
    uint8 internal constant LIE_FIRST = 1;
    uint8 internal constant LIE_MID = 2;
    uint8 internal constant LIE_LAST = 3;
    uint8 internal constant LIE_STORE = 4;

    ModelRegistry internal registry;
    OpmlTasks internal tasks;
    DisputeGame internal game;
    bytes32[33] internal ZH;

    bytes internal program;
    bytes32 internal programRoot;
    bytes[] internal descs;
    bytes32[] internal descRoots;
    bytes32 internal descriptorsRoot;
    bytes[] internal weights;
    bytes32[] internal weightRoots;
    bytes32 internal weightsRoot;
    bytes internal taskInput;
    uint256 internal modelId;
    // per node: input kinds, indices, lags; params[0]
    uint8[][] internal inKind;
    uint32[][] internal inIndex;
    uint32[][] internal inLag;
    uint32[] internal param;

    /// @dev The honest slot values of a task with passes() passes.
    uint32[] internal honest;

    function arity() internal view virtual returns (uint256) {
        return 2;
    }

    function passes() internal view virtual returns (uint32) {
        return 2;
    }

    function slots() internal view returns (uint256) {
        return uint256(passes()) * NODES;
    }

    function setUp() public virtual override {
        super.setUp();
        bytes32 z;
        for (uint256 h = 0; h <= 32; h++) {
            ZH[h] = z;
            z = keccak256(abi.encodePacked(z, z));
        }
        vm.warp(1_000_000);
        registry = new ModelRegistry();
        tasks = new OpmlTasks(registry, address(rs), params(arity(), MIN_FEE));
        game = tasks.game();
        _buildModel();
        vm.deal(REQUESTER, 100 ether);
        vm.deal(SUBMITTER, 100 ether);
        vm.deal(CHALLENGER, 100 ether);
        vm.deal(CHALLENGER2, 100 ether);
        vm.deal(ANYONE, 100 ether);
    }

    /// @dev The test deployment's parameters at arity k.
    function params(uint256 k, uint256 minFee) internal pure returns (Parameters memory p) {
        p = Parameters({
            challengeWindow: WINDOW,
            submitterBond: SUB_BOND,
            challengerBond: CH_BOND,
            k: k,
            clockBudget: CLOCK,
            extension: EXT,
            minFee: minFee,
            taskExpiry: EXPIRY,
            lossBps: LOSS_BPS,
            lossReceiver: LOSS_RECEIVER
        });
    }

    /// @dev What the challenger that rejects a submission is credited when `others` more games of it are open, and what
    ///      each of those is credited on cancel (PROTOCOL §5.6, written here independently of the contract).
    function rejectionPay(uint256 others) internal pure returns (uint256 winner, uint256 cancelled) {
        uint256 loss = (SUB_BOND * LOSS_BPS) / 10_000;
        uint256 rest = SUB_BOND - loss;
        uint256 each = others == 0 ? 0 : rest / 2 / others;
        if (each > CH_BOND) each = CH_BOND;
        winner = CH_BOND + rest - each * others;
        cancelled = CH_BOND + each;
    }

    /// @dev The roots of each game's last bisect, as a follower reads them from the Bisected event.
    mapping(uint256 => bytes32[]) internal lastPosted;

    /// @dev Bisect as `who`, remembering the roots for the next choose.
    function bisectAs(address who, uint256 gid, uint256 turn, bytes32[] memory roots) internal {
        lastPosted[gid] = roots;
        vm.prank(who);
        game.bisect(gid, turn, roots);
    }

    /// @dev Choose as `who` with the posted roots handed back.
    function chooseAs(address who, uint256 gid, uint256 turn, uint256 c) internal {
        bytes32[] memory posted = lastPosted[gid];
        vm.prank(who);
        game.choose(gid, turn, c, posted);
    }

    // ================================================================= Merkle (independent)

    function listRoot(bytes32[] memory leaves, uint256 depth) internal view returns (bytes32) {
        uint256 n = leaves.length;
        require(n <= 1 << depth, "listRoot: too many");
        if (n == 0) return ZH[depth];
        bytes32[] memory level = leaves;
        for (uint256 h = 0; h < depth; h++) {
            uint256 m = (n + 1) / 2;
            bytes32[] memory next = new bytes32[](m);
            for (uint256 i = 0; i < m; i++) {
                bytes32 r = 2 * i + 1 < n ? level[2 * i + 1] : ZH[h];
                next[i] = keccak256(abi.encodePacked(level[2 * i], r));
            }
            level = next;
            n = m;
        }
        return level[0];
    }

    /// @dev Siblings (bottom-up) of leaf `index` in the list padded with zeros to 2^depth.
    function listSiblings(bytes32[] memory leaves, uint256 index, uint256 depth)
        internal
        view
        returns (bytes32[] memory sib)
    {
        sib = new bytes32[](depth);
        bytes32[] memory level = leaves;
        uint256 n = leaves.length;
        for (uint256 h = 0; h < depth; h++) {
            uint256 s = index ^ 1;
            sib[h] = s < n ? level[s] : ZH[h];
            uint256 m = (n + 1) / 2;
            bytes32[] memory next = new bytes32[](m);
            for (uint256 i = 0; i < m; i++) {
                bytes32 r = 2 * i + 1 < n ? level[2 * i + 1] : ZH[h];
                next[i] = keccak256(abi.encodePacked(level[2 * i], r));
            }
            level = next;
            n = m;
            index >>= 1;
        }
    }

    function climb(bytes32 leaf, uint256 index, bytes32[] memory sib) internal pure returns (bytes32 r) {
        r = leaf;
        for (uint256 h = 0; h < sib.length; h++) {
            r = (index >> h) & 1 == 0 ? keccak256(abi.encodePacked(r, sib[h])) : keccak256(abi.encodePacked(sib[h], r));
        }
    }

    function toLeaves(bytes memory b) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[]((b.length + 31) / 32);
        for (uint256 i = 0; i < b.length; i++) {
            leaves[i / 32] |= bytes32(uint256(uint8(b[i])) << (8 * (31 - (i % 32))));
        }
    }

    function tensorRoot(bytes memory b) internal view returns (bytes32) {
        return listRoot(toLeaves(b), 23);
    }

    function prefix(bytes32[] memory a, uint256 n) internal pure returns (bytes32[] memory p) {
        p = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            p[i] = a[i];
        }
    }

    // ================================================================= encodings

    function le4(uint32 v) internal pure returns (bytes memory b) {
        b = new bytes(4);
        for (uint256 i = 0; i < 4; i++) {
            b[i] = bytes1(uint8(v >> (8 * i)));
        }
    }

    function putLE(bytes memory d, uint256 off, uint32 v) internal pure {
        for (uint256 i = 0; i < 4; i++) {
            d[off + i] = bytes1(uint8(v >> (8 * i)));
        }
    }

    function word0(bytes memory b) internal pure returns (uint32 v) {
        for (uint256 i = 0; i < 4 && i < b.length; i++) {
            v |= uint32(uint8(b[i])) << uint32(8 * i);
        }
    }

    function makeDesc(uint8[] memory kinds, uint32[] memory idx, uint32[] memory lags, uint32 p)
        internal
        pure
        returns (bytes memory d)
    {
        d = new bytes(352);
        d[0] = 0x4F;
        d[1] = 0x50;
        d[2] = 0x4D;
        d[3] = 0x4C;
        d[4] = 0x01;
        d[6] = 0x02; // Add (informative: the test program ignores the op)
        d[8] = bytes1(uint8(kinds.length));
        d[9] = 0x03; // I32
        d[10] = 0x01;
        d[12] = 0x01;
        for (uint256 i = 0; i < kinds.length; i++) {
            uint256 off = 32 + 32 * i;
            d[off] = bytes1(kinds[i]);
            d[off + 1] = 0x03;
            d[off + 2] = 0x01;
            putLE(d, off + 4, idx[i]);
            putLE(d, off + 8, lags[i]);
            d[off + 12] = 0x01;
        }
        putLE(d, 288, p);
    }

    function _node(uint8[3] memory k, uint32[3] memory ix, uint32[3] memory lg, uint256 n, uint32 p) internal {
        uint8[] memory kinds = new uint8[](n);
        uint32[] memory idx = new uint32[](n);
        uint32[] memory lags = new uint32[](n);
        for (uint256 i = 0; i < n; i++) {
            kinds[i] = k[i];
            idx[i] = ix[i];
            lags[i] = lg[i];
        }
        inKind.push(kinds);
        inIndex.push(idx);
        inLag.push(lags);
        param.push(p);
        bytes memory d = makeDesc(kinds, idx, lags, p);
        descs.push(d);
        descRoots.push(tensorRoot(d));
    }

    function programWords() internal pure returns (uint32[13] memory w) {
        w[0] = encU(0x20000, 5, 0x37); // lui x5, 0x20000
        w[1] = encI(0, 5, 2, 6, 0x03); // lw x6, 0(x5)
        w[2] = encU(0x30000, 5, 0x37);
        w[3] = encI(0, 5, 2, 7, 0x03); // lw x7, 0(x5)
        w[4] = encU(0x10000, 5, 0x37);
        w[5] = encI(288, 5, 2, 8, 0x03); // lw x8, 288(x5)  (params[0])
        w[6] = encR(0, 7, 6, 0, 6, 0x33); // add x6, x6, x7
        w[7] = encR(0, 8, 6, 0, 6, 0x33); // add x6, x6, x8
        w[8] = encU(0xA0000, 5, 0x37);
        w[9] = encS(0, 6, 5, 2); // sw x6, 0(x5)
        w[10] = encI(0, 0, 0, 10, 0x13); // addi a0, x0, 0
        w[11] = encI(93, 0, 0, 17, 0x13); // addi a7, x0, 93
        w[12] = 0x00000073; // ecall
    }

    function _buildModel() internal {
        uint32[13] memory w = programWords();
        program = new bytes(52);
        for (uint256 i = 0; i < 13; i++) {
            for (uint256 b = 0; b < 4; b++) {
                program[4 * i + b] = bytes1(uint8(w[i] >> (8 * b)));
            }
        }
        programRoot = tensorRoot(program);

        _node([uint8(2), 1, 0], [uint32(0), 0, 0], [uint32(0), 0, 0], 2, 1);
        _node([uint8(3), 3, 0], [uint32(0), 2, 0], [uint32(0), 1, 0], 2, 2);
        _node([uint8(3), 1, 3], [uint32(1), 1, 2], [uint32(0), 0, 1], 3, 3);
        descriptorsRoot = listRoot(descRoots, 16);

        weights.push(le4(10));
        bytes memory w1 = new bytes(64);
        putLE(w1, 0, 100);
        for (uint256 i = 4; i < 64; i++) {
            w1[i] = bytes1(uint8(i * 7));
        }
        weights.push(w1);
        for (uint256 i = 0; i < weights.length; i++) {
            weightRoots.push(tensorRoot(weights[i]));
        }
        weightsRoot = listRoot(weightRoots, 16);

        taskInput = new bytes(40);
        putLE(taskInput, 0, 5);
        for (uint256 i = 4; i < 40; i++) {
            taskInput[i] = bytes1(uint8(0x30 + i));
        }

        modelId =
            registry.register(programRoot, 0, descriptorsRoot, uint32(NODES), weightsRoot, 2, 2, 64, 64, MAX_STEPS);

        // honest slot values
        uint256 n = slots();
        for (uint256 g = 0; g < n; g++) {
            honest.push(0);
            uint256 j = g % NODES;
            uint32 v = param[j];
            for (uint256 i = 0; i < 2; i++) {
                unchecked {
                    v += word0(inputBytes(honest, g, i));
                }
            }
            honest[g] = v;
        }
    }

    /// @dev The bytes of input i of slot g given slot values `vals` (only slots < g are read).
    function inputBytes(uint32[] memory vals, uint256 g, uint256 i) internal view returns (bytes memory) {
        uint256 j = g % NODES;
        uint256 p = g / NODES;
        uint8 kind = inKind[j][i];
        if (kind == 1) return weights[inIndex[j][i]];
        if (kind == 2) return taskInput;
        uint256 lag = inLag[j][i];
        if (p < lag) return "";
        return le4(vals[(p - lag) * NODES + inIndex[j][i]]);
    }

    function slotRoots(uint32[] memory vals) internal view returns (bytes32[] memory r) {
        r = new bytes32[](vals.length);
        for (uint256 g = 0; g < vals.length; g++) {
            r[g] = tensorRoot(le4(vals[g]));
        }
    }

    /// @dev S_i over the slot roots r (GRAPH §3).
    function S(bytes32[] memory r, uint256 i) internal view returns (bytes32) {
        return listRoot(prefix(r, i), 32);
    }

    function honestVals() internal view returns (uint32[] memory v) {
        v = honest;
    }

    function liarVals(uint256 lieSlot) internal view returns (uint32[] memory v) {
        v = honestVals();
        unchecked {
            v[lieSlot] += 1;
        }
    }

    // ================================================================= VM memory (per region, dense)

    struct VmMem {
        bytes32[][16] leaves;
        bytes32[16] rroot;
    }

    function newVmMem() internal view returns (VmMem memory m) {
        for (uint256 r = 0; r < 16; r++) {
            m.leaves[r] = new bytes32[](0);
            m.rroot[r] = ZH[23];
        }
    }

    function loadRegion(VmMem memory m, uint256 r, bytes memory data) internal view {
        m.leaves[r] = toLeaves(data);
        m.rroot[r] = listRoot(m.leaves[r], 23);
    }

    function regionsRoot(bytes32[16] memory rr) internal pure returns (bytes32) {
        bytes32[16] memory l;
        for (uint256 i = 0; i < 16; i++) {
            l[i] = rr[i]; // a copy: memory assignment would alias
        }
        for (uint256 n = 16; n > 1; n /= 2) {
            for (uint256 i = 0; i < n / 2; i++) {
                l[i] = keccak256(abi.encodePacked(l[2 * i], l[2 * i + 1]));
            }
        }
        return l[0];
    }

    function regionSiblings(bytes32[16] memory rr, uint256 r) internal view returns (bytes32[] memory) {
        bytes32[] memory a = new bytes32[](16);
        for (uint256 i = 0; i < 16; i++) {
            a[i] = rr[i];
        }
        return listSiblings(a, r, 4);
    }

    function vmRoot(VmMem memory m) internal pure returns (bytes32) {
        return regionsRoot(m.rroot);
    }

    function vmLeaf(VmMem memory m, uint32 addr) internal pure returns (bytes32) {
        uint256 r = addr >> 28;
        uint256 inner = (addr & 0x0fffffff) >> 5;
        return inner < m.leaves[r].length ? m.leaves[r][inner] : bytes32(0);
    }

    function vmSetLeaf(VmMem memory m, uint32 addr, bytes32 v) internal view {
        uint256 r = addr >> 28;
        uint256 inner = (addr & 0x0fffffff) >> 5;
        if (inner >= m.leaves[r].length) {
            bytes32[] memory bigger = new bytes32[](inner + 1);
            for (uint256 i = 0; i < m.leaves[r].length; i++) {
                bigger[i] = m.leaves[r][i];
            }
            m.leaves[r] = bigger;
        }
        m.leaves[r][inner] = v;
        m.rroot[r] = listRoot(m.leaves[r], 23);
    }

    function vmReadWord(VmMem memory m, uint32 addr) internal pure returns (uint32 v) {
        bytes32 leaf = vmLeaf(m, addr);
        uint256 o = addr & 31;
        for (uint256 i = 0; i < 4; i++) {
            v |= uint32(uint8(leaf[o + i])) << uint32(8 * i);
        }
    }

    function vmWriteWord(VmMem memory m, uint32 addr, uint32 v) internal view {
        bytes32 leaf = vmLeaf(m, addr);
        uint256 o = addr & 31;
        for (uint256 i = 0; i < 4; i++) {
            uint256 sh = 8 * (31 - (o + i));
            leaf = bytes32((uint256(leaf) & ~(uint256(0xff) << sh)) | (uint256(uint8(v >> (8 * i))) << sh));
        }
        vmSetLeaf(m, addr, leaf);
    }

    /// @dev Depth-27 proof of the leaf holding addr (PROTOCOL §2.3): leaf ‖ 23 region siblings ‖ 4.
    function vmProof(VmMem memory m, uint32 addr) internal view returns (bytes memory p) {
        uint256 r = addr >> 28;
        uint256 inner = (addr & 0x0fffffff) >> 5;
        p = abi.encodePacked(vmLeaf(m, addr));
        bytes32[] memory a = listSiblings(m.leaves[r], inner, 23);
        bytes32[] memory b = regionSiblings(m.rroot, r);
        p = bytes.concat(p, abi.encodePacked(a), abi.encodePacked(b));
    }

    // ================================================================= slot traces

    struct Trace {
        uint256 T;
        bytes[] states; // 0..T
        bytes[] proofs; // 0..T-1
        bytes32[] hashes; // 0..T
        bytes32[16] finalRegions;
        bytes32[] outSiblings; // region 10 at depth 4 in the final memory
    }

    /// @dev The VM memory at the start of slot g (GRAPH §4), inputs from `vals`.
    function slotMemory(uint32[] memory vals, uint256 g) internal view returns (VmMem memory m) {
        m = newVmMem();
        loadRegion(m, 0, program);
        uint256 j = g % NODES;
        loadRegion(m, 1, descs[j]);
        for (uint256 i = 0; i < inKind[j].length; i++) {
            loadRegion(m, 2 + i, inputBytes(vals, g, i));
        }
    }

    /// @dev Runs slot g with the test's own interpreter (lui, addi, add, lw, sw, ecall), checking
    ///      every step's post-state hash against RiscvStep.
    function traceSlot(uint32[] memory vals, uint256 g) internal view returns (Trace memory t) {
        VmMem memory m = slotMemory(vals, g);
        State memory s = newState(0);
        t.states = new bytes[](MAX_STEPS + 1);
        t.proofs = new bytes[](MAX_STEPS);
        t.hashes = new bytes32[](MAX_STEPS + 1);
        uint256 i = 0;
        while (true) {
            s.memRoot = vmRoot(m);
            t.states[i] = encode(s);
            t.hashes[i] = hashOf(s);
            if (i > 0) assertEq(rs.step(t.states[i - 1], t.proofs[i - 1]), t.hashes[i], "trace step vs RiscvStep");
            if (s.exited != 0) break;
            require(i < MAX_STEPS, "trace too long");
            t.proofs[i] = _exec(s, m);
            i++;
        }
        t.T = i;
        require(s.exited == 1 && s.exitCode == 0, "slot program did not exit 0");
        t.finalRegions = m.rroot;
        t.outSiblings = regionSiblings(m.rroot, 10);
    }

    function _exec(State memory s, VmMem memory m) internal view returns (bytes memory proofs) {
        uint32 insn = vmReadWord(m, s.pc);
        proofs = vmProof(m, s.pc);
        uint32 op = insn & 0x7f;
        uint32 rd = (insn >> 7) & 31;
        uint32 rs1 = (insn >> 15) & 31;
        uint32 rs2 = (insn >> 20) & 31;
        uint32 immI = uint32(int32(insn) >> 20);
        uint32 v;
        bool wr = true;
        unchecked {
            if (op == 0x37) {
                v = insn & 0xfffff000;
            } else if (op == 0x13) {
                v = s.x[rs1] + immI;
            } else if (op == 0x33) {
                v = s.x[rs1] + s.x[rs2];
            } else if (op == 0x03) {
                uint32 addr = s.x[rs1] + immI;
                proofs = bytes.concat(proofs, vmProof(m, addr));
                v = vmReadWord(m, addr);
            } else if (op == 0x23) {
                uint32 immS = uint32((int32(insn) >> 25) << 5) | ((insn >> 7) & 31);
                uint32 addr = s.x[rs1] + immS;
                proofs = bytes.concat(proofs, vmProof(m, addr));
                vmWriteWord(m, addr, s.x[rs2]);
                wr = false;
            } else if (insn == 0x73) {
                require(s.x[17] == 93, "ecall");
                s.exited = 1;
                s.exitCode = uint8(s.x[10]);
                wr = false;
            } else {
                revert("test interpreter: unsupported instruction");
            }
            if (wr && rd != 0) s.x[rd] = v;
            s.pc += 4;
            s.step += 1;
        }
    }

    /// @dev PROTOCOL §4.2 hash of a 170-byte state with its memRoot replaced.
    function hashWithRoot(bytes memory st, bytes32 root) internal pure returns (bytes32) {
        bytes memory c = bytes.concat(root, _slice(st, 32, 170));
        uint8 exited = uint8(c[168]);
        uint8 code = uint8(c[169]);
        uint256 status = exited == 0 ? 3 : exited == 1 ? (code == 0 ? 0 : 1) : 2;
        return bytes32((uint256(keccak256(c)) & (type(uint256).max >> 8)) | (status << 248));
    }

    function withRoot(bytes memory st, bytes32 root) internal pure returns (bytes memory) {
        return bytes.concat(root, _slice(st, 32, 170));
    }

    function _slice(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes memory r) {
        r = new bytes(to - from);
        for (uint256 i = from; i < to; i++) {
            r[i - from] = b[i];
        }
    }

    // ================================================================= players

    /// @dev One side-by-side play: the submitter's claimed slot values and phase-2 lie, the
    ///      challenger's strategy. Honest beliefs are `honest` and the true trace.
    struct Play {
        uint256 gameId;
        address challenger;
        uint32[] subVals;
        bytes32[] subRoots; // slot roots of subVals
        bytes32[] trueRoots;
        uint8 lie; // phase-2 lie mode when out_j is false
        uint8 strategy;
        bool traced;
        Trace tr; // true trace of slot j
        bytes32 fakeMemRoot; // final memory root with the submitter's region 10
    }

    function newPlay(uint256 gameId, address challenger, uint32[] memory subVals, uint8 lie, uint8 strategy)
        internal
        view
        returns (Play memory pl)
    {
        pl.gameId = gameId;
        pl.challenger = challenger;
        pl.subVals = subVals;
        pl.subRoots = slotRoots(subVals);
        pl.trueRoots = slotRoots(honestVals());
        pl.lie = lie;
        pl.strategy = strategy;
    }

    function g_(uint256 id) internal view returns (Game memory) {
        return game.game(id);
    }

    function splitPts(uint256 lo, uint256 hi) internal view returns (uint256[] memory p) {
        uint256 len = hi - lo;
        uint256 m = len < arity() ? len : arity();
        p = new uint256[](m + 1);
        for (uint256 i = 0; i <= m; i++) {
            p[i] = lo + (i * len) / m;
        }
    }

    // ---- the submitter's claims
    function subSlotRoot(Play memory pl, uint256 i) internal view returns (bytes32) {
        return S(pl.subRoots, i);
    }

    function ensureTrace(Play memory pl) internal view {
        if (pl.traced) return;
        uint256 j = g_(pl.gameId).slot;
        pl.tr = traceSlot(honestVals(), j);
        bytes32[16] memory rr;
        for (uint256 r = 0; r < 16; r++) {
            rr[r] = pl.tr.finalRegions[r];
        }
        rr[10] = tensorRoot(le4(pl.subVals[j]));
        pl.fakeMemRoot = regionsRoot(rr);
        pl.traced = true;
    }

    function lying(Play memory pl) internal view returns (bool) {
        uint256 j = g_(pl.gameId).slot;
        return pl.subVals[j] != honest[j];
    }

    function subStepHash(Play memory pl, uint256 i) internal view returns (bytes32) {
        ensureTrace(pl);
        Trace memory t = pl.tr;
        if (!lying(pl)) return t.hashes[i];
        uint256 x = pl.lie == LIE_FIRST ? 1 : pl.lie == LIE_MID ? t.T / 2 : pl.lie == LIE_LAST ? t.T : STORE_STEP + 1;
        if (i < x) return t.hashes[i];
        if (i == t.T || pl.lie == LIE_STORE) return hashWithRoot(t.states[i], pl.fakeMemRoot);
        return keccak256(abi.encodePacked("junk", i));
    }

    function subRootAt(Play memory pl, Stage st, uint256 i) internal view returns (bytes32) {
        return st == Stage.Slots ? subSlotRoot(pl, i) : subStepHash(pl, i);
    }

    function trueRootAt(Play memory pl, Stage st, uint256 i) internal view returns (bytes32) {
        if (st == Stage.Slots) return S(pl.trueRoots, i);
        ensureTrace(pl);
        return pl.tr.hashes[i];
    }

    // ---- moves
    function doBisect(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        uint256[] memory p = splitPts(g.lo, g.hi);
        bytes32[] memory roots = new bytes32[](p.length - 2);
        for (uint256 i = 1; i + 1 < p.length; i++) {
            roots[i - 1] = subRootAt(pl, g.stage, p[i]);
        }
        bisectAs(g.submitter, pl.gameId, g.moves, roots);
    }

    function pickChoice(Play memory pl) internal view returns (uint256 c) {
        Game memory g = g_(pl.gameId);
        uint256[] memory p = splitPts(g.lo, g.hi);
        uint256 m = p.length - 1;
        if (pl.strategy == CH_FIRST) return 0;
        if (pl.strategy == CH_LAST) return m - 1;
        bytes32[] memory posted = lastPosted[pl.gameId];
        for (c = 0; c + 1 < m; c++) {
            if (posted[c] != trueRootAt(pl, g.stage, p[c + 1])) return c;
        }
        return m - 1;
    }

    function doChoose(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        uint256 c = pickChoice(pl);
        chooseAs(pl.challenger, pl.gameId, g.moves, c);
    }

    function transitionSiblings(Play memory pl) internal view returns (bytes32 outRoot, bytes32[] memory sib) {
        uint256 j = g_(pl.gameId).slot;
        outRoot = pl.subRoots[j];
        sib = listSiblings(prefix(pl.subRoots, j), j, 32);
    }

    function doTransition(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        (bytes32 outRoot, bytes32[] memory sib) = transitionSiblings(pl);
        vm.prank(g.submitter);
        game.proveTransition(pl.gameId, g.moves, outRoot, sib);
    }

    struct LinkArgs {
        bytes descriptor;
        bytes32[] descriptorProof;
        bytes32[] inputRoots;
        bytes32[][] inputProofs;
    }

    function linkArgs(Play memory pl) internal view returns (LinkArgs memory a) {
        uint256 g = g_(pl.gameId).slot;
        uint256 j = g % NODES;
        uint256 p = g / NODES;
        a.descriptor = descs[j];
        a.descriptorProof = listSiblings(descRoots, j, 16);
        uint256 n = inKind[j].length;
        a.inputRoots = new bytes32[](n);
        a.inputProofs = new bytes32[][](n);
        bytes32[] memory known = prefix(pl.subRoots, g); // S_j as the submitter sees it (agreed)
        for (uint256 i = 0; i < n; i++) {
            uint8 kind = inKind[j][i];
            if (kind == 1) {
                a.inputRoots[i] = weightRoots[inIndex[j][i]];
                a.inputProofs[i] = listSiblings(weightRoots, inIndex[j][i], 16);
            } else if (kind == 2) {
                a.inputRoots[i] = tensorRoot(taskInput);
            } else if (p < inLag[j][i]) {
                a.inputRoots[i] = ZH[23];
            } else {
                uint256 src = (p - inLag[j][i]) * NODES + inIndex[j][i];
                a.inputRoots[i] = known[src];
                a.inputProofs[i] = listSiblings(known, src, 32);
            }
        }
    }

    function doLink(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        LinkArgs memory a = linkArgs(pl);
        vm.prank(g.submitter);
        game.link(pl.gameId, g.moves, a.descriptor, a.descriptorProof, a.inputRoots, a.inputProofs);
    }

    function finalClaim(Play memory pl) internal view returns (bytes memory st, bytes32[] memory proof) {
        ensureTrace(pl);
        st = pl.tr.states[pl.tr.T];
        if (lying(pl)) st = withRoot(st, pl.fakeMemRoot);
        proof = pl.tr.outSiblings;
    }

    function doClaimFinal(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        (bytes memory st, bytes32[] memory proof) = finalClaim(pl);
        vm.prank(g.submitter);
        game.claimFinal(pl.gameId, g.moves, st, proof);
    }

    function doStep(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        ensureTrace(pl);
        vm.prank(ANYONE);
        game.step(pl.gameId, g.moves, pl.tr.states[g.lo], pl.tr.proofs[g.lo]);
    }

    /// @dev One move by whoever is to move, per the play.
    function move(Play memory pl) internal {
        Game memory g = g_(pl.gameId);
        Stage st = g.stage;
        if (st == Stage.Slots || st == Stage.Steps) {
            if (g.toMove == Side.Submitter) doBisect(pl);
            else doChoose(pl);
        } else if (st == Stage.Transition) {
            doTransition(pl);
        } else if (st == Stage.Link) {
            doLink(pl);
        } else if (st == Stage.Final) {
            doClaimFinal(pl);
        } else if (st == Stage.Step) {
            doStep(pl);
        } else {
            revert("move: game over");
        }
    }

    /// @dev `move` via a self-call, so that the move's own view calls do not consume expectRevert.
    function moveExternal(Play memory pl) external {
        move(pl);
    }

    function expectMoveReverts(Play memory pl, bytes memory err) internal {
        (bool ok, bytes memory ret) = address(this).call(abi.encodeCall(this.moveExternal, (pl)));
        assertTrue(!ok, "move should revert");
        assertEq(keccak256(ret), keccak256(err), "revert data");
    }

    function playOut(Play memory pl) internal returns (Side) {
        for (uint256 i = 0; i < 200; i++) {
            Stage st = g_(pl.gameId).stage;
            if (st == Stage.Resolved || st == Stage.Cancelled) break;
            move(pl);
        }
        return g_(pl.gameId).winner;
    }

    /// @dev Plays until the game is at `stage` with `side` to move (or over).
    function playUntil(Play memory pl, Stage stage, Side side) internal {
        for (uint256 i = 0; i < 200; i++) {
            Game memory g = g_(pl.gameId);
            if (g.stage == stage && g.toMove == side) return;
            require(g.stage != Stage.Resolved && g.stage != Stage.Cancelled, "playUntil: over");
            move(pl);
        }
        revert("playUntil: not reached");
    }

    // ================================================================= task helpers

    function requestTask() internal returns (uint256 taskId) {
        vm.prank(REQUESTER);
        taskId = tasks.request{value: FEE}(modelId, taskInput, passes());
    }

    function outputSlot() internal view returns (uint256) {
        return slots() - NODES + 2;
    }

    function submitVals(uint256 taskId, address who, uint32[] memory vals) internal returns (uint256 sid) {
        bytes32[] memory r = slotRoots(vals);
        uint256 o = outputSlot();
        bytes32[] memory proof = listSiblings(r, o, 32);
        vm.prank(who);
        sid = tasks.submit{value: SUB_BOND}(taskId, le4(vals[o]), S(r, r.length), proof);
    }

    function challengeTask(uint256 taskId, address who) internal returns (uint256 gid) {
        vm.prank(who);
        gid = tasks.challenge{value: CH_BOND}(taskId);
    }

    function withdrawAll(address who) internal returns (uint256 got) {
        uint256 before = who.balance;
        vm.prank(who);
        tasks.withdraw();
        got = who.balance - before;
    }
}
