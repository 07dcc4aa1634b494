// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The few forge cheatcodes these tests use (forge-std is not a dependency).
interface Vm {
    function readFileBinary(string calldata path) external view returns (bytes memory data);
    function exists(string calldata path) external view returns (bool);
    function writeFileBinary(string calldata path, bytes calldata data) external;
    function projectRoot() external view returns (string memory path);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory value);
    function envOr(string calldata name, bool defaultValue) external view returns (bool value);
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;
    function skip(bool skipTest) external;
    function toString(uint256 value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function expectEmit() external;
    function cool(address target) external;

    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }

    /// @dev The gas of the last call made by the test, measured inside the callee's frame.
    function lastCallGas() external view returns (Gas memory gas);

    // JSON fixtures (test/dispute/FixtureGames.t.sol)
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function readFile(string calldata path) external view returns (string memory data);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function parseJsonStringArray(string calldata json, string calldata key) external pure returns (string[] memory);
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
}

/// @notice Minimal test base: `vm`, assertions (revert with a message) and console logging.
abstract contract TestBase {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert(what);
    }

    function assertNotEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a == b) revert(string.concat(what, ": both ", vm.toString(a)));
    }
}
