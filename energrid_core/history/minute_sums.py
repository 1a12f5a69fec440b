"""Sums and counts of the raw tier's samples per series and minute, kept on numpy arrays.

The roll turns each closed minute of blocks into one mean per series. Reading the minute's
blocks back and averaging them cost ~1-1.4 s of CPU a minute at 10,000 houses x 10 devices
(600,000 blocks, 0.4 s of it the means in Python), under the GIL the MQTT thread needs. So the
store adds each batch of blocks to these sums once it has written them (`add`: ~4 ms of numpy
for a sweep's 10,000 blocks, no Python step per block or sample) and the roll only divides
(`means`). The same class averages blocks read back from the raw tier
(energrid_core.history.means.minute_means), for the minutes the store did not see whole
(written before a restart, by another process, or by the migration).

A bucket is a block's own time floored to the minute (`np.floor_divide` floors floats exactly as
Python's `//`): all of a block's samples go to the minute of the sweep that packed them. Each
minute keeps a sum and a count per series, added with `np.add.at`, which adds one sample after
the other into the running sums, batch after batch: the float64 sums a Python loop over the
blocks in that order would make, not merely close ones. The usual ids (houses numbered from 1,
devices from 1 in each house) index a house x code table directly (`_Dense`); a house or code
too large for it turns the minute into sorted keys `house << 24 | code` found by binary search
(`_Sparse`, ~3 ms more a sweep of 10,000 houses; a block's codes are 32-bit floats, so whole
numbers below 2**24). A batch with anything the keys cannot hold (a negative house, a code not a
whole number in range) marks its minutes `spoiled`: their means come from the Python path, from
the blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter

import numpy as np

from energrid_core.manage.samples import SAMPLE_BYTES, Block

# house, kind, device, bucket start, mean watts: a row of the minute tier.
MeanRow = tuple[int, int, int, float, float]

CODE_BITS = 24
_CODE_MASK = (1 << CODE_BITS) - 1
_MAX_HOUSE = 1 << 39
KEPT_MINUTES = 4  # the newest kept when the roll does not come (~6 MB each at 10,000 houses)
DENSE_CELLS = 1 << 22  # a minute's house x code table at most (32 MiB of sums): else keyed


@dataclass
class _Sparse:
    """A minute's sums by sorted key: any house and code, a binary search per sample."""

    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # sorted, unique
    sums: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def add(self, house: np.ndarray, code: np.ndarray, watts: np.ndarray) -> None:
        keys = (house << CODE_BITS) | code
        at = np.searchsorted(self.keys, keys)
        inside = at < self.keys.size
        if not (inside.all() and (self.keys[at] == keys).all()):  # a series new this minute
            merged = np.union1d(self.keys, keys)
            moved = np.searchsorted(merged, self.keys)
            sums = np.zeros(merged.size, np.float64)
            counts = np.zeros(merged.size, np.int64)
            sums[moved] = self.sums
            counts[moved] = self.counts
            self.keys, self.sums, self.counts = merged, sums, counts
            at = np.searchsorted(merged, keys)
        np.add.at(self.sums, at, watts)
        np.add.at(self.counts, at, 1)

    def series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """houses, codes, sums, counts of the series with samples."""
        return self.keys >> CODE_BITS, self.keys & _CODE_MASK, self.sums, self.counts


@dataclass
class _Dense:
    """A minute's sums in a table of house x code: no search, for the usual small ids (houses
    numbered from 1, devices from 1 in each house)."""

    sums: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))

    def fits(self, house: np.ndarray, code: np.ndarray) -> bool:
        rows = max(self.sums.shape[0], int(house.max()) + 1)
        return rows * max(self.sums.shape[1], int(code.max()) + 1) <= DENSE_CELLS

    def add(self, house: np.ndarray, code: np.ndarray, watts: np.ndarray) -> None:
        rows, width = self.sums.shape
        need_rows, need_width = int(house.max()) + 1, int(code.max()) + 1
        if need_rows > rows or need_width > width:  # room for more, a quarter to spare
            grown = (max(rows, need_rows + need_rows // 4), max(width, need_width + 2))
            sums = np.zeros(grown, np.float64)
            counts = np.zeros(grown, np.int64)
            sums[:rows, :width] = self.sums
            counts[:rows, :width] = self.counts
            self.sums, self.counts = sums, counts
            width = grown[1]
        cell = house * width + code
        np.add.at(self.sums.reshape(-1), cell, watts)
        np.add.at(self.counts.reshape(-1), cell, 1)

    def series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """houses, codes, sums, counts of the series with samples."""
        house, code = np.nonzero(self.counts)
        sums, counts = self.sums[house, code], self.counts[house, code]
        return house.astype(np.int64), code.astype(np.int64), sums, counts

    def sparse(self) -> _Sparse:
        """The same sums keyed, once a house or code outgrows the table."""
        house, code, sums, counts = self.series()
        return _Sparse((house << CODE_BITS) | code, sums.copy(), counts.copy())


@dataclass
class _Bucket:
    sums: _Dense | _Sparse = field(default_factory=_Dense)

    def add(self, house: np.ndarray, code: np.ndarray, watts: np.ndarray) -> None:
        if isinstance(self.sums, _Dense) and not self.sums.fits(house, code):
            self.sums = self.sums.sparse()
        self.sums.add(house, code, watts)


class MinuteSums:
    """Per minute (bucket of width_s), per series: the sum and count of the samples added."""

    def __init__(self, width_s: int, kept: int | None = KEPT_MINUTES) -> None:
        """kept: the most buckets held, the oldest forgotten (None: all, to average a read)."""
        self.width_s = width_s
        self.kept = kept
        self.buckets: dict[float, _Bucket] = {}
        self.spoiled: set[float] = set()  # buckets to average in Python, from the blocks
        self.blocks: dict[float, int] = {}  # blocks added a bucket, spoiled ones too

    def add(self, blocks: list[Block]) -> None:
        """A batch of blocks (house, block time, packed samples), in the order written."""
        if not blocks:
            return
        # Columns by itemgetter: zip(*blocks) makes an iterator per block (~0.3 s a minute read
        # back).
        blobs = list(map(itemgetter(2), blocks))
        house_of_block = np.fromiter(map(itemgetter(0), blocks), np.int64, len(blocks))
        times = np.fromiter(map(itemgetter(1), blocks), np.float64, len(blocks))
        bucket_of_block = np.floor_divide(times, self.width_s) * self.width_s
        per_block = np.array(list(map(len, blobs)), np.int64) // SAMPLE_BYTES
        values = np.frombuffer(b"".join(blobs), "<f4").reshape(-1, 3)
        codes = values[:, 0]
        watts = values[:, 2].astype(np.float64)  # np.add.at casting float32 is ~30x slower
        house = np.repeat(house_of_block, per_block)
        code = codes.astype(np.int64)
        sane = bool(
            (code == codes).all()  # whole numbers (NaN and infinities are not)
            and code.min(initial=0) >= 0
            and code.max(initial=0) >> CODE_BITS == 0
            and house_of_block.min() >= 0
            and house_of_block.max() < _MAX_HOUSE
        )
        first = float(bucket_of_block.min())
        if first == bucket_of_block.max():  # the usual batch: a sweep or two of the same minute
            self._add_to(first, len(blocks), sane, house, code, watts)
            return
        firsts = np.unique(bucket_of_block)
        bucket = np.repeat(bucket_of_block, per_block)
        for start in firsts.tolist():  # an odd batch (a minute's end): sane or not as a whole
            mine = bucket == start
            blocks_in = int(np.count_nonzero(bucket_of_block == start))
            self._add_to(start, blocks_in, sane, house[mine], code[mine], watts[mine])

    def _add_to(
        self,
        start: float,
        blocks: int,
        sane: bool,
        house: np.ndarray,
        code: np.ndarray,
        watts: np.ndarray,
    ) -> None:
        self.blocks[start] = self.blocks.get(start, 0) + blocks
        if self.kept is not None and len(self.blocks) > self.kept:
            # No roll for minutes (failing): the roll reads the oldest back when it comes.
            oldest = min(self.blocks)
            del self.blocks[oldest]
            self.buckets.pop(oldest, None)
            self.spoiled.discard(oldest)
        if not sane:
            self.spoiled.add(start)
            self.buckets.pop(start, None)
        if start in self.spoiled:
            return
        one = self.buckets.setdefault(start, _Bucket())
        if house.size:
            one.add(house, code, watts)

    def means(self, start: float) -> Iterator[MeanRow]:
        """The means of the bucket starting at start (none if nothing was added to it), made
        one row at a time as they are written: 100,000 tuples in a list cost ~40 ms more, most
        of it the garbage collector looking at them."""
        one = self.buckets.get(start)
        if one is None:
            return iter(())
        house, code, sums, counts = one.sums.series()
        seen = counts > 0
        house, code = house[seen], code[seen]
        return zip(
            house.tolist(),
            (code % 3).tolist(),
            (code // 3).tolist(),
            repeat(float(start)),
            (sums[seen] / counts[seen]).tolist(),
        )

    def drop_before(self, t: float) -> None:
        """Forget the buckets starting before t (rolled already)."""
        for start in [s for s in self.blocks if s < t]:
            del self.blocks[start]
            self.buckets.pop(start, None)
        self.spoiled = {s for s in self.spoiled if s >= t}
