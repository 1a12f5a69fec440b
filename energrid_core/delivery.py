"""Commands to devices: sent at once, or kept until the broker is back, never dropped silently.

Desired-state reconciliation rather than a queue of toggles: while the broker is down, each device
keeps only the latest command typed for it, with an expiry; on reconnect the ones still valid are
published, the others are reported as expired. A command counts as delivered when the broker
acknowledges it (PUBACK). Every command not yet acknowledged is also kept in the store (the
journal), so that one typed just before a crash is sent after the restart.

Locking: paho calls on_published while holding its own message lock, which publish() also takes.
So on_published never waits for our lock: it queues the acknowledgement, and whoever holds the
lock (or gets it next) processes it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from energrid_core.errors import BrokerUnavailableError
from energrid_core.store import Store

log = logging.getLogger("energrid.delivery")

Key = tuple[int, str, int]  # house, "consumer" | "supplier", device


class Outcome(Enum):
    SENT = "sent"  # handed to the connected client
    QUEUED = "queued"  # the broker is down: waits for it, until it expires
    DELIVERED = "delivered"  # the broker acknowledged it
    EXPIRED = "expired"  # the broker stayed down too long: not delivered
    REFUSED = "refused"  # the broker answered with an error (not authorized...)
    CANCELLED = "cancelled"  # the device was removed before the command could go out


@dataclass(frozen=True, slots=True)
class Command:
    house: int
    kind: str  # "consumer" or "supplier"
    device: int
    state: int  # 1 ON, 0 OFF
    topic: str
    created: float
    expires_at: float

    @property
    def key(self) -> Key:
        return (self.house, self.kind, self.device)

    def describe(self) -> str:
        name = "setConsumer" if self.kind == "consumer" else "setSupplier"
        return f"{name}({self.house}, {self.device}, {self.state})"


@dataclass(frozen=True, slots=True)
class CommandEvent:
    command: Command
    outcome: Outcome
    detail: str = ""
    waited: bool = False  # the command was queued or interrupted before this event


class Publisher(Protocol):
    @property
    def connected(self) -> bool: ...

    def publish(
        self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False, **kw: object
    ) -> int: ...


class Journal(Protocol):
    """Where commands not yet acknowledged are kept across restarts (the store)."""

    def save(self, command: Command) -> None: ...

    def forget(self, key: Key) -> None: ...


@dataclass(slots=True)
class _InFlight:
    command: Command
    waited: bool


Listener = Callable[[CommandEvent], None]


class Delivery:
    def __init__(
        self, publisher: Publisher, journal: Journal, clock: Callable[[], float], ttl_s: float
    ) -> None:
        self.publisher = publisher
        self.journal = journal
        self.clock = clock
        self.ttl_s = ttl_s
        self.listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._pending: dict[Key, Command] = {}
        self._inflight: dict[int, _InFlight] = {}
        self._inflight_key: dict[Key, int] = {}
        self._interrupted: set[int] = set()  # mids handed to paho before the last disconnect
        self._acks: deque[tuple[int, bool, str]] = deque()
        self.counts: dict[Outcome, int] = dict.fromkeys(Outcome, 0)

    def command(self, house: int, kind: str, device: int, state: int, topic: str) -> Command:
        now = self.clock()
        return Command(house, kind, device, state, topic, now, now + self.ttl_s)

    @property
    def pending(self) -> list[Command]:
        with self._lock:
            waiting = list(self._pending.values())
        self._drain()
        return waiting

    # --- operator side -------------------------------------------------------------------------

    def submit(self, command: Command) -> CommandEvent:
        """Send now, or keep until the broker is back; returns SENT or QUEUED.

        Raises StoreError (nothing changed) when the command cannot be journaled.
        """
        events: list[CommandEvent] = []
        with self._lock:
            self.journal.save(command)
            replaced = self._pending.pop(command.key, None)
            blocked = self._inflight_key.get(command.key) in self._interrupted
            if self.publisher.connected and not blocked:
                event = self._publish(command, waited=False)
            else:
                event = None
            if event is None:
                self._pending[command.key] = command
                detail = f"replaces the waiting {replaced.state}" if replaced else ""
                event = CommandEvent(command, Outcome.QUEUED, detail)
            events.append(event)
        self._emit(events)
        return event

    def restore(self, commands: list[Command]) -> None:
        """Commands journaled by an earlier run: they wait for the next connection."""
        with self._lock:
            for command in commands:
                self._pending[command.key] = command
        self._drain()

    def cancel(self, house: int, kind: str | None = None, device: int | None = None) -> None:
        """Drop what waits for a removed house or device (the store forgets it with the device)."""
        events = []
        with self._lock:
            for key in list(self._pending):
                if key[0] == house and kind in (None, key[1]) and device in (None, key[2]):
                    command = self._pending.pop(key)
                    events.append(CommandEvent(command, Outcome.CANCELLED, "device removed", True))
        self._emit(events)

    def expire(self) -> None:
        """Report waiting commands past their expiry as not delivered (called periodically)."""
        now = self.clock()
        events = []
        with self._lock:
            for key, command in list(self._pending.items()):
                if command.expires_at <= now:
                    del self._pending[key]
                    self._forget(key)
                    events.append(
                        CommandEvent(command, Outcome.EXPIRED, "the broker stayed down", True)
                    )
        self._emit(events)

    # --- client side (paho's network thread) --------------------------------------------------

    def on_connection(self, connected: bool, _text: str) -> None:
        if not connected:
            with self._lock:
                self._interrupted.update(self._inflight)
            self._drain()
            return
        self.expire()
        events = []
        with self._lock:
            for key, command in list(self._pending.items()):
                if self._inflight_key.get(key) in self._interrupted:
                    continue  # the client resends the older one first; ours follows its PUBACK
                event = self._publish(command, waited=True)
                if event is not None:
                    del self._pending[key]
                    events.append(event)
        self._emit(events)

    def on_published(self, mid: int, ok: bool, reason: str) -> None:
        self._acks.append((mid, ok, reason))
        self._drain()

    # --- internals -------------------------------------------------------------------------------

    def _publish(self, command: Command, waited: bool) -> CommandEvent | None:
        """Hand to the client; None when it is not connected after all. Holds the lock."""
        remaining = max(1, round(command.expires_at - self.clock()))
        try:
            mid = self.publisher.publish(
                command.topic, str(command.state), qos=1, expiry_s=remaining, prompt=True
            )
        except BrokerUnavailableError:
            return None
        self._inflight[mid] = _InFlight(command, waited)
        self._inflight_key[command.key] = mid
        return CommandEvent(command, Outcome.SENT, waited=waited)

    def _drain(self) -> None:
        """Process queued acknowledgements whenever the lock is free; never waits for it."""
        while self._acks and self._lock.acquire(blocking=False):
            try:
                events = self._process_acks()
            finally:
                self._lock.release()
            self._emit(events)

    def _process_acks(self) -> list[CommandEvent]:
        events = []
        while self._acks:
            mid, ok, reason = self._acks.popleft()
            entry = self._inflight.pop(mid, None)
            if entry is None:
                continue  # not a command (a state topic, say)
            command = entry.command
            waited = entry.waited or mid in self._interrupted
            self._interrupted.discard(mid)
            if self._inflight_key.get(command.key) == mid:
                del self._inflight_key[command.key]
                if command.key not in self._pending:
                    self._forget(command.key)
            outcome = Outcome.DELIVERED if ok else Outcome.REFUSED
            events.append(CommandEvent(command, outcome, reason, waited))
            newer = self._pending.get(command.key)
            if newer is not None and self.publisher.connected:
                sent = self._publish(newer, waited=True)
                if sent is not None:
                    del self._pending[command.key]
                    events.append(sent)
        return events

    def _forget(self, key: Key) -> None:
        try:
            self.journal.forget(key)
        except Exception:  # the store reports its own faults; a stale row expires on load
            log.warning("could not forget the command for %s in the store", key, exc_info=True)

    def _emit(self, events: list[CommandEvent]) -> None:
        for event in events:
            self.counts[event.outcome] += 1
            for listener in self.listeners:
                try:
                    listener(event)
                except Exception:
                    log.warning("command listener failed", exc_info=True)
        if self._acks:
            self._drain()


class StoreJournal:
    """The journal in the grid database, for one neighborhood."""

    def __init__(self, store: Store, neighborhood: int) -> None:
        self.store = store
        self.neighborhood = neighborhood

    def save(self, command: Command) -> None:
        c = command
        row = (c.house, c.kind, c.device, c.state, c.created, c.expires_at)
        self.store.save_pending(self.neighborhood, row)

    def forget(self, key: Key) -> None:
        self.store.delete_pending(self.neighborhood, *key)

    def load(self, topic_of: Callable[[int, str, int], str]) -> list[Command]:
        """Commands journaled by an earlier run, expired ones included."""
        return [
            Command(house, kind, device, state, topic_of(house, kind, device), created, expires)
            for house, kind, device, state, created, expires in self.store.pending(
                self.neighborhood
            )
        ]
