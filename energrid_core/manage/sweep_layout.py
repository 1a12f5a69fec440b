"""The energy sweep's view of the grid as arrays: each house's segment of readings, table rows
and series codes (`Layout`), the houses of a sweep laid end to end (`Segments`), what a sweep
read under the server lock (`Gathered`), and the array steps that need no tracker.

energrid_core.manage.energy integrates on these; they are apart so that the tracker (a part on
the bus, its views and its saving) and the shape of its arrays each read on their own.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from energrid_core.data import Data
from energrid_core.manage import samples
from energrid_core.manage.energy_table import (
    DAY,
    LAST_T,
    LAST_W,
    SINCE,
    TODAY_IN,
    TODAY_OUT,
    TODAY_UNMEASURED,
    CounterTable,
)
from energrid_core.model import Supplier

Key = tuple[int, str, int]  # (house, "consumer" | "supplier" | "house" | "neighborhood", device)
SAMPLE_KINDS = samples.KINDS


@dataclass(slots=True, eq=False)
class Layout:
    """A house's devices as the sweep gathers them: the readings of its consumers and its
    meter, its suppliers, and its segment's table rows and series codes in the history
    (samples.code_of): consumers, suppliers, then the house itself (code 0). `shape` tells
    when to build it again; compared by identity (a list of them is compared each sweep)."""

    number: int
    shape: tuple[int, int, int, int]
    readings: list[Data]  # the consumers' current_a, then the house's meter_a
    suppliers: list[Supplier]
    slots: np.ndarray  # int rows
    codes: np.ndarray  # float codes, as packed


@dataclass(slots=True)
class Segments:
    """The houses of a sweep laid end to end, a segment each (consumers, suppliers, the house):
    what stays the same from sweep to sweep while the same houses are heard, so built again
    only when they change."""

    layouts: list[Layout]
    numbers: list[int]
    readings: list[Data]  # their readings end to end (consumers' and meters')
    suppliers: list[Supplier]
    slots: np.ndarray  # each element's row in the table
    window: slice | None  # the same rows when they follow each other: read and written in place
    codes: np.ndarray  # each element's series code (float, as packed)
    size: np.ndarray  # per house
    start: np.ndarray
    houses_at: np.ndarray  # each house's own element: its segment's last
    readings_at: np.ndarray | None  # where the readings go (None: everywhere, no suppliers)
    suppliers_at: np.ndarray
    is_consumer: np.ndarray
    is_supplier: np.ndarray
    is_device: np.ndarray

    @classmethod
    def of(cls, layouts: list[Layout]) -> Segments:
        size = np.array([len(lay.slots) for lay in layouts], dtype=np.intp)
        end = np.cumsum(size)
        start = end - size
        codes = np.concatenate([lay.codes for lay in layouts])
        slots = np.concatenate([lay.slots for lay in layouts])
        readings: list[Data] = []
        suppliers: list[Supplier] = []
        for lay in layouts:
            readings += lay.readings
            if lay.suppliers:
                suppliers += lay.suppliers
        first, last = int(slots[0]), int(slots[-1])
        window = None
        if last - first == len(slots) - 1 and bool((np.diff(slots) == 1).all()):
            window = slice(first, last + 1)
        kind = codes % 3
        is_supplier = kind == samples.SUPPLIER
        readings_at = suppliers_at = np.flatnonzero(is_supplier)
        readings_at = np.flatnonzero(~is_supplier) if len(suppliers_at) else None
        is_consumer = kind == samples.CONSUMER
        return cls(
            layouts,
            [lay.number for lay in layouts],
            readings,
            suppliers,
            slots,
            window,
            codes,
            size,
            start,
            end - 1,
            readings_at,
            suppliers_at,
            is_consumer,
            is_supplier,
            is_consumer | is_supplier,
        )

    def keys(self, elements: np.ndarray) -> list[Key]:
        """The counters' keys of these elements, found in one search: one numpy call per
        element cost ~10 µs each, paid by every device's first reading (100,000 of them in the
        first seconds of a 10,000-house grid)."""
        numbers = self.numbers
        at = np.searchsorted(self.houses_at, elements).tolist()
        codes = self.codes[elements].astype(int).tolist()
        return [
            (numbers[h], SAMPLE_KINDS[code % 3], code // 3)
            for h, code in zip(at, codes, strict=True)
        ]


@dataclass(slots=True)
class Gathered:
    """What a sweep read of its houses under the server lock, to integrate outside it: the
    readings' times and values in segment order (time 0: never heard), the suppliers' apart."""

    segments: Segments
    reading_t: list[float]  # 0: never heard
    reading_a: list[float]
    supplier_t: list[float]
    supplier_w: list[float]


def first_samples(
    table: CounterTable, rows: np.ndarray, t: np.ndarray, power: np.ndarray, day: float
) -> None:
    """EnergyCounter.add for counters never sampled, at once: today's values start again if
    the counter's day is another, then the sample is its first (`since`) and last, its power
    held; nothing is integrated (and the neighborhood's total takes nothing)."""
    if not len(rows):
        return
    data = table.rows
    other_day = rows[data[rows, DAY] != day]
    data[other_day, TODAY_IN] = data[other_day, TODAY_OUT] = 0.0
    data[other_day, TODAY_UNMEASURED] = 0.0
    data[rows, DAY] = day
    data[rows, SINCE] = t
    data[rows, LAST_T] = t
    data[rows, LAST_W] = power


def times(values: list[float]) -> np.ndarray:
    """Reading times as an array, 0 (never heard: no Unix time is 0) as NaN."""
    times = floats(values)
    times[times == 0.0] = np.nan
    return times


def floats(values: list[float | None]) -> np.ndarray:
    """Numbers as an array, None as NaN (through array('d') while there is no None: faster
    than numpy's own conversion of a list)."""
    try:
        return np.frombuffer(array("d", values))
    except TypeError:
        return np.array(values, dtype=float)
