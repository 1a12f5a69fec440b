"""How many simulated boards are connected, said when it changes: at most one line per interval,
and never a stale one (a change inside the interval is said when the interval ends)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

log = logging.getLogger("energrid.sim")


def boards_connected(up: int, total: int) -> str:
    """'the board is connected', 'both boards are connected', '3 of 5 boards are connected'."""
    if up == total:
        if total == 1:
            return "the board is connected"
        return "both boards are connected" if total == 2 else f"all {total} boards are connected"
    if total == 1:
        return "the board is not connected"
    if up == 0:
        return "no board is connected"
    return f"{up} of {total} boards {'is' if up == 1 else 'are'} connected"


class ConnectionStatus:
    """Told of every connect and disconnect; logs the count of connected boards when it changed."""

    def __init__(
        self,
        total: int,
        address: str,
        count: Callable[[], int],
        interval_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.address = address
        self.interval_s = interval_s
        self.reported = 0  # the count last said (none connected before the start)
        self._count = count
        self._clock = clock
        self._said_at = -math.inf
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._closed = False

    def changed(self) -> None:
        """A board connected or disconnected: say it now, or when the interval ends."""
        with self._lock:
            if self._closed or self._timer is not None:
                return  # a report is due: it reads the count then
            wait_s = self._said_at + self.interval_s - self._clock()
            if wait_s > 0:
                self._timer = threading.Timer(wait_s, self.report)
                self._timer.daemon = True
                self._timer.start()
                return
        self.report()

    def report(self) -> None:
        """Say the count if it is not the one last said."""
        with self._lock:
            self._timer = None
            up = self._count()
            if self._closed or up == self.reported:
                return
            self.reported, self._said_at = up, self._clock()
        level = logging.INFO if up == self.total else logging.WARNING
        log.log(level, "simulated boards: %s to %s", boards_connected(up, self.total), self.address)

    def settle(self) -> int:
        """Take the count as said (by the caller, after the start); returns it."""
        with self._lock:
            self.reported, self._said_at = self._count(), self._clock()
            return self.reported

    def close(self) -> None:
        """Stopping: the boards disconnect on purpose, nothing more is said."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
