"""One simulated board's MQTT connection (or several houses' on one), obeying their commands.

The only simulator module that imports paho; BoardFleet (fleet.py) schedules the readings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energrid.simulator.board import SimHouse
from energrid_core.mqtt.client import log_in
from energrid_core.topics import parse_topic

if TYPE_CHECKING:
    from energrid.simulator.fleet import BoardFleet

log = logging.getLogger("energrid.sim")

SUBSCRIBE_CHUNK = 50


@dataclass(frozen=True)
class FleetOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    period_s: float = 1.0
    qos: int = 1
    houses_per_client: int = 1
    keepalive_s: int = 30
    client_prefix: str = "energrid-sim"
    # Secure profile: house -> (username, password) of its board; needs houses_per_client 1.
    accounts: Mapping[int, tuple[str, str]] | None = None
    tls_ca: str | None = None  # CA certificate: connect with TLS, checking the broker
    status_interval_s: float = 2.0  # the count of connected boards is said at most this often


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
        account = (options.accounts or {}).get(first)
        if options.accounts is not None and (account is None or first != last):
            raise ValueError("with accounts, every house needs one and a connection of its own")
        if account is not None:
            self.client_id = account[0]  # the secure profile makes the username the client id
        self.connected = threading.Event()  # connected and subscribed to its commands
        self.refusal: str | None = None  # why the broker refused the last attempt
        self.refusals = 0  # attempts the broker refused
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        client.suppress_exceptions = True
        username, password = account if account is not None else (None, None)
        log_in(client, username, password, options.tls_ca)
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
        """Disconnect. A board that is not connected is not waited for: its network thread may
        be sleeping before its next attempt (up to 1 s); it is told to end, and ends by itself."""
        was_connected = self._client.is_connected()
        self._client.disconnect()
        if was_connected:
            self._client.loop_stop()  # the DISCONNECT goes out before we return
        else:
            name = f"{self.client_id}-stop"
            threading.Thread(target=self._client.loop_stop, name=name, daemon=True).start()
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
                self.refusals += 1
                if self.refusal != str(reason_code):  # once per board and reason, not per retry
                    self.refusal = str(reason_code)
                    log.warning("broker refused board %s: %s%s", self.client_id, reason_code,
                                self._refusal_hint())  # fmt: skip
                return
            self.refusal = None
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

    def _refusal_hint(self) -> str:
        if self.refusal not in ("Not authorized", "Bad user name or password"):
            return ""
        if self.options.accounts is None:
            return " (the broker wants accounts: see --secure in docs/simulator.md)"
        house = next(iter(self.houses))
        return f" (check its account: `energrid credentials add house {house} --keep-password`)"

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
