"""Which consumer each bound plug feeds, looked up by the topics the plug reports on.

Thread-safe: the shell binds and unbinds while the MQTT thread looks topics up. Look-ups read
a dictionary that is replaced whole on every change, so they take no lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import ModuleType

from energrid_core.adapters.flavours import flavour

Key = tuple[int, int]  # house, consumer


@dataclass(slots=True)
class Binding:
    house: int
    consumer: int
    flavour: str
    device: str
    # What the plug said last, merged across its messages (power and relay come apart).
    power_w: float | None = None
    current_a: float | None = None
    on: bool | None = None
    online: bool | None = None
    energy_total_kwh: float | None = None
    wire: ModuleType = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.wire = flavour(self.flavour)

    @property
    def key(self) -> Key:
        return (self.house, self.consumer)

    def report_topics(self) -> tuple[str, ...]:
        return self.wire.report_topics(self.device)

    def describe(self) -> str:
        return f"{self.flavour} {self.device!r}"


class Bindings:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[Key, Binding] = {}
        self._by_topic: dict[str, Binding] = {}

    def add(self, binding: Binding) -> Binding | None:
        """Bind (replacing the consumer's earlier binding, returned)."""
        with self._lock:
            by_key = dict(self._by_key)
            old = by_key.get(binding.key)
            by_key[binding.key] = binding
            self._swap(by_key)
        return old

    def remove(self, house: int, consumer: int | None = None) -> list[Binding]:
        """Unbind one consumer, or (consumer None) every consumer of a house."""
        with self._lock:
            gone = [b for (h, c), b in self._by_key.items() if h == house and consumer in (None, c)]
            if gone:
                self._swap({k: b for k, b in self._by_key.items() if b not in gone})
        return gone

    def _swap(self, by_key: dict[Key, Binding]) -> None:
        self._by_key = by_key
        self._by_topic = {t: b for b in by_key.values() for t in b.report_topics()}

    def get(self, house: int, consumer: int) -> Binding | None:
        return self._by_key.get((house, consumer))

    def by_topic(self, topic: str) -> Binding | None:
        return self._by_topic.get(topic)

    def owner(self, flavour_name: str, device: str) -> Binding | None:
        """The binding of a device already bound somewhere (one plug feeds one consumer)."""
        for binding in self._by_key.values():
            if binding.flavour == flavour_name and binding.device == device:
                return binding
        return None

    def all(self) -> list[Binding]:
        return sorted(self._by_key.values(), key=lambda b: b.key)

    def __len__(self) -> int:
        return len(self._by_key)
