"""Counters of what the server received, applied and rejected, by reason."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    timestamp: float
    topic: str
    reason: str
    detail: str


@dataclass
class IngestStats:
    """Written by the MQTT thread only; read by the shell under the server's lock."""

    recent_len: int = 10
    messages_received: int = 0
    messages_applied: int = 0
    readings_applied: int = 0
    commands_seen: int = 0
    callback_errors: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    skipped_readings: Counter[str] = field(default_factory=Counter)
    recent: deque[RejectedMessage] = field(init=False)

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.recent_len)

    def reject(self, timestamp: float, topic: str, reason: str, detail: str) -> None:
        self.rejected[reason] += 1
        self.recent.append(RejectedMessage(timestamp, topic[:120], reason, detail[:200]))

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def snapshot(self) -> IngestStats:
        """A copy the shell can print without holding the lock."""
        copy = IngestStats(self.recent_len)
        for name in (
            "messages_received",
            "messages_applied",
            "readings_applied",
            "commands_seen",
            "callback_errors",
        ):
            setattr(copy, name, getattr(self, name))
        copy.rejected = Counter(self.rejected)
        copy.skipped_readings = Counter(self.skipped_readings)
        copy.recent.extend(self.recent)
        return copy
