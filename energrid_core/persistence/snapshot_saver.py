"""The readings' statistics saved in the store now and then, so that a restart keeps them.

A part of the server (events.Part): start() runs a thread of its own that saves a snapshot when
the interval has passed and some reading was applied since the last one; stop() ends the thread
and saves a last time. The grid is copied a slice of houses at a time under the server's lock
(readings get in between) and written outside it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from energrid_core.errors import StoreError
from energrid_core.lock_slices import locked_slices
from energrid_core.model import Neighborhood
from energrid_core.periodic import Periodic
from energrid_core.persistence import snapshot
from energrid_core.persistence.store import ReadingRow, Store

log = logging.getLogger("energrid.server")

SNAPSHOT_SLICE = 20  # houses copied per hold of the lock when saving statistics (~5 ms)


class SnapshotSaver:
    """Saves the grid's statistics every interval_s while readings come in, and at stop."""

    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        store: Store,
        applied: Callable[[], int],
        interval_s: float,
        poll_s: float,
        energy_rows: Callable[[], list[ReadingRow]] | None = None,
    ) -> None:
        """applied(): how many messages the ingest applied so far (a save is due only when it
        moved); poll_s: how often, once the interval has passed, to look again; energy_rows():
        the energy counters, saved with the statistics (docs/persistence.md)."""
        self.grid = grid
        self.lock = lock
        self.store = store
        self.applied = applied
        self.interval_s = interval_s
        self.poll_s = poll_s
        self.energy_rows = energy_rows
        self.saved_at = time.monotonic()  # when the last save was tried
        self._saved_applied = applied()
        self._failure: str | None = None  # said once, until a save works again
        # No subscriptions: the thread alone, its wait asked again after each round.
        self._rounds = Periodic(
            "energrid-snapshots",
            self._wait_s,
            self.tick,
            log,
            "readings statistics: snapshot round failed",
        )

    def start(self) -> SnapshotSaver:
        self._rounds.start()
        return self

    def stop(self) -> None:
        """End the thread, then save what the grid holds now (a failure is one line)."""
        self._rounds.stop()
        try:
            self.save()
        except StoreError as exc:
            log.warning("%s", exc)

    def _wait_s(self) -> float:
        left = self.interval_s - (time.monotonic() - self.saved_at)
        return max(self.poll_s, left)

    def tick(self) -> None:
        """Save if the interval has passed and a reading was applied since the last save."""
        due = time.monotonic() - self.saved_at >= self.interval_s
        if due and self.applied() != self._saved_applied:
            self._periodic()

    def _periodic(self) -> None:
        """A save that fails (a full disk) is said once, and tried again at the next interval:
        not at every round, and not in a traceback."""
        self.saved_at = time.monotonic()
        try:
            self.save()
        except StoreError as exc:
            if str(exc) != self._failure:
                log.warning(
                    "readings statistics not saved: %s; trying again every %g s",
                    exc,
                    self.interval_s,
                )
            self._failure = str(exc)
            return
        if self._failure is not None:
            log.info("readings statistics saved again")
            self._failure = None

    def save(self) -> int:
        """Save the readings' statistics now; returns how many devices had some.

        Only the copy is made under the lock, a slice of houses at a time (copying the whole
        grid at once held up readings for over a second at 100,000 devices); writing does not
        hold up readings. Readings applied meanwhile to a house already copied go into the
        next snapshot, which they make due.
        """
        with self.lock:
            applied = self.applied()
            numbers = list(self.grid.houses)
        rows: list[ReadingRow] = []
        for some in locked_slices(self.lock, numbers, SNAPSHOT_SLICE):
            chosen = (self.grid.houses.get(n) for n in some)
            # Encoded at once: bytes are not tracked by the garbage collector, whereas a copy
            # of the whole grid as dicts and lists made it walk them for 0.2 s.
            rows += snapshot.encode(snapshot.export_houses(h for h in chosen if h is not None))
        self.store.save_readings(rows)
        if self.energy_rows is not None:
            self.store.save_energy(self.energy_rows())
        self.saved_at = time.monotonic()
        self._saved_applied = applied
        return len(rows)
