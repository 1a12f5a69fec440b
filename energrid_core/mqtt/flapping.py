"""Noticing a connection that the broker keeps closing right after it opens.

Mosquitto closes an existing connection when another client connects with the same client id, and
2.0 does it without saying why. Two servers (or two shells) sharing a client id then take turns,
each seeing "Unspecified error" once a second. This tells the operator what is likely going on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FlapDetector:
    """Counts connections lost within `short_s` of being made; says so once at `limit` in a row."""

    short_s: float = 5.0
    limit: int = 3
    clock: Callable[[], float] = time.monotonic
    _connected_at: float | None = None
    _short_in_a_row: int = 0
    _told: bool = field(default=False)

    def connected(self) -> None:
        self._connected_at = self.clock()

    def interrupted(self) -> None:
        """A connection attempt failed: the broker was away, not taken by another client."""
        self._short_in_a_row = 0

    def lost(self) -> bool:
        """A connection was lost; True exactly when the operator should now be told."""
        started, self._connected_at = self._connected_at, None
        if started is None or self.clock() - started >= self.short_s:
            self._short_in_a_row = 0
            self._told = False
            return False
        self._short_in_a_row += 1
        if self._short_in_a_row >= self.limit and not self._told:
            self._told = True
            return True
        return False
