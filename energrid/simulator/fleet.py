"""Simulated boards on the broker: one MQTT connection per house (as real boards), or a few houses
per connection for large fleets, and one scheduler thread that takes and publishes the readings.

The only simulator module that imports paho.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock
from energrid_core.topics import parse_topic

log = logging.getLogger("energrid.sim")

MAX_SLOTS = 10  # a period is cut in up to 10 slots, so that a big fleet does not publish at once
SUBSCRIBE_CHUNK = 50
CommandListener = Callable[[str], None]


@dataclass(frozen=True)
class FleetOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    period_s: float = 1.0
    qos: int = 1
    houses_per_client: int = 1
    keepalive_s: int = 30
    client_prefix: str = "energrid-sim"


@dataclass
class FleetCounters:
    readings: int = 0  # house readings taken
    messages: int = 0  # MQTT messages handed to paho
    offline: int = 0  # house readings not sent because their connection was down
    commands: int = 0  # commands obeyed
    late: int = 0  # slots skipped because the machine could not keep up


class BoardClient:
    """One paho client carrying one house or several; it obeys their commands."""

    def __init__(
        self,
        houses: Sequence[SimHouse],
        options: FleetOptions,
        fleet: BoardFleet,
    ) -> None:
        self.houses = {house.number: house for house in houses}
        self.neighborhood = houses[0].neighborhood
        self.options = options
        self.fleet = fleet
        first, last = houses[0].number, houses[-1].number
        suffix = f"{first}" if first == last else f"{first}-{last}"
        self.client_id = f"{options.client_prefix}-{self.neighborhood}-{suffix}"
        self.connected = threading.Event()  # connected and subscribed to its commands
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        client.suppress_exceptions = True
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._pending: set[int] = set()  # subscriptions not acknowledged yet
        self._client = client

    def start(self) -> None:
        self._client.connect_async(self.options.host, self.options.port, self.options.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def publish(self, house: SimHouse, sim_s: float) -> None:
        """Take the house's reading at sim_s and send it; the physics go on while offline."""
        reading = house.step(sim_s)
        counters = self.fleet.counters
        counters.readings += 1
        if not self.connected.is_set():
            counters.offline += 1
            return
        for topic, payload in house.encode(reading):
            self._client.publish(topic, payload, qos=self.options.qos)
            counters.messages += 1

    # --- paho callbacks (network thread): never let an exception reach paho -------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if reason_code.is_failure:
                log.warning("broker refused board %s: %s", self.client_id, reason_code)
                return
            # Ready (`connected`) once the broker has acknowledged every command subscription,
            # so that a command sent right after start() is not lost.
            filters = [f for house in self.houses.values() for f in house.command_filters()]
            self._pending = set()
            for i in range(0, len(filters), SUBSCRIBE_CHUNK):
                chunk = [(f, 1) for f in filters[i : i + SUBSCRIBE_CHUNK]]
                _rc, mid = client.subscribe(chunk)
                self._pending.add(mid)
        except Exception:
            log.warning("error in board %s on_connect", self.client_id, exc_info=True)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # noqa: ANN001
        try:
            if any(code.is_failure for code in reason_codes):
                log.warning("broker refused board %s its command topics", self.client_id)
            self._pending.discard(mid)
            if not self._pending:
                self.connected.set()
                self.fleet.connection_changed()
        except Exception:
            log.warning("error in board %s on_subscribe", self.client_id, exc_info=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if self.connected.is_set():
                self.connected.clear()
                self.fleet.connection_changed()
        except Exception:
            log.warning("error in board %s on_disconnect", self.client_id, exc_info=True)

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        try:
            topic = message.topic
            parsed = parse_topic(topic, self.neighborhood)
            house = self.houses.get(parsed.house) if parsed is not None else None
            done = house.command(topic, message.payload) if house is not None else None
            if done is not None:
                self.fleet.obeyed(done)
        except Exception:
            log.warning("error in board %s on_message", self.client_id, exc_info=True)


class BoardFleet:
    """Every simulated board of a run, and the schedule that makes them publish."""

    def __init__(
        self,
        houses: Sequence[SimHouse],
        clock: SimClock,
        options: FleetOptions,
        on_command: CommandListener | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        """`wait(seconds)` returns True when the fleet is stopping: the stop event's wait by
        default; tests pass one that moves their fake clock.wall instead of sleeping."""
        if not houses:
            raise ValueError("a fleet needs at least one house")
        self.clock = clock
        self.options = options
        self.on_command = on_command
        self.counters = FleetCounters()
        self._lock = threading.Lock()
        self._all_up = False
        self._starting = False
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread: threading.Thread | None = None
        size = max(1, options.houses_per_client)
        self.clients = [
            BoardClient(houses[i : i + size], options, self) for i in range(0, len(houses), size)
        ]
        self.houses = [
            (client, house) for client in self.clients for house in client.houses.values()
        ]

    @property
    def connected_count(self) -> int:
        return sum(client.connected.is_set() for client in self.clients)

    def start(self, wait_s: float = 0.0) -> bool:
        """Connect every board in the background; True when all are up within wait_s."""
        self._starting = True
        try:
            for client in self.clients:
                client.start()
            deadline = time.monotonic() + wait_s
            for client in self.clients:
                while not client.connected.wait(0.05):
                    if self._stop.is_set() or time.monotonic() >= deadline:
                        return False
            return True
        finally:
            self._starting = False

    def request_stop(self) -> None:
        """Ask run() to return; safe from a signal handler (stop() then disconnects)."""
        self._stop.set()

    def publish_all(self, sim_s: float) -> None:
        """Every house takes a reading at sim_s and publishes it now."""
        for client, house in self.houses:
            client.publish(house, sim_s)

    def run(self, count: int | None = None, duration_s: float | None = None) -> None:
        """Publish every period until stop(), `count` readings per house or duration_s seconds.

        Reading k of the houses in slot g is taken at simulated time
        start + (k + g / slots) * period * time_factor, and published at that wall time.
        """
        slots = max(1, min(len(self.houses), MAX_SLOTS))
        groups = [self.houses[g::slots] for g in range(slots)]
        period, wall = self.options.period_s, self.clock.wall
        start = wall()
        index = 0
        while not self._stop.is_set():
            k, g = divmod(index, slots)
            offset = (k + g / slots) * period
            if (count is not None and k >= count) or (
                duration_s is not None and offset > duration_s
            ):
                return
            delay = start + offset - wall()
            if delay > 0 and self._wait(delay):
                return
            sim_s = self.clock.sim_time(offset)
            for client, house in groups[g]:
                client.publish(house, sim_s)
            index += 1
            behind_s = wall() - start - offset
            if behind_s > period:  # skip to the present instead of bursting to catch up
                skipped = math.floor(behind_s / period * slots)
                index += skipped
                self.counters.late += skipped

    def start_background(self, count: int | None = None) -> None:
        """run() in a daemon thread (the demo's boards inside the shell)."""
        self._thread = threading.Thread(
            target=self._run_guarded, args=(count,), name="energrid-sim-boards", daemon=True
        )
        self._thread.start()

    def _run_guarded(self, count: int | None) -> None:
        try:
            self.run(count)
        except Exception:
            log.warning("the simulated boards stopped on an error", exc_info=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop publishing, then disconnect every board. Safe to call twice."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        for client in self.clients:
            client.stop()

    # --- called from the boards' network threads ----------------------------------------------

    def obeyed(self, what: str) -> None:
        with self._lock:
            self.counters.commands += 1
        log.debug("obeyed: %s", what)
        if self.on_command is not None:
            self.on_command(what)

    def connection_changed(self) -> None:
        if self._stop.is_set():
            return  # stopping: the boards disconnect on purpose
        with self._lock:
            up = self.connected_count
            all_up = up == len(self.clients)
            if all_up == self._all_up:
                return
            self._all_up = all_up
        address = f"{self.options.host}:{self.options.port}"
        if all_up and self._starting:
            log.debug("simulated boards: all %d connected to %s", up, address)  # start() says it
        elif all_up:
            log.info("simulated boards: all %d connected to %s", up, address)
        else:
            log.warning(
                "simulated boards: %d of %d connected to %s", up, len(self.clients), address
            )
