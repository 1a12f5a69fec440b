"""Notices when the MQTT network thread has died, restarts it, and gives up after a few tries.

paho's thread dies when something raises past every guard (a BaseException, a bug in paho);
after that nothing is received and no reconnect happens, while is_connected() may still say
True. So the check is on the thread itself.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from energrid_core.notes import NoteText, note

log = logging.getLogger("energrid.watchdog")


@dataclass
class LoopWatchdog:
    """check() once per period: restart a dead loop, at most max_restarts within window_s."""

    is_alive: Callable[[], bool]
    restart: Callable[[], None]
    report: Callable[[str], None]
    max_restarts: int = 3
    window_s: float = 600.0
    clock: Callable[[], float] = time.monotonic
    failure: str | None = None
    _restarts: deque[float] = field(default_factory=deque)

    def check(self) -> bool:
        """True while the loop runs (or was just restarted); False once the watchdog gave up."""
        if self.failure is not None:
            return False
        if self.is_alive():
            return True
        now = self.clock()
        while self._restarts and now - self._restarts[0] > self.window_s:
            self._restarts.popleft()
        if len(self._restarts) >= self.max_restarts:
            times = len(self._restarts) + 1
            self.failure = NoteText(note("watchdog.gave up", times=times, window_s=self.window_s))
            log.error("%s", self.failure)
            self.report(self.failure)
            return False
        self._restarts.append(now)
        try:
            self.restart()
        except Exception as exc:
            self.failure = NoteText(note("watchdog.failed", error=str(exc)))
            log.error("%s", self.failure)
            self.report(self.failure)
            return False
        n, most = len(self._restarts), self.max_restarts
        text = NoteText(note("watchdog.restarted", n=n, most=most, window_s=self.window_s))
        log.warning("%s", text)
        self.report(text)
        return True
