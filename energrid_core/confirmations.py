"""Did the device do what it was told? Commands wait for a reading that shows the new state.

After an on/off command, the device's next readings are watched: the command is *confirmed* when
one shows the commanded state (a consumer's `on`, a supplier's `load_on`), and *unconfirmed* when
none has by the deadline. Only the latest command per device is kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from energrid_core.state_topics import CONSUMER, SUPPLIER
from energrid_core.wire import Decoded

PENDING = "pending"
CONFIRMED = "confirmed"
UNCONFIRMED = "unconfirmed"

DeviceKey = tuple[int, str, int]  # (house, CONSUMER or SUPPLIER, device)


@dataclass(frozen=True, slots=True)
class Command:
    """One on/off command and what became of it. Times are the server clock's."""

    house: int
    kind: str
    device: int
    state: int
    sent_at: float
    timeout_s: float
    from_server: bool = True  # False: seen on the wire from another client (the VR one...)
    client: str | None = None  # the sending client's name, when it gave one
    status: str = PENDING
    resolved_at: float | None = None

    @property
    def deadline(self) -> float:
        return self.sent_at + self.timeout_s

    def describe(self) -> str:
        """One line for the operator: 'House 2 consumer 1 confirmed ON in 0.3 s'."""
        what = "load " if self.kind == SUPPLIER else ""
        word = "ON" if self.state else "OFF"
        head = f"House {self.house} {self.kind} {self.device}"
        if self.status == CONFIRMED and self.resolved_at is not None:
            text = f"{head} confirmed {what}{word} in {self.resolved_at - self.sent_at:.1f} s"
        elif self.status == UNCONFIRMED:
            text = f"{head} did not confirm {what}{word} within {self.timeout_s:g} s"
        else:
            text = f"{head}: waiting for {what}{word} to be confirmed"
        return text if self.from_server else f"{text} (command from another client)"


class Confirmations:
    """Pending commands and the last outcome per device. Thread-safe; checks are O(readings)."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.time) -> None:
        self.timeout_s = timeout_s
        self.clock = clock
        self._lock = threading.Lock()
        self._latest: dict[DeviceKey, Command] = {}
        self._pending: dict[int, dict[DeviceKey, Command]] = {}  # by house
        self._outcomes: list[Command] = []

    def expect(
        self,
        house: int,
        kind: str,
        device: int,
        state: int,
        from_server: bool = True,
        client: str | None = None,
    ) -> None:
        """A command went out (or was seen): wait for the device to show `state`."""
        key = (house, kind, device)
        command = Command(
            house, kind, device, state, self.clock(), self.timeout_s, from_server, client=client
        )
        with self._lock:
            self._latest[key] = command
            self._pending.setdefault(house, {})[key] = command

    def observe(self, house: int, decoded: Decoded) -> None:
        """Called with every applied message: a command seen, or readings that may confirm one."""
        command = decoded.command
        if command is not None:
            kind = SUPPLIER if command.supplier else CONSUMER
            self.expect(
                house, kind, command.device, command.state, from_server=False, client=command.client
            )
            return
        with self._lock:
            pending = self._pending.get(house)
            if not pending:
                return
            now = self.clock()
            for reading in decoded.consumers:
                self._confirm(pending, (house, CONSUMER, reading.device), reading.on, now)
            for supplied in decoded.suppliers:
                self._confirm(pending, (house, SUPPLIER, supplied.device), supplied.load_on, now)
            if not pending:
                del self._pending[house]

    def _confirm(
        self, pending: dict[DeviceKey, Command], key: DeviceKey, shown: bool | None, now: float
    ) -> None:
        command = pending.get(key)
        if command is None or shown is None or int(shown) != command.state:
            return
        self._resolve(pending, key, replace(command, status=CONFIRMED, resolved_at=now))

    def _resolve(self, pending: dict[DeviceKey, Command], key: DeviceKey, done: Command) -> None:
        del pending[key]
        self._latest[key] = done
        self._outcomes.append(done)

    def expire(self) -> list[int]:
        """Mark the commands past their deadline unconfirmed; returns the houses that changed."""
        now = self.clock()
        changed = []
        with self._lock:
            for house, pending in list(self._pending.items()):
                for key, command in list(pending.items()):
                    if command.deadline <= now:
                        self._resolve(pending, key, replace(command, status=UNCONFIRMED))
                        changed.append(house)
                if not pending:
                    del self._pending[house]
        return changed

    def next_deadline(self) -> float | None:
        with self._lock:
            deadlines = [c.deadline for p in self._pending.values() for c in p.values()]
        return min(deadlines, default=None)

    def take_outcomes(self) -> list[Command]:
        """Commands confirmed or timed out since the last call, oldest first."""
        with self._lock:
            outcomes, self._outcomes = self._outcomes, []
        return outcomes

    def latest(self, house: int, kind: str, device: int) -> Command | None:
        """The device's last command and its status, or None."""
        with self._lock:
            return self._latest.get((house, kind, device))

    def forget(self, house: int, kind: str | None = None, device: int | None = None) -> None:
        """Drop a removed house's commands (kind None) or one removed device's."""
        with self._lock:
            if kind is None:
                self._pending.pop(house, None)
                for key in [k for k in self._latest if k[0] == house]:
                    del self._latest[key]
                return
            key = (house, kind, device)
            self._latest.pop(key, None)
            pending = self._pending.get(house)
            if pending is not None:
                pending.pop(key, None)
                if not pending:
                    del self._pending[house]
