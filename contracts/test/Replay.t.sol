// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./utils/Vm.sol";
import {console} from "./utils/console.sol";
import {RiscvStep} from "../src/RiscvStep.sol";

/// @notice Replays the binary witness fixture written by `opml-node vm witness` (PROTOCOL §4.7):
///         records of u16 kind ‖ u16 proofsLength ‖ 170-byte state ‖ proofs ‖ 32-byte expected
///         post-state hash (big-endian lengths). Every record must give the expected hash; gas per
///         step is measured and its median / max printed per kind. The file is taken from env var
///         OPML_WITNESSES (default test/fixtures/witnesses.bin, relative to the project root);
///         the test is skipped when the file does not exist.
contract ReplayTest is TestBase {
    uint256 constant KINDS = 14;

    function _names() internal pure returns (string[14] memory) {
        return [
            "0 no-op (exited)",
            "1 LUI",
            "2 AUIPC",
            "3 JAL",
            "4 JALR",
            "5 branch",
            "6 load",
            "7 store",
            "8 OP-IMM",
            "9 OP",
            "10 M ext",
            "11 FENCE",
            "12 ECALL",
            "13 trap"
        ];
    }

    function test_ReplayWitnessFixture() public {
        string memory path = vm.envOr("OPML_WITNESSES", string("test/fixtures/witnesses.bin"));
        if (bytes(path).length == 0 || bytes(path)[0] != "/") {
            path = string.concat(vm.projectRoot(), "/", path);
        }
        if (!vm.exists(path)) {
            console.log(string.concat("witness fixture not found, skipping: ", path));
            vm.skip(true);
            return;
        }
        bytes memory data = vm.readFileBinary(path);
        RiscvStep rs = new RiscvStep();

        // Per kind: gas samples (execution gas of the external call, measured by the caller) and
        // the calldata gas of the transaction that would carry the witness.
        uint256[][14] memory gas;
        uint256[14] memory counts;
        uint256[14] memory maxCalldataGas;
        uint256 records = _count(data);
        for (uint256 k = 0; k < KINDS; k++) {
            gas[k] = new uint256[](records);
        }

        uint256 off = 0;
        uint256 n = 0;
        while (off < data.length) {
            require(off + 4 + 170 + 32 <= data.length, "truncated record header");
            uint256 kind = (uint256(uint8(data[off])) << 8) | uint8(data[off + 1]);
            uint256 plen = (uint256(uint8(data[off + 2])) << 8) | uint8(data[off + 3]);
            require(kind < KINDS, "unknown kind");
            require(off + 4 + 170 + plen + 32 <= data.length, "truncated record");
            bytes memory state = _slice(data, off + 4, 170);
            bytes memory proofs = _slice(data, off + 4 + 170, plen);
            bytes32 expected = _word(data, off + 4 + 170 + plen);
            off += 4 + 170 + plen + 32;

            uint256 g0 = gasleft();
            bytes32 got = rs.step(state, proofs);
            uint256 used = g0 - gasleft();
            if (got != expected) {
                revert(
                    string.concat(
                        "record ",
                        vm.toString(n),
                        " (kind ",
                        vm.toString(kind),
                        "): got ",
                        vm.toString(got),
                        " expected ",
                        vm.toString(expected)
                    )
                );
            }
            gas[kind][counts[kind]++] = used;
            uint256 cd = _calldataGas(abi.encodeCall(RiscvStep.step, (state, proofs)));
            if (cd > maxCalldataGas[kind]) maxCalldataGas[kind] = cd;
            n++;
        }

        console.log("replayed witness records", n);
        console.log("per kind: count, then median / max gas of the step call (caller-measured),");
        console.log("then max tx intrinsic gas = 21000 + 16/nonzero + 4/zero calldata byte");
        string[14] memory names = _names();
        for (uint256 k = 0; k < KINDS; k++) {
            if (counts[k] == 0) continue;
            uint256[] memory g = gas[k];
            assembly {
                mstore(g, mload(add(counts, mul(k, 32))))
            }
            _sort(g);
            console.log(string.concat("kind ", names[k], " count"), counts[k]);
            console.log("  step gas median, max", g[(g.length - 1) / 2], g[g.length - 1]);
            console.log("  tx intrinsic (max)", maxCalldataGas[k]);
        }
    }

    function _count(bytes memory data) internal pure returns (uint256 n) {
        uint256 off = 0;
        while (off + 4 <= data.length) {
            uint256 plen = (uint256(uint8(data[off + 2])) << 8) | uint8(data[off + 3]);
            off += 4 + 170 + plen + 32;
            n++;
        }
    }

    function _calldataGas(bytes memory cd) internal pure returns (uint256 g) {
        g = 21000;
        for (uint256 i = 0; i < cd.length; i++) {
            g += cd[i] == 0 ? 4 : 16;
        }
    }

    function _slice(bytes memory data, uint256 start, uint256 len) internal pure returns (bytes memory out) {
        out = new bytes(len);
        assembly ("memory-safe") {
            mcopy(add(out, 32), add(add(data, 32), start), len)
        }
    }

    function _word(bytes memory data, uint256 start) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 32), start))
        }
    }

    function _sort(uint256[] memory a) internal pure {
        // insertion sort; fixture sizes are small
        for (uint256 i = 1; i < a.length; i++) {
            uint256 v = a[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    }
}
