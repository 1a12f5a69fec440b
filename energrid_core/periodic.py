"""The lifecycle several parts of the server share: bus subscriptions plus a thread of their own.

The energy sweep, the history recorder, the InfluxDB export, the alarms and the shedding each
follow some bus events from start() to stop() and do a round of work every period on a daemon
thread (the snapshot saver too, with no events). One `Periodic` holds that for a part (the
subscriptions' undos, the stop event, the thread), so each part keeps only what is its own:
which events, which round, and what stop() does last (a final sweep, flush or save, or nothing).

A round that raises costs one warning line with its traceback, never the thread: the next
period tries again. `start(..., thread=False)` keeps the subscriptions without the thread, so
tests drive the rounds by hand with a clock of their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable


class Periodic:
    """A part's subscriptions and its thread calling `work()` every `period()` seconds."""

    def __init__(
        self,
        name: str,
        period: Callable[[], float],
        work: Callable[[], object],
        log: logging.Logger,
        failure: str,
        undo_after_join: bool = False,
    ) -> None:
        """period() is asked before each wait, so a part's setting changed at run time (or a wait
        that depends on the last round) takes effect at the next round. failure is the line logged
        when a round raises, on the part's own logger. undo_after_join: keep the subscriptions
        until the last round has finished, for a part whose round causes events it must itself
        hear (shedding's command comes back as CommandChanged); otherwise they are undone first,
        so nothing new lands while the part's final round (a sweep, a flush) takes what is left."""
        self.name = name
        self.period = period
        self.work = work
        self.log = log
        self.failure = failure
        self.undo_after_join = undo_after_join
        self.undo: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, undos: Iterable[Callable[[], None]] = (), thread: bool = True) -> None:
        """Keep the subscriptions' undos; with thread, start the rounds (once: a second start
        while the thread runs starts no other)."""
        self.undo.extend(undos)
        if thread and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Undo the subscriptions and end the thread, in the order undo_after_join says; the
        round in progress, if any, finishes first."""
        if not self.undo_after_join:
            self._unsubscribe()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.undo_after_join:
            self._unsubscribe()

    def _unsubscribe(self) -> None:
        while self.undo:
            self.undo.pop()()

    def _run(self) -> None:
        while not self._stop.wait(self.period()):
            try:
                self.work()
            except Exception:  # a bug costs one round, never the thread
                self.log.warning(self.failure, exc_info=True)
