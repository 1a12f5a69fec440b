"""Publishes the grid's state on retained topics, coalesced, from a thread of its own.

The MQTT thread and the operator only *mark* a house as changed (O(1), no publishing in the hot
path). The publisher's thread flushes marked houses, each at most `max_rate_hz` times a second
however fast its readings come, and only the topics whose payload changed. The same thread sweeps
availability (a device silent for `offline_after_s` goes offline), clears the retained topics of
removed houses and devices, and republishes everything after a reconnect. Tests drive
`run_once()` with fake clocks instead of starting the thread. Which houses the sweep marks is
availability_sweep.py's to say; the neighborhood's own topics are built in neighborhood.py.

Two limits keep a large grid from drowning the server in its own state: a budget of payloads
built per second for the whole grid (`max_payloads_per_s`; a house costs one per topic, the
neighborhood one per 50 houses it sums), and a send window: a message is handed to the MQTT
client only while fewer than `STATE_WINDOW` of ours await the broker's acknowledgement. paho sends
at most 20 QoS 1 messages at a time and queues the rest in order, so without the window an
operator's command would wait behind every state message queued before it; with it, a command
finds a free slot and leaves at once. Houses over the budget stay marked and go out in a later
cycle with their latest values, so coalescing only deepens; that cycle waits until a fifth of
a second's budget is back (REFILL_SHARE), since a cycle's cost grows with the houses marked.

The republish after a connect is the exception to both: every house goes out in one pass,
outside the budget, through `bulk_sink` (QoS 0: no acknowledgement to wait for or to handle;
110,000 QoS 1 messages made the republish of 10,000 houses take 36 s), a house's topics in one
write (energrid_core/mqtt/bulk.py). A command still never waits behind it: a house is handed
over only while fewer than BULK_WINDOW (6) packets wait in the client's queue to be written
(`queued`), which paho's network thread writes out in one pass: about 66 messages of a few
hundred bytes for houses of 10 consumers, well under a millisecond on a local broker. Nothing
is lost to QoS 0: these messages go over the connection just made, and if it drops before they
are written the next connect republishes everything again.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from energrid_core.availability import availability
from energrid_core.errors import BrokerUnavailableError
from energrid_core.events import (
    Bus,
    CommandChanged,
    ConnectionChanged,
    PublishAcknowledged,
    ReadingApplied,
    WireCommand,
)
from energrid_core.lock_slices import ingest_first
from energrid_core.manage.energy import EnergySampled, EnergyTracker
from energrid_core.model import House, Neighborhood
from energrid_core.state.availability_sweep import AvailabilitySweep
from energrid_core.state.neighborhood import NeighborhoodState
from energrid_core.state.payloads import (
    CommandLookup,
    JsonDict,
    encode,
    house_messages,
    house_sums,
    house_topics,
    status_payload,
)
from energrid_core.state.topics import device_state_topic, status_topic

log = logging.getLogger("energrid.state")

NEIGHBORHOOD = 0  # the neighborhood topic's key among the houses (numbered from 1)
MIN_CYCLE_S = 0.02  # the thread runs at most 50 cycles a second, whatever the traffic
# Over the budget, the next cycle waits until this share of a second's budget has come back.
# A cycle costs O(marked houses) whatever it flushes (it sorts them for fairness and puts the
# rest back): at 10,000 houses kept marked by a busy grid, 50 cycles a second of a few houses
# each took 22-30 % of a core from the thread that applies the readings; 5 cycles of 55 houses
# publish as much.
REFILL_SHARE = 0.2
MAX_WAIT_S = 1.0
STATE_WINDOW = 16  # our messages awaiting a PUBACK above which state waits; paho sends 20
# Once the window is full, state waits until it has drained to this many: its thread then wakes
# once for 8 acknowledgements, not once for each (3,000 a second at the payload budget, each a
# wake-up taking the GIL from the thread that applies the readings).
ROOM_LOW = STATE_WINDOW // 2
ROOM_POLL_S = 0.1  # how often a wait for the window re-checks the connection
QUEUE_POLL_S = 0.0005  # how often a bulk message looks for room in the client's queue
BULK_WINDOW = 6  # packets (a house's topics each in bulk) queued above which the bulk waits
HOUSES_PER_NEIGHBORHOOD_TOKEN = 50
PACE_MAX_S = 0.005  # at most this long a house waits for the MQTT thread to catch up

# Publishes a retained message; raises BrokerUnavailableError when it cannot go out now.
Sink = Callable[[str, bytes], None]
BulkSink = Callable[[list[tuple[str, bytes]]], None]  # a house's topics, in one write


@dataclass
class PublisherStats:
    changes_marked: int = 0  # marks from readings and operator changes
    flushes: int = 0  # houses (and neighborhood) whose payloads were rebuilt
    messages_published: int = 0
    topics_cleared: int = 0
    publish_failures: int = 0
    deferred: int = 0  # cycles that left marked houses for later (budget or backlog)
    republishes: int = 0  # whole-grid republishes done (one after each connect)


class StatePublisher:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        sink: Sink,
        commands: CommandLookup,
        *,
        mains_voltage_v: float,
        max_rate_hz: float,
        offline_after_s: float,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        max_payloads_per_s: float = 3000.0,
        backlog: Callable[[], int] = lambda: 0,
        instance: str = "",
        bus: Bus | None = None,
        energy: EnergyTracker | None = None,
        bulk_sink: BulkSink | None = None,
        queued: Callable[[], int] = lambda: 0,
    ) -> None:
        self.grid = grid
        self.lock = lock  # the server's: held while payloads are built, never while publishing
        self.sink = sink
        self.commands = commands  # a device's last command (the ledger's)
        self.mains_voltage_v = mains_voltage_v
        self.interval_s = 1.0 / max_rate_hz
        self.offline_after_s = offline_after_s
        self.sweep_s = min(MAX_WAIT_S, max(0.05, offline_after_s / 10))
        self.clock = clock
        self.monotonic = monotonic
        self.stats = PublisherStats()
        self.instance = instance  # the server's id, in its online status
        self._undo: list[Callable[[], None]] = []
        self._cond = threading.Condition()
        # Shared with the marking threads, under _cond.
        self._dirty: set[int] = set()
        self._clears: deque[tuple[int, str | None, list[str]]] = deque()
        self._connected = False
        self._announce_at: float | None = None
        self._republish = False
        self._stopping = False
        self._in_hand = False  # a cycle took work off the marks and is publishing it
        # The flushing thread's own.
        self._next_allowed: dict[int, float] = {}
        self._published: dict[int, dict[str, bytes | None]] = {}
        self._sweeper = AvailabilitySweep(grid, lock, clock, offline_after_s)
        self._neighborhood = NeighborhoodState(
            grid, lock, clock, mains_voltage_v, offline_after_s, self._neighborhood_energy
        )
        self._fair_from = 0  # the house number the next flush starts at (see _fair_order)
        self._next_sweep = 0.0
        self._thread: threading.Thread | None = None
        self.max_payloads_per_s = max_payloads_per_s
        self.backlog = backlog  # our messages the broker has not acknowledged yet
        self.bus = bus  # followed from start() to stop()
        self.energy = energy  # kWh counters shown in the house and neighborhood payloads
        self.bulk_sink = bulk_sink  # the republish after a connect (None: the sink, in budget)
        self.queued = queued  # packets the client has not written to its socket yet
        self._resync: set[int] = set()  # houses of the republish not flushed yet (own thread)
        self._room = threading.Event()  # set by an acknowledgement leaving ROOM_LOW or fewer
        self._tokens = max_payloads_per_s
        self._tokens_at: float | None = None
        self._short = False  # the last cycle left houses marked for lack of budget

    # --- marking (any thread, O(1)) ------------------------------------------------------------

    def mark_house(self, house: int) -> None:
        if house in self._dirty:  # already marked (most readings of a busy grid): no lock
            self.stats.changes_marked += 1
            return
        with self._cond:
            self.stats.changes_marked += 1
            if house not in self._dirty:
                self._dirty.add(house)
                self._dirty.add(NEIGHBORHOOD)
                self._cond.notify()

    def on_reading(self, event: ReadingApplied | WireCommand) -> None:
        """In the MQTT thread, after a message changed the house."""
        self.mark_house(event.house)

    def on_energy(self, event: EnergySampled) -> None:
        """(the energy sweep's thread) The houses whose counters took new readings: their
        topics go out again, so that their energy includes what was just integrated (without
        this it showed the energy up to the reading before, since a reading's own mark is
        flushed before the sweep integrates it)."""
        with self._cond:
            self.stats.changes_marked += len(event.blocks)
            self._dirty.update(event.houses())
            self._dirty.add(NEIGHBORHOOD)
            self._cond.notify()

    def on_command(self, event: CommandChanged) -> None:
        """A command changed: its device's topic shows it."""
        self.mark_house(event.command.house)

    def on_published(self, _event: PublishAcknowledged) -> None:
        """(MQTT thread) an acknowledgement may have drained the window enough."""
        if self.backlog() <= ROOM_LOW:
            self._room.set()

    def on_connection(self, event: ConnectionChanged) -> None:
        """On every connect, announce `online` and republish everything."""
        self.connection(event.connected)

    def connection(self, connected: bool) -> None:
        with self._cond:
            self._connected = connected
            if connected:
                self._announce_at = self.clock()
                self._republish = True
            self._cond.notify()

    def house_removed(self, house: House) -> None:
        """Clear the retained topics of a removed house and of all its devices."""
        topics = house_topics(self.grid.identifier, house)
        with self._cond:
            self._clears.append((house.identifier, None, topics))
            self._dirty.discard(house.identifier)
            self._dirty.add(NEIGHBORHOOD)
            self._cond.notify()

    def device_removed(self, house: int, kind: str, device: int) -> None:
        topic = device_state_topic(self.grid.identifier, house, kind, device)
        with self._cond:
            self._clears.append((house, topic, [topic]))
        self.mark_house(house)

    # --- the thread -----------------------------------------------------------------------------

    def follow(self, bus: Bus) -> None:
        """Hear of readings, commands, acknowledgements and the connection (stop() undoes it)."""
        self._undo = [
            bus.subscribe(ReadingApplied, self.on_reading),
            bus.subscribe(WireCommand, self.on_reading),
            bus.subscribe(CommandChanged, self.on_command),
            bus.subscribe(EnergySampled, self.on_energy),
            bus.subscribe(PublishAcknowledged, self.on_published),
            bus.subscribe(ConnectionChanged, self.on_connection),
        ]

    def start(self) -> None:
        """Start the thread, and follow the bus given when built."""
        if self._thread is not None:
            return
        if self.bus is not None:
            self.follow(self.bus)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="energrid-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        for undo in self._undo:
            undo()
        self._undo = []
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._room.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping:
            started = self.monotonic()
            try:
                self.run_once()
            except Exception:  # a bug costs one cycle, never the thread
                log.exception("state publisher cycle failed")
            with self._cond:  # a mark wakes the wait early; cycles stay MIN_CYCLE_S apart
                if not self._stopping:
                    self._cond.wait(self._wait_s(self.monotonic()))
                now = self.monotonic()
                self._rest_until(max(started + MIN_CYCLE_S, now + self._refill_wait_s(now)))

    def _rest_until(self, deadline: float) -> None:
        """Wait until deadline; under _cond. Marks do not end the rest (they are what it lets
        pile up), stopping, a connect, removals and the online announce do."""
        while not (self._stopping or self._urgent()):
            left = deadline - self.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _urgent(self) -> bool:
        """Work that must not wait for the budget; under _cond."""
        return bool(self._clears or self._republish or self._announce_at is not None)

    def _refill_wait_s(self, now: float) -> float:
        """Seconds until REFILL_SHARE of the budget is back, when the last cycle had to leave
        houses for lack of it (0 otherwise, and while the republish after a connect, outside
        the budget, is under way); under _cond."""
        if not self._short or self._resync or self._tokens_at is None:
            return 0.0
        tokens = self._tokens + (now - self._tokens_at) * self.max_payloads_per_s
        missing = REFILL_SHARE * self.max_payloads_per_s - tokens
        return max(0.0, missing / self.max_payloads_per_s)

    def _wait_s(self, now: float) -> float:
        """Seconds until the next cycle has work; called under _cond."""
        wake = [self._next_sweep - now, MAX_WAIT_S]
        if self._connected:
            if self._urgent():
                return 0.0
            if len(self._dirty) > 64:  # many waiting: the next cycle (MIN_CYCLE_S) has work
                return 0.0
            if self._dirty:
                wake.append(min(self._next_allowed.get(h, 0.0) for h in self._dirty) - now)
        return max(0.0, min(wake))

    # --- one cycle ------------------------------------------------------------------------------

    def run_once(self) -> None:
        """Sweep, then publish whatever is due (when connected)."""
        now = self.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_s
            self._sweep()
        with self._cond:
            republish = self._republish and self._connected
        houses: list[int] = []
        if republish:  # the server lock is never taken while holding _cond
            with self.lock:
                houses = list(self.grid.houses)
        with self._cond:
            whole = republish and self._republish and self._connected
            if self._connected:
                announce_at, clears, due = self._take_work(now, republish, houses)
            else:
                announce_at, clears, due = None, [], []
            self._in_hand = announce_at is not None or bool(clears or due)
        if self._in_hand:
            try:
                self._publish(announce_at, clears, due, now)
            finally:
                with self._cond:
                    self._in_hand = False
        if whole:
            self.stats.republishes += 1

    def _take_work(
        self, now: float, republish: bool, houses: list[int]
    ) -> tuple[float | None, list[tuple[int, str | None, list[str]]], list[int]]:
        """What this cycle publishes; called under _cond."""
        announce_at, self._announce_at = self._announce_at, None
        if republish and self._republish:
            self._republish = False
            self._forget_published(houses)
        clears = list(self._clears)
        self._clears.clear()
        due = [h for h in self._dirty if self._next_allowed.get(h, 0.0) <= now]
        self._dirty.difference_update(due)
        return announce_at, clears, self._fair_order(due)

    def _fair_order(self, due: list[int]) -> list[int]:
        """Houses in order from the one after the last house flushed, then the neighborhood
        (0), which sums them. Over the budget, a cycle flushes only the first houses: starting
        where the last cycle stopped gives every house its turn, where always starting from
        house 1 left the last houses (and the totals) unpublished for as long as the grid was
        busy."""
        houses = sorted(h for h in due if h != NEIGHBORHOOD)
        start = bisect_left(houses, self._fair_from)
        ordered = houses[start:] + houses[:start]
        if len(ordered) < len(due):
            ordered.append(NEIGHBORHOOD)
        return ordered

    def _publish(
        self,
        announce_at: float | None,
        clears: list[tuple[int, str | None, list[str]]],
        due: list[int],
        now: float,
    ) -> None:
        try:
            if announce_at is not None:
                online = encode(status_payload(True, announce_at, self.instance))
                self._send(status_topic(self.grid.identifier), online)
                announce_at = None
            while clears:
                self._clear(*clears[0])
                clears.pop(0)
            self._refill(now)
            # The republish after a connect (houses in _resync) goes outside the budget.
            while due and due[0] != NEIGHBORHOOD and (self._tokens > 0 or due[0] in self._resync):
                house = due.pop(0)
                resync = house in self._resync
                if not resync:  # the readings first (energrid_core.lock_slices)
                    ingest_first.wait(PACE_MAX_S)
                cost = self._flush(house, now)  # in bulk while the house is in _resync
                if resync:
                    self._resync.discard(house)
                else:
                    self._tokens -= cost
                self._fair_from = house + 1
            if NEIGHBORHOOD in due:  # the totals go out at their own rate, in debt if need be
                self._tokens -= self._flush(NEIGHBORHOOD, now)
                self._resync.discard(NEIGHBORHOOD)
                due.remove(NEIGHBORHOOD)
            self._short = bool(due)
            if due:  # over the budget: they stay marked, with their latest values to come
                self.stats.deferred += 1
                with self._cond:
                    self._dirty.update(due)
            if self._neighborhood.stale:  # houses flushed after the neighborhood: it follows them
                with self._cond:
                    self._dirty.add(NEIGHBORHOOD)
        except BrokerUnavailableError as exc:  # a reconnect republishes; clears wait for it
            self.stats.publish_failures += 1
            log.debug("state not published: %s", exc)
            with self._cond:
                if announce_at is not None and self._announce_at is None:
                    self._announce_at = announce_at
                self._clears.extendleft(reversed(clears))
                self._dirty.update(due)

    def _forget_published(self, houses: list[int]) -> None:
        """After a (re)connect every topic is sent again and every house is due; under _cond."""
        for topics in self._published.values():
            for topic in topics:
                topics[topic] = None
        self._next_allowed.clear()
        if self.bulk_sink is not None:
            self._resync = set(houses)
        self._dirty.update(houses)
        self._dirty.add(NEIGHBORHOOD)

    def _sweep(self) -> None:
        """Mark the houses where a device came online or went offline since their last flush."""
        for identifier in self._sweeper.changed():
            self.mark_house(identifier)

    def _clear(self, house: int, device_topic: str | None, topics: list[str]) -> None:
        published = self._published.get(house, {})
        if device_topic is None:  # the whole house
            topics = sorted(set(topics) | set(published))
        for topic in topics:
            self._send(topic, b"")
            self.stats.topics_cleared += 1
            published.pop(topic, None)
        if device_topic is None:
            self._published.pop(house, None)
            self._sweeper.forget(house)
            self._next_allowed.pop(house, None)
            self._neighborhood.forget(house)

    def _refill(self, now: float) -> None:
        """The payload budget grows with time, up to one second's worth."""
        if self._tokens_at is not None:
            earned = (now - self._tokens_at) * self.max_payloads_per_s
            self._tokens = min(self.max_payloads_per_s, self._tokens + earned)
        self._tokens_at = now

    def _flush(self, house: int, now: float) -> int:
        """Publish a house's (or the neighborhood's) changed topics; returns what it cost."""
        payloads = self._payloads(house)
        if payloads is None:
            return 0
        self.stats.flushes += 1
        self._next_allowed[house] = now + self.interval_s
        published = self._published.setdefault(house, {})
        changed = [(t, p) for t, p in payloads if published.get(t) != p]
        if house in self._resync and self.bulk_sink is not None and changed:
            self._wait_for_queue()
            self.bulk_sink(changed)
            self.stats.messages_published += len(changed)
        else:
            for topic, payload in changed:
                self._send(topic, payload)
        published.update(changed)
        if house == NEIGHBORHOOD:
            return 1 + len(self.grid.houses) // HOUSES_PER_NEIGHBORHOOD_TOKEN
        return len(payloads)

    def _payloads(self, identifier: int) -> list[tuple[str, bytes]] | None:
        """Topics and payloads of a house (or of the neighborhood), built under the server lock."""
        mains_v, after_s = self.mains_voltage_v, self.offline_after_s
        if identifier == NEIGHBORHOOD:
            return self._neighborhood.messages()
        with self.lock:
            now = self.clock()
            house = self.grid.houses.get(identifier)
            if house is None:  # removed: its clear does the rest
                return None
            flags = availability(house, now, after_s)
            self._sweeper.shown[identifier] = flags
            sums = house_sums(house)
            sums.devices_online = sum(flags[1:])  # the house's flag first, then its devices
            sums.online = flags[0]  # as its topic will say
            self._neighborhood.record(identifier, sums)
            latest = self.commands
            energy = None if self.energy is None else self.energy.house_payload(identifier, now)
            return house_messages(
                self.grid.identifier, house, mains_v, now, after_s, latest, sums, energy
            )

    def _neighborhood_energy(self, now: float) -> JsonDict | None:
        """The neighborhood's kWh counters for its topic, None when the server keeps none."""
        return None if self.energy is None else self.energy.neighborhood_payload(now)

    def _send(self, topic: str, payload: bytes) -> None:
        self._wait_for_room()
        self.sink(topic, payload)
        self.stats.messages_published += 1

    def _wait_for_queue(self) -> None:
        """Block until fewer than BULK_WINDOW packets wait in the client's queue (the bulk
        houses' window: they are never acknowledged, the socket taking them frees room)."""
        while self.queued() >= BULK_WINDOW:
            with self._cond:
                if self._stopping or not self._connected:
                    raise BrokerUnavailableError("state publishing waits for the broker")
            time.sleep(QUEUE_POLL_S)

    def _wait_for_room(self) -> None:
        """Block until fewer than STATE_WINDOW of our messages await an acknowledgement.

        Raises BrokerUnavailableError when the connection is lost or the publisher stops
        meanwhile: what was not sent stays marked and goes out after the reconnect. A full
        window is waited on until it has drained to ROOM_LOW.
        """
        if self.backlog() < STATE_WINDOW:
            return
        while True:
            self._room.clear()
            if self.backlog() <= ROOM_LOW:
                return
            with self._cond:
                if self._stopping or not self._connected:
                    raise BrokerUnavailableError("state publishing waits for the broker")
            self._room.wait(ROOM_POLL_S)

    @property
    def waiting(self) -> int:
        """Houses (and the neighborhood) marked as changed whose topics have not gone out yet."""
        return len(self._dirty)

    def idle(self) -> bool:
        """True when nothing is marked, queued or pending publication."""
        with self._cond:
            busy = self._dirty or self._clears or self._republish or self._in_hand
            return not busy and self._announce_at is None
