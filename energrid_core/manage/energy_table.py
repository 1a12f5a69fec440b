"""The energy counters as one table of floats: a row per counter, a column per field.

The energy sweep integrates every device's new reading each second: 110,000 of them at 10,000
houses of 10 devices. As one EnergyCounter object each, stepped in a Python loop, that cost
~100 ms of CPU a sweep, taken from the MQTT thread under the GIL. As rows of one numpy array,
the sweep gathers its rows at once, steps them all with a few array operations, and writes
them back (energrid_core.manage.energy).

A row holds EnergyCounter's fields in their order; NaN stands for None (`since` and `last_t`
before the first sample). The table grows by doubling; a removed device's row is reused.
Readers get a counter as an EnergyCounter built from its row (`CounterMap`): a copy as of
the read, to look at, never to change; only the sweep and restore write rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import fields
from typing import TypeVar

import numpy as np

from energrid_core.manage.energy_counter import EnergyCounter

K = TypeVar("K")

FIELDS = tuple(spec.name for spec in fields(EnergyCounter))
(IN, OUT, TODAY_IN, TODAY_OUT, UNMEASURED, TODAY_UNMEASURED, DAY, SINCE, LAST_T, LAST_W) = range(
    len(FIELDS)
)
assert FIELDS[SINCE] == "since" and FIELDS[LAST_T] == "last_t" and FIELDS[LAST_W] == "last_w"
NAN = math.nan


class CounterTable:
    """Rows of counters in one float64 array (`rows`, replaced when it grows)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.rows = self._blank(capacity)
        self._used = 0  # rows [0, _used) were handed out once
        self._free: list[int] = []

    @staticmethod
    def _blank(capacity: int) -> np.ndarray:
        rows = np.zeros((capacity, len(FIELDS)))
        rows[:, SINCE] = rows[:, LAST_T] = NAN  # EnergyCounter()'s None
        return rows

    def new(self) -> int:
        """A row holding a new counter (all zeros, never sampled)."""
        if self._free:
            return self._free.pop()
        slot = self._used
        if slot == len(self.rows):
            grown = self._blank(2 * len(self.rows))
            grown[:slot] = self.rows
            self.rows = grown  # readers holding the old array read it as it was
        self._used = slot + 1
        return slot

    def free(self, slot: int) -> None:
        """Give a row back: it is blanked now, handed out again by new()."""
        self.rows[slot] = self._blank(1)[0]
        self._free.append(slot)

    def counter(self, slot: int) -> EnergyCounter:
        """The row as an EnergyCounter (a copy)."""
        values = self.rows[slot].tolist()
        if values[SINCE] != values[SINCE]:
            values[SINCE] = None
        if values[LAST_T] != values[LAST_T]:
            values[LAST_T] = None
        return EnergyCounter(*values)

    def write(self, slot: int, counter: EnergyCounter) -> None:
        """Store an EnergyCounter's fields in the row."""
        since, last_t = counter.since, counter.last_t
        self.rows[slot] = (
            counter.in_wh,
            counter.out_wh,
            counter.today_in_wh,
            counter.today_out_wh,
            counter.unmeasured_s,
            counter.today_unmeasured_s,
            counter.day_start,
            NAN if since is None else since,
            NAN if last_t is None else last_t,
            counter.last_w,
        )

    def field(self, slot: int, column: int) -> float | None:
        """One field of a row, without building a counter (None for NaN)."""
        value = float(self.rows[slot, column])
        return None if value != value else value


class CounterMap(Mapping[K, EnergyCounter]):
    """The counters by key as readers know them: each one an EnergyCounter built from its row
    when read. `slots` (key -> row) is the tracker's to change."""

    def __init__(self, table: CounterTable) -> None:
        self.table = table
        self.slots: dict[K, int] = {}

    def __getitem__(self, key: K) -> EnergyCounter:
        return self.table.counter(self.slots[key])

    def __contains__(self, key: object) -> bool:
        return key in self.slots

    def __iter__(self) -> Iterator[K]:
        return iter(list(self.slots))

    def __len__(self) -> int:
        return len(self.slots)
