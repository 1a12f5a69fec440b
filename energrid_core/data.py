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
    _filled: int = 0  # how many slots of the ring hold a reading

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
            if self._filled < size:
                self._filled += 1

    def set_status(self, new_status: str) -> None:
        self.status = new_status

    def history(self) -> list[tuple[float, float]]:
        """Recent (timestamp, value) pairs, oldest first, at most history_len of them."""
        times, values = self._times, self._values
        if times is None or values is None:
            return []
        if self._filled < self.history_len:
            order = range(self._filled)
        else:
            order = [*range(self._next, self.history_len), *range(self._next)]
        return [(times[i], values[i]) for i in order]

    def export(self) -> dict:
        """The statistics and history as plain JSON-ready values (for the snapshot)."""
        pairs = self.history()
        times = [t for t, _ in pairs]
        values = [v for _, v in pairs]
        return {
            "last": self.last,
            "timestamp": self.timestamp,
            "count": self.count,
            "mean": self.mean,
            "min": self.min,
            "max": self.max,
            "status": self.status,
            "times": times,
            "values": values,
        }

    def restore(self, state: dict) -> None:
        """Take back what export() gave (history trimmed to this history_len)."""
        last, timestamp = state["last"], state["timestamp"]
        count, mean = int(state["count"]), float(state["mean"])
        low, high = float(state["min"]), float(state["max"])
        times = [float(t) for t in state["times"]]
        values = [float(v) for v in state["values"]]
        if len(times) != len(values):
            raise ValueError("history times and values differ in length")
        self.last = None if last is None else float(last)
        self.timestamp = None if timestamp is None else float(timestamp)
        self.count, self.mean, self.min, self.max = count, mean, low, high
        self.status = str(state.get("status", ""))
        self._times = self._values = None
        self._next = self._filled = 0
        keep = self.history_len
        if keep > 0 and times:
            kept = len(times[-keep:])
            self._times = array("d", times[-keep:] + [0.0] * (keep - kept))
            self._values = array("d", values[-keep:] + [0.0] * (keep - kept))
            self._filled = kept
            self._next = kept % keep
