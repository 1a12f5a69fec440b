"""One sensor's readings: last value, running statistics in O(1), and a bounded history."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from math import inf


@dataclass(slots=True)
class Data:
    """Statistics of one quantity; update() costs the same whatever the number of readings.

    The history is a ring of the last `history_len` (timestamp, value) pairs, kept in two
    arrays of C doubles (16 bytes a reading) that are allocated on the first reading.
    """

    history_len: int = 60
    last: float | None = None
    timestamp: float | None = None
    count: int = 0
    mean: float = 0.0
    min: float = inf
    max: float = -inf
    status: str = ""
    _times: array | None = None
    _values: array | None = None
    _next: int = 0  # where the next reading goes in the ring

    def update(self, timestamp: float, value: float) -> None:
        self.last = value
        self.timestamp = timestamp
        count = self.count + 1
        self.count = count
        self.mean += (value - self.mean) / count
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        size = self.history_len
        if size > 0:
            values = self._values
            if values is None:
                self._times = array("d", bytes(8 * size))
                values = self._values = array("d", bytes(8 * size))
            slot = self._next
            self._times[slot] = timestamp  # type: ignore[index]
            values[slot] = value
            self._next = slot + 1 if slot + 1 < size else 0

    def set_status(self, new_status: str) -> None:
        self.status = new_status

    def history(self) -> list[tuple[float, float]]:
        """Recent (timestamp, value) pairs, oldest first, at most history_len of them."""
        times, values = self._times, self._values
        if times is None or values is None:
            return []
        if self.count < self.history_len:
            order = range(self.count)
        else:
            order = [*range(self._next, self.history_len), *range(self._next)]
        return [(times[i], values[i]) for i in order]

    def __repr__(self) -> str:
        if self.count == 0:
            return "Data(no readings)"
        return (
            f"Data(last={self.last:.3f}, mean={self.mean:.3f}, min={self.min:.3f}, "
            f"max={self.max:.3f}, count={self.count})"
        )
