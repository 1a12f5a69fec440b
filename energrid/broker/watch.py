"""Notices when the Mosquitto Energrid started dies while Energrid runs, restarts it a bounded
number of times, and says each time, in one line, what happened and where the broker's log is."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from energrid.broker.start import ManagedBroker
from energrid.shell.words import english
from energrid_core.errors import BrokerUnavailableError
from energrid_core.notes import NoteText

log = logging.getLogger("energrid.broker")


class BrokerWatch:
    """check() every period_s in a thread: restart a dead broker, at most max_restarts within
    window_s; after that, say that it is not restarted and stop watching."""

    def __init__(
        self,
        broker: ManagedBroker,
        report: Callable[[str], None],
        period_s: float = 0.5,
        max_restarts: int = 3,
        window_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.broker = broker
        self.report = report
        self.period_s = period_s
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.clock = clock
        self.gave_up = False
        self.restarts = 0
        self._recent: deque[float] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="energrid-broker-watch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before stopping the broker on purpose). Safe to call twice."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.check()
            except Exception:
                log.warning("watching the broker failed", exc_info=True)
            if self.gave_up:
                return

    def check(self) -> None:
        """One look: nothing to do while the broker runs."""
        broker = self.broker
        if self.gave_up or self._stop.is_set() or broker.running:
            return
        what = english("broker.what", pid=broker.last_pid, ended=broker.ended())
        where = english("broker.where", path=broker.log_path)
        now = self.clock()
        while self._recent and now - self._recent[0] > self.window_s:
            self._recent.popleft()
        if len(self._recent) >= self.max_restarts:
            self.gave_up = True
            n = len(self._recent)
            restarts = english("broker.restart.1" if n == 1 else "broker.restart.n", n=n)
            window_s = self.window_s
            said = "broker.not restarted"
            self._say(english(said, what=what, restarts=restarts, window_s=window_s, where=where))
            return
        self._recent.append(now)
        n, most = len(self._recent), self.max_restarts
        count = english("broker.count", n=n, most=most, window_s=self.window_s)
        try:
            broker.restart()
        except BrokerUnavailableError as exc:
            error = exc.note or str(exc)
            self._say(
                english("broker.restart failed", what=what, count=count, error=error, where=where)
            )
            return
        self.restarts += 1
        self._say(english("broker.restarted", what=what, pid=broker.pid, count=count, where=where))

    def _say(self, text: NoteText) -> None:
        """Its line: English text carrying its note, that the shell prints in its language."""
        log.debug("%s", text)
        self.report(text)
