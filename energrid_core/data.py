"""One sensor's readings: last value, running statistics in O(1), and a bounded history."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import inf


@dataclass(slots=True)
class History:
    """A fixed-size ring of (timestamp, value) pairs, allocated on the first reading."""

    capacity: int
    _times: list[float] = field(default_factory=list)
    _values: list[float] = field(default_factory=list)
    _next: int = 0

    def append(self, timestamp: float, value: float) -> None:
        if self.capacity <= 0:
            return
        if len(self._values) < self.capacity:
            self._times.append(timestamp)
            self._values.append(value)
            return
        self._times[self._next] = timestamp
        self._values[self._next] = value
        self._next = (self._next + 1) % self.capacity

    def items(self) -> list[tuple[float, float]]:
        """Oldest first."""
        order = list(range(self._next, len(self._values))) + list(range(self._next))
        return [(self._times[i], self._values[i]) for i in order]

    def __len__(self) -> int:
        return len(self._values)


@dataclass(slots=True)
class Data:
    """Statistics of one quantity; update() costs the same whatever the number of readings."""

    history_len: int = 60
    last: float | None = None
    timestamp: float | None = None
    count: int = 0
    mean: float = 0.0
    min: float = inf
    max: float = -inf
    status: str = ""
    _history: History | None = None

    def update(self, timestamp: float, value: float) -> None:
        self.last = value
        self.timestamp = timestamp
        self.count += 1
        self.mean += (value - self.mean) / self.count
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        if self.history_len > 0:
            if self._history is None:
                self._history = History(self.history_len)
            self._history.append(timestamp, value)

    def set_status(self, new_status: str) -> None:
        self.status = new_status

    def history(self) -> list[tuple[float, float]]:
        """Recent (timestamp, value) pairs, oldest first, at most history_len of them."""
        return self._history.items() if self._history is not None else []

    def export(self) -> dict:
        """The statistics and history as plain JSON-ready values (for the snapshot)."""
        times: list[float] = []
        values: list[float] = []
        ring = self._history
        if ring is not None:  # oldest first: slices, no per-reading Python work
            times = ring._times[ring._next :] + ring._times[: ring._next]
            values = ring._values[ring._next :] + ring._values[: ring._next]
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
        self._history = None
        keep = self.history_len
        if keep > 0 and times:
            self._history = History(keep, times[-keep:], values[-keep:])
