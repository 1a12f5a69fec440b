"""One typed event bus: the server's parts tell each other what happened, and never call each other.

A part subscribes to an event type with a handler and keeps the function `subscribe()` returns,
which undoes it (its `stop()` calls them all). `publish()` calls the handlers of the event's exact
type in the publishing thread, in the order they subscribed; a handler that raises is logged and
the others still run, so a fault in one part never reaches paho's network thread.

Handlers are kept in tuples replaced on every (un)subscription: publishing reads one dictionary
entry and takes no lock, which keeps the per-reading path cheap.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from energrid_core.commands.command import Command, Phase
from energrid_core.notes import Note
from energrid_core.wire import CommandSeen, Decoded

log = logging.getLogger("energrid.events")

E = TypeVar("E")
Handler = Callable[[E], None]


@dataclass(frozen=True, slots=True)
class ReadingApplied:
    """A board's readings changed a house (`decoded` holds them)."""

    house: int
    decoded: Decoded


@dataclass(frozen=True, slots=True)
class WireCommand:
    """A command another client published on a command topic, applied to the grid (the
    device's commanded state). Apart from ReadingApplied: a reading's handlers need not look."""

    house: int
    command: CommandSeen


@dataclass(frozen=True, slots=True)
class CommandChanged:
    """A command moved to a new phase; `command` is a copy, `notice` the line for a person
    (str() of it in English; the shell says it in its language)."""

    command: Command
    previous: Phase | None
    notice: Note | None


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    connected: bool
    text: str


@dataclass(frozen=True, slots=True)
class PublishAcknowledged:
    """The broker answered a QoS 1 publish of ours (PUBACK), accepting it or not."""

    mid: int
    accepted: bool
    reason: str


class Part(Protocol):
    """A piece of the server that follows the bus from start() to stop() (the ledger, the state
    publisher): stop() undoes every subscription start() made."""

    def start(self) -> object: ...

    def stop(self) -> None: ...


class Bus:
    def __init__(self) -> None:
        self._handlers: dict[type, tuple[Callable[[object], None], ...]] = {}
        self._lock = threading.Lock()  # serialises (un)subscriptions only
        self.handler_errors = 0

    def subscribe(self, kind: type[E], handler: Handler[E]) -> Callable[[], None]:
        """Call handler(event) for every published event of type `kind`; returns the undo."""
        with self._lock:
            self._handlers[kind] = (*self._handlers.get(kind, ()), handler)

        def unsubscribe() -> None:
            with self._lock:
                left = list(self._handlers.get(kind, ()))
                if handler in left:
                    left.remove(handler)
                self._handlers[kind] = tuple(left)

        return unsubscribe

    def wanted(self, kind: type) -> bool:
        """Whether anyone listens: a publisher may skip building an event nobody reads."""
        return bool(self._handlers.get(kind))

    def publish(self, event: object) -> None:
        for handler in self._handlers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                self.handler_errors += 1
                log.exception("a handler of %s failed", type(event).__name__)
