"""The command ledger: every on/off command's one record, from typed to settled (see command.py).

Desired state, reconciled. A command says what the device should be. It is sent at once, or kept
while the broker is down (only the latest per device). Once the broker acknowledged it (PUBACK),
the device's readings are watched: one showing the commanded state confirms it. While the device
shows the other state, the command is sent again, with back-off (`confirm_timeout_s`, doubling, at
most `MAX_BACKOFF_S` apart), and at once when the device comes back after `offline_after_s` of
silence. It stops when the device obeys, when the time to live (`ttl_s`) runs out (then it is
unconfirmed, and the mismatch is shown), or when a newer command for the device is seen, whoever
sent it: the newer one always wins.

After a restart. Commands journaled by an earlier run are sent only once the broker has had
`RESTORE_SETTLE_S` after the connection to hand over what it kept for Energrid's session: a command
for the same device among those was published while Energrid was away, so after the journaled one
was typed, and it supersedes it (docs/protocol.md, "Commands").

Threads. The operator submits; paho's network thread reports connections, acknowledgements and
readings; the ledger's own thread runs the one clock (expiry, back-off, the restore settle) and
does every resend, so the network thread never publishes from a reading. paho calls on_published
while holding its own message lock, which publish() also takes: the acknowledgement is queued and
processed by whoever holds the ledger's lock or gets it next, never waited for.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

from energrid_core.commands.command import Command, Key, Phase, notice
from energrid_core.errors import BrokerUnavailableError
from energrid_core.events import (
    Bus,
    CommandChanged,
    ConnectionChanged,
    PublishAcknowledged,
    ReadingApplied,
    WireCommand,
)
from energrid_core.model import DeviceKind
from energrid_core.notes import Note, note

log = logging.getLogger("energrid.commands")

CONSUMER, SUPPLIER = DeviceKind.CONSUMER, DeviceKind.SUPPLIER
MAX_BACKOFF_S = 60.0
RESTORE_SETTLE_S = 1.0
MAX_WAIT_S = 1.0

DEVICE_REMOVED = note("detail.removed")


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


class Ledger:
    def __init__(
        self,
        publisher: Publisher,
        journal: Journal,
        bus: Bus,
        clock: Callable[[], float],
        *,
        ttl_s: float,
        confirm_timeout_s: float,
        offline_after_s: float,
    ) -> None:
        self.publisher = publisher
        self.journal = journal
        self.bus = bus
        self.clock = clock
        self.ttl_s = ttl_s
        self.confirm_timeout_s = confirm_timeout_s
        self.offline_after_s = offline_after_s
        self.counts: dict[Phase, int] = dict.fromkeys(Phase, 0)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._latest: dict[Key, Command] = {}  # every device's last command, settled or not
        self._watched: dict[int, dict[Key, Command]] = {}  # sent, unsettled: by house
        self._queued: dict[Key, Command] = {}
        self._inflight: dict[int, Command] = {}  # by message id
        self._inflight_key: dict[Key, int] = {}
        self._interrupted: set[int] = set()  # mids handed to paho before the last disconnect
        self._acks: deque[PublishAcknowledged] = deque()
        self._resend: set[Key] = set()  # due now: the thread sends them
        self._restore_at: float | None = None  # journaled commands go out from then on
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._undo: list[Callable[[], None]] = []

    # --- life --------------------------------------------------------------------------------

    def follow(self) -> None:
        """Hear of the connection, acknowledgements, readings and wire commands (stop() undoes)."""
        self._undo = [
            self.bus.subscribe(ConnectionChanged, self.on_connection),
            self.bus.subscribe(PublishAcknowledged, self.on_published),
            self.bus.subscribe(ReadingApplied, self.on_reading),
            self.bus.subscribe(WireCommand, self.on_wire_command),
        ]

    def start(self) -> Ledger:
        self.follow()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="energrid-commands", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for undo in self._undo:
            undo()
        self._undo = []
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                wait = self._next_wait()
                if wait > 0:
                    self._wake.wait(wait)
                if self._stopping:
                    return
            try:
                self.tick()
            except Exception:  # a bug costs one round, never the thread
                log.exception("command ledger round failed")

    # --- what others read ----------------------------------------------------------------------

    def new(self, house: int, kind: DeviceKind, device: int, state: int, topic: str) -> Command:
        now = self.clock()
        return Command(house, kind, device, state, topic, now, now + self.ttl_s)

    def latest(self, house: int, kind: DeviceKind, device: int) -> Command | None:
        """A copy of the device's last command (its phase says what became of it), or None."""
        with self._lock:
            found = self._latest.get((house, kind, device))
            return None if found is None else found.copy()

    @property
    def pending(self) -> list[Command]:
        """Copies of the commands waiting for the broker."""
        with self._lock:
            waiting = [c.copy() for c in self._queued.values()]
        self._drain()
        return waiting

    # --- the operator's side -----------------------------------------------------------------

    def submit(self, command: Command, heard_at: float | None = None) -> Command:
        """Send now, or keep until the broker is back; returns a copy, SENT or QUEUED.

        heard_at: when the device was last heard from (a device silent since then gets the next
        send at once when it is back). Raises StoreError (nothing changed) when the command
        cannot be journaled.
        """
        events: list[CommandChanged] = []
        with self._lock:
            self.journal.save(command)
            command.heard_at = heard_at
            older = self._latest.get(command.key)
            if older is not None and older.phase is Phase.QUEUED:
                command.detail = note("detail.replaces", state=older.state)
            self._supersede(command.key, "", events, forget=False)  # its row is replaced
            self._latest[command.key] = command
            blocked = self._inflight_key.get(command.key) in self._interrupted
            if not (self.publisher.connected and not blocked and self._send(command, events)):
                self._queue(command, events)
            result = command.copy()
        self._emit(events)
        return result

    def restore(self, commands: list[Command]) -> None:
        """Commands journaled by an earlier run: they wait for the connection and its settle."""
        with self._lock:
            for command in commands:
                command.restored = command.waited = True
                self._latest[command.key] = command
                self._queued[command.key] = command

    def cancel(
        self,
        house: int,
        kind: DeviceKind | None = None,
        device: int | None = None,
        why: Note | str = DEVICE_REMOVED,
    ) -> None:
        """A house or device was removed, or another device now stands behind it (a plug bound
        to a consumer): its commands end, and are no longer worked on."""
        events: list[CommandChanged] = []
        with self._lock:
            for key in [k for k in self._latest if k[0] == house and kind in (None, k[1])]:
                if device in (None, key[2]):
                    command = self._latest.pop(key)
                    if not command.phase.final:
                        self._end(command, Phase.CANCELLED, why, events)
        self._emit(events)

    # --- the network thread's side -----------------------------------------------------------

    def on_connection(self, event: ConnectionChanged) -> None:
        events: list[CommandChanged] = []
        with self._lock:
            if not event.connected:
                self._interrupted.update(self._inflight)
            else:
                self._expire(self.clock(), events)
                for key, command in list(self._queued.items()):
                    if command.restored:
                        self._restore_at = self.clock() + RESTORE_SETTLE_S
                    elif self._inflight_key.get(key) not in self._interrupted:
                        self._send(command, events)  # else it follows the older one's PUBACK
                self._wake.notify()
        self._emit(events)

    def on_published(self, event: PublishAcknowledged) -> None:
        self._acks.append(event)
        self._drain()

    def on_reading(self, event: ReadingApplied) -> None:
        """Readings that may settle a command. O(1) for a house with no command under watch
        (nearly every reading)."""
        if event.house not in self._watched:  # no lock: a stale answer only delays one reading
            return
        events: list[CommandChanged] = []
        with self._lock:
            watched = self._watched.get(event.house)
            if watched:
                now = self.clock()
                for reading in event.decoded.consumers:
                    self._shown(
                        watched.get((event.house, CONSUMER, reading.device)),
                        reading.on,
                        now,
                        events,
                    )
                for supplied in event.decoded.suppliers:
                    key = (event.house, SUPPLIER, supplied.device)
                    self._shown(watched.get(key), supplied.load_on, now, events)
        self._emit(events)

    def on_wire_command(self, event: WireCommand) -> None:
        """Another client's command: newer than any of ours for the device, which it ends."""
        house, seen_command = event.house, event.command
        kind, device = DeviceKind.of(seen_command.supplier), seen_command.device
        state = seen_command.state
        now = self.clock()
        # Not ours to work on: it is watched for its confirmation for confirm_timeout_s.
        seen = Command(house, kind, device, state, "", now, now + self.confirm_timeout_s, False)
        seen.sent_at, seen.sends, seen.client = now, 1, seen_command.client
        events: list[CommandChanged] = []
        with self._lock:
            self._supersede(seen.key, "a newer command from another client", events)
            self._latest[seen.key] = seen
            self._watched.setdefault(house, {})[seen.key] = seen
            self._move(seen, Phase.DELIVERED, events)
        self._emit(events)

    # --- the clock -----------------------------------------------------------------------------

    def tick(self) -> None:
        """One round of the clock: expiry and giving up, the restore settle, resends due."""
        events: list[CommandChanged] = []
        with self._lock:
            now = self.clock()
            self._expire(now, events)
            connected = self.publisher.connected
            if connected and self._restore_at is not None and now >= self._restore_at:
                self._restore_at = None
                for command in [c for c in self._queued.values() if c.restored]:
                    self._send(command, events)
            for watched in self._watched.values():
                for command in watched.values():
                    if self._due(command, now):
                        word = "ON" if command.shown else "OFF"
                        command.detail = note("detail.still shows", state=word)
                        self._resend.add(command.key)
            for key in sorted(self._resend):
                command = self._latest.get(key)
                self._resend.discard(key)
                if command is not None and command.phase is Phase.DELIVERED and connected:
                    self._send(command, events)
        self._emit(events)

    def _due(self, command: Command, now: float) -> bool:
        """Whether a device that shows the other state gets the command again now. One silent
        for offline_after_s waits for its next reading instead, which brings it at once."""
        due = command.next_send_at
        if due is None or now < due or not command.from_server:
            return False
        if command.phase is not Phase.DELIVERED or command.shown in (None, bool(command.state)):
            return False
        if command.heard_at is None or now - command.heard_at >= self.offline_after_s:
            command.next_send_at = None
            return False
        return True

    def _next_wait(self) -> float:
        """Seconds until the clock has work; under the lock."""
        if self._resend or self._acks:
            return 0.0
        now = self.clock()
        wake = [MAX_WAIT_S]
        if self._restore_at is not None:
            wake.append(self._restore_at - now)
        for command in self._queued.values():
            wake.append(command.expires_at - now)
        for watched in self._watched.values():
            for command in watched.values():
                wake.append(command.expires_at - now)
                if command.next_send_at is not None and command.phase is Phase.DELIVERED:
                    wake.append(command.next_send_at - now)
        return max(0.0, min(wake))

    # --- internals (under the lock) ------------------------------------------------------------

    def _send(self, command: Command, events: list[CommandChanged]) -> bool:
        """Hand to the client; False when it is not connected after all."""
        remaining = max(1, round(command.expires_at - self.clock()))
        try:
            mid = self.publisher.publish(
                command.topic, str(command.state), qos=1, expiry_s=remaining, prompt=True
            )
        except BrokerUnavailableError:
            return False
        now = self.clock()
        self._queued.pop(command.key, None)
        self._inflight[mid] = command
        self._inflight_key[command.key] = mid
        command.sends += 1
        if command.sent_at is None:
            command.sent_at = now
        backoff = min(MAX_BACKOFF_S, self.confirm_timeout_s * 2 ** (command.sends - 1))
        command.next_send_at = now + backoff
        self._watched.setdefault(command.house, {})[command.key] = command
        self._move(command, Phase.SENT, events)
        return True

    def _queue(self, command: Command, events: list[CommandChanged]) -> None:
        self._queued[command.key] = command
        command.waited = True
        self._move(command, Phase.QUEUED, events)

    def _shown(
        self, command: Command | None, shown: bool | None, now: float, events: list[CommandChanged]
    ) -> None:
        """A reading of a watched device: it obeyed, or it may get the command again."""
        if command is None or shown is None:
            return
        back = command.heard_at is None or now - command.heard_at >= self.offline_after_s
        command.shown, command.heard_at = shown, now
        if shown == bool(command.state):
            command.resolved_at = now
            self._end(command, Phase.CONFIRMED, "", events)
            return
        if not command.from_server or command.phase is not Phase.DELIVERED:
            return  # another client's, or ours still on its way to the broker
        word = "ON" if shown else "OFF"
        if back:
            command.detail = note("detail.back and shows", state=word)
        elif command.next_send_at is None or now >= command.next_send_at:
            command.detail = note("detail.still shows", state=word)
        else:
            return
        self._resend.add(command.key)
        self._wake.notify()

    def _expire(self, now: float, events: list[CommandChanged]) -> None:
        for command in [c for c in self._queued.values() if c.expires_at <= now]:
            self._end(command, Phase.EXPIRED, note("detail.broker down"), events)
        for watched in list(self._watched.values()):
            for command in [c for c in watched.values() if c.expires_at <= now]:
                command.resolved_at = now
                self._end(command, Phase.UNCONFIRMED, "", events)

    def _supersede(
        self, key: Key, why: Note | str, events: list[CommandChanged], forget: bool = True
    ) -> None:
        older = self._latest.get(key)
        if older is not None and not older.phase.final:
            self._end(older, Phase.SUPERSEDED, why, events, forget)

    def _end(
        self,
        command: Command,
        phase: Phase,
        detail: Note | str,
        events: list[CommandChanged],
        forget: bool = True,
    ) -> None:
        """A final phase: the command leaves the queue, the watch and (ours) the journal."""
        command.detail = detail
        command.next_send_at = None
        self._queued.pop(command.key, None)
        watched = self._watched.get(command.house)
        if watched is not None and watched.get(command.key) is command:
            del watched[command.key]
            if not watched:
                del self._watched[command.house]
        if command.from_server and forget:
            self._forget(command.key)
        self._move(command, phase, events)

    def _move(self, command: Command, phase: Phase, events: list[CommandChanged]) -> None:
        previous = command.phase if command.changes else None
        command.phase = phase
        command.changes += 1
        self.counts[phase] += 1
        copy = command.copy()
        events.append(CommandChanged(copy, previous, notice(copy, previous)))

    def _drain(self) -> None:
        """Process queued acknowledgements whenever the lock is free; never waits for it."""
        while self._acks and self._lock.acquire(blocking=False):
            events: list[CommandChanged] = []
            try:
                while self._acks:
                    self._acknowledged(self._acks.popleft(), events)
            finally:
                self._lock.release()
            self._emit(events)

    def _acknowledged(self, ack: PublishAcknowledged, events: list[CommandChanged]) -> None:
        command = self._inflight.pop(ack.mid, None)
        if command is None:
            return  # not a command (a state topic, say)
        if ack.mid in self._interrupted:
            self._interrupted.discard(ack.mid)
            command.waited = True
        if self._inflight_key.get(command.key) == ack.mid:
            del self._inflight_key[command.key]
        if command.phase is Phase.SENT:
            if ack.accepted:
                command.detail = ack.reason
                if command.key not in self._queued:
                    self._forget(command.key)
                self._move(command, Phase.DELIVERED, events)
            else:
                self._end(command, Phase.REFUSED, ack.reason, events)
        newer = self._queued.get(command.key)
        if newer is not None and not newer.restored and self.publisher.connected:
            self._send(newer, events)

    def _forget(self, key: Key) -> None:
        try:
            self.journal.forget(key)
        except Exception:  # the store reports its own faults; a stale row expires on load
            log.warning("could not forget the command for %s in the store", key, exc_info=True)

    def _emit(self, events: list[CommandChanged]) -> None:
        for event in events:
            self.bus.publish(event)
        if self._acks:
            self._drain()
