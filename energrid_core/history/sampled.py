"""What the history recorder and the InfluxDB export share: each energy sweep's blocks taken off
the bus and handled on a thread of their own every `flush_s`.

The sweep's thread only appends its blocks to a deque (no lock of ours, one operation a sweep);
the part's thread takes them all at each round; a clean stop handles what is left.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from energrid_core.events import Bus
from energrid_core.manage.energy import EnergySampled
from energrid_core.manage.samples import Block
from energrid_core.periodic import Periodic


class SampledPart:
    """A part fed EnergySampled; subclasses say what `flush` does with `take()`'s blocks."""

    def __init__(
        self,
        name: str,
        flush_s: float,
        round_: Callable[[], object],
        log: logging.Logger,
        failure: str,
    ) -> None:
        self.flush_s = flush_s
        self.pending: deque[list[Block]] = deque()  # each sweep's blocks, as they came
        self._rounds = Periodic(name, lambda: self.flush_s, round_, log, failure)

    def start(self, bus: Bus, thread: bool = True) -> None:
        self._rounds.start([bus.subscribe(EnergySampled, self.on_samples)], thread)

    def stop(self) -> None:
        self._rounds.stop()
        self.flush()

    def on_samples(self, event: EnergySampled) -> None:
        self.pending.append(event.blocks)

    def take(self) -> list[list[Block]]:
        """Every sweep's blocks waiting, oldest first, taken off the queue."""
        pending = self.pending
        return [pending.popleft() for _ in range(len(pending))]

    def flush(self) -> int:
        raise NotImplementedError
