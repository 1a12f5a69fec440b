"""Means of the raw tier's blocks, and one series read out of them.

The raw tier keeps each house's samples of a sweep as one packed block (energrid_core.manage.
samples), so SQL cannot average them: the history's roll does it here, once a minute for the
minute just closed. A house's blocks of a minute usually hold the same devices in the same order
(a board reports every device each second), and then each device's mean is the sum of a strided
slice of the joined blocks, done in C: about 20 us a house-minute, against 60 tuples and dict
updates per device in Python. Blocks that differ (a device silent for a while, one added) take
the slower path, per sample.
"""

from __future__ import annotations

from collections.abc import Iterable

from energrid_core.manage.samples import SAMPLE_BYTES, values_of

# house, kind, device, bucket start, mean watts: a row of the minute tier.
MeanRow = tuple[int, int, int, float, float]


def minute_means(rows: Iterable[tuple[int, float, bytes]], width_s: int) -> list[MeanRow]:
    """Means per series and bucket of width_s, a block going to the bucket of its own time."""
    groups: dict[tuple[int, int], list[bytes]] = {}
    for house, t, blob in rows:
        groups.setdefault((house, int(t // width_s) * width_s), []).append(blob)
    means: list[MeanRow] = []
    for (house, bucket), blobs in groups.items():
        _means_of(house, float(bucket), blobs, means)
    return means


def _means_of(house: int, bucket: float, blobs: list[bytes], out: list[MeanRow]) -> None:
    values = values_of(b"".join(blobs))
    codes = values[0::3]
    watts = values[2::3]
    width = len(blobs[0]) // SAMPLE_BYTES
    n = len(blobs)
    if width and len(codes) == width * n and codes == codes[:width] * n:  # one layout
        for i in range(width):
            code = int(codes[i])
            out.append((house, code % 3, code // 3, bucket, sum(watts[i::width]) / n))
        return
    sums: dict[int, list[float]] = {}
    for code, w in zip(codes, watts, strict=True):
        acc = sums.get(code)
        if acc is None:
            sums[code] = [w, 1.0]
        else:
            acc[0] += w
            acc[1] += 1.0
    for code, (total, count) in sums.items():
        c = int(code)
        out.append((house, c % 3, c // 3, bucket, total / count))


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
