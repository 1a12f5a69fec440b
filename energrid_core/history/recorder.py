"""The part that records readings into the history: samples in, blocks out.

It hears the samples each energy sweep integrated (`EnergySampled`: every device's new
reading as watts and each house's net draw, at most one per device per sweep, 1 s, packed in
one block per house) and keeps the blocks in memory: nothing on paho's thread. A thread of its
own writes them every `flush_s` in one transaction, a row per block (the store adds them to
its minute sums then), and rolls the tiers every `roll_s`. At most one flush interval of
samples is lost by a crash; a clean stop writes what is pending. A restart mid-minute costs
nothing in the means: the store reads that minute's blocks back at the roll.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from energrid_core.errors import EnergridError
from energrid_core.history.sampled import SampledPart
from energrid_core.history.store import HistoryStore
from energrid_core.manage.samples import count

log = logging.getLogger("energrid.history")

MAX_PENDING = 200_000  # blocks kept when the disk cannot keep up (2 million samples or so)


class HistoryRecorder(SampledPart):
    def __init__(
        self,
        store: HistoryStore,
        clock: Callable[[], float],
        flush_s: float = 2.0,
        roll_s: float = 60.0,
    ) -> None:
        self.store = store
        self.clock = clock
        super().__init__("energrid-history", flush_s, self._round, log, "history writing failed")
        self.roll_s = roll_s
        self.dropped = 0  # samples
        self.written = 0  # samples
        self._next_roll = 0.0

    def flush(self) -> int:
        """Write what is pending in one transaction; returns how many samples."""
        lists = self.take()
        blocks = sum(len(one) for one in lists)
        while blocks > MAX_PENDING and len(lists) > 1:  # the disk cannot keep up: oldest go
            dropped = lists.pop(0)
            blocks -= len(dropped)
            self.dropped += count(dropped)
        if not blocks:
            return 0
        try:
            self.store.append_blocks(itertools.chain.from_iterable(lists))
        except EnergridError as exc:
            log.warning("%s (kept for the next try)", exc)
            self.pending.extendleft(reversed(lists))
            return 0
        written = sum(count(one) for one in lists)
        self.written += written
        return written

    def _round(self) -> None:
        """The thread's round: write what is pending, and roll the tiers when roll_s passed."""
        self.flush()
        now = self.clock()
        if now >= self._next_roll:
            self.store.roll(now)
            self._next_roll = now + self.roll_s
