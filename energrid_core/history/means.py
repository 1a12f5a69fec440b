"""Means of the raw tier's blocks, and one series read out of them.

The raw tier keeps each house's samples of a sweep as one packed block (energrid_core.manage.
samples), so SQL cannot average them. The roll's minute means come from sums the store keeps as
it writes (energrid_core.history.minute_sums); `minute_means` is for the minutes it did not see
whole, read back from the raw tier: the same sums on numpy arrays (~0.2 s for a minute of
10,000 houses x 10 devices, against ~0.4 s with a Python step per house-minute; reading the
600,000 blocks back costs ~0.4 s more), with a Python dict per sample left for blocks the
arrays cannot key (a negative house, an odd code).
"""

from __future__ import annotations

from collections.abc import Iterable

from energrid_core.history.minute_sums import MeanRow, MinuteSums
from energrid_core.manage.samples import values_of

__all__ = ["MeanRow", "first_in", "minute_means", "series_points"]


def minute_means(rows: Iterable[tuple[int, float, bytes]], width_s: int) -> list[MeanRow]:
    """Means per series and bucket of width_s, a block going to the bucket of its own time."""
    blocks = rows if isinstance(rows, list) else list(rows)
    sums = MinuteSums(width_s, kept=None)
    sums.add(blocks)
    means: list[MeanRow] = []
    for start in sorted(sums.buckets):
        means.extend(sums.means(start))
    if sums.spoiled:
        odd = [b for b in blocks if (b[1] // width_s) * width_s in sums.spoiled]
        means += _python_means(odd, width_s)
    return means


def _python_means(rows: list[tuple[int, float, bytes]], width_s: int) -> list[MeanRow]:
    """minute_means one sample at a time, for what the arrays cannot key."""
    sums: dict[tuple[int, float, float], list[float]] = {}
    for house, t, blob in rows:
        bucket = float(int(t // width_s) * width_s)
        values = values_of(blob)
        for code, w in zip(values[0::3], values[2::3], strict=True):
            acc = sums.get((house, bucket, code))
            if acc is None:
                sums[(house, bucket, code)] = [w, 1.0]
            else:
                acc[0] += w
                acc[1] += 1.0
    means: list[MeanRow] = []
    for (house, bucket, code), (total, count) in sums.items():
        c = int(code)
        means.append((house, c % 3, c // 3, bucket, total / count))
    return means


def series_points(
    rows: Iterable[tuple[float, bytes]], code: int, start: float, end: float, step_s: float
) -> list[tuple[float, float]]:
    """(bucket start, mean watts) every step_s from start to end for one series, from blocks;
    buckets without samples are left out. A sample's own time picks its bucket."""
    sums: dict[int, list[float]] = {}
    target = float(code)
    for t, blob in rows:
        values = values_of(blob)
        codes = values[0::3]
        at = 0
        while True:  # a series appears once in a block, but a block from tools may repeat it
            try:
                i = codes.index(target, at)
            except ValueError:
                break
            at = i + 1
            when = t + values[3 * i + 1]
            if not start <= when < end:
                continue
            k = int((when - start) / step_s)
            acc = sums.get(k)
            if acc is None:
                sums[k] = [values[3 * i + 2], 1.0]
            else:
                acc[0] += values[3 * i + 2]
                acc[1] += 1.0
    return [(start + k * step_s, total / count) for k, (total, count) in sorted(sums.items())]


def first_in(rows: Iterable[tuple[float, bytes]], code: int, since: float) -> float | None:
    """The time of the series' first sample at or after since, in blocks given in time order
    (a series' samples are in time order too: the sweep takes a device's newer readings only)."""
    target = float(code)
    for t, blob in rows:
        values = values_of(blob)
        for i, c in enumerate(values[0::3]):
            if c == target and t + values[3 * i + 1] >= since:
                return t + values[3 * i + 1]
    return None
