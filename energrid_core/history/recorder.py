"""The part that records readings into the history: a few appends per message, a block a flush.

On every `ReadingApplied` it appends one sample per device the message carried (its power) and
one for the house (its net draw, as energy integrates it) to an in-memory list: no lock, no
query, no disk on paho's thread. A thread of its own writes the list every `flush_s` in one
transaction and rolls the tiers every `roll_s`. At most one flush interval of samples is lost
by a crash; a clean stop writes what is pending.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from energrid_core.energy import EnergyTracker
from energrid_core.errors import EnergridError
from energrid_core.events import Bus, ReadingApplied
from energrid_core.history.store import HistoryStore, Sample
from energrid_core.model import Neighborhood

log = logging.getLogger("energrid.history")

MAX_PENDING = 2_000_000  # samples kept when the disk cannot keep up; the oldest are dropped


class HistoryRecorder:
    def __init__(
        self,
        grid: Neighborhood,
        energy: EnergyTracker,
        store: HistoryStore,
        clock: Callable[[], float],
        flush_s: float = 2.0,
        roll_s: float = 60.0,
    ) -> None:
        self.grid = grid
        self.energy = energy  # a house's net draw, computed once per message by the energy part
        self.store = store
        self.clock = clock
        self.flush_s = flush_s
        self.roll_s = roll_s
        # A deque: appends on paho's thread and pops on the writer's need no lock of ours.
        self.pending: deque[Sample] = deque()
        self.dropped = 0
        self.written = 0
        self._undo: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_roll = 0.0

    def start(self, bus: Bus, thread: bool = True) -> None:
        self._undo.append(bus.subscribe(ReadingApplied, self.on_reading))
        if thread:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="energrid-history", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        while self._undo:
            self._undo.pop()()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()

    def on_reading(self, event: ReadingApplied) -> None:
        decoded = event.decoded
        if decoded.command is not None:
            return
        house = self.grid.houses.get(event.house)
        if house is None:
            return
        h, pending = event.house, self.pending
        volts = self.energy.mains_voltage_v
        for reading in decoded.consumers:
            consumer = house.consumers.get(reading.device)
            if consumer is not None and consumer.current_a.timestamp is not None:
                watts = (consumer.current_a.last or 0.0) * volts
                pending.append((h, "consumer", reading.device, consumer.current_a.timestamp, watts))
        for reading in decoded.suppliers:
            supplier = house.suppliers.get(reading.device)
            if supplier is not None and supplier.last_seen is not None:
                pending.append(
                    (h, "supplier", reading.device, supplier.last_seen, supplier.supply_w)
                )
        counter = self.energy.counters.get((h, "house", 0))
        if counter is not None and counter.last_t is not None:
            pending.append((h, "house", 0, counter.last_t, counter.last_w))

    def flush(self) -> int:
        """Write what is pending in one transaction; returns how many samples."""
        pending = self.pending
        block = [pending.popleft() for _ in range(len(pending))]
        if len(block) > MAX_PENDING:
            self.dropped += len(block) - MAX_PENDING
            block = block[-MAX_PENDING:]
        if not block:
            return 0
        try:
            self.store.append(block)
        except EnergridError as exc:
            log.warning("%s (kept for the next try)", exc)
            self.pending.extendleft(reversed(block))
            return 0
        self.written += len(block)
        return len(block)

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
                now = self.clock()
                if now >= self._next_roll:
                    self.store.roll(now)
                    self._next_roll = now + self.roll_s
            except Exception:
                log.warning("history writing failed", exc_info=True)
