// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Clock — chess-clock arithmetic of the dispute game (PROTOCOL §5.5).
/// @notice Each side has a remaining time that only runs during its turns. A turn that begins with
///         less than the floor (E, or 2E for a heavy turn) left is topped up to the floor.
library Clock {
    /// @notice The last second at which the side to move may still move: turnStart + remaining.
    function deadline(uint64 turnStart, uint64 remaining) internal pure returns (uint64) {
        return turnStart + remaining;
    }

    /// @notice Remaining time after a turn that began at `turnStart` and ends at `now_`
    ///         (the caller has checked now_ <= deadline, so this does not underflow).
    function charge(uint64 remaining, uint64 turnStart, uint64 now_) internal pure returns (uint64) {
        return remaining - (now_ - turnStart);
    }

    /// @notice The top-up rule: max(remaining, floor).
    function topUp(uint64 remaining, uint64 floor) internal pure returns (uint64) {
        return remaining < floor ? floor : remaining;
    }
}
