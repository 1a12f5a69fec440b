"""Fixtures for the state-topic tests: a server on the test broker, boards, and a contract probe.

Every server made by `make_grid_server` runs beside a ContractProbe: a subscriber to every channel
the AsyncAPI document says the server sends on, which validates each message it gets against the
document's schema. The test fails at teardown if any message did not fit. Each server gets a
neighborhood of its own, so the retained state of one test never leaks into another's.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest
from asyncapi_contract import Contract
from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import MosquittoProcess

from energrid_core.config import Settings
from energrid_core.server import GridServer

_neighborhoods = itertools.count(random.randrange(1000, 900_000))


def new_client(prefix: str) -> mqtt.Client:
    return mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"{prefix}-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool
    at: float  # time.monotonic() on arrival

    def json(self) -> dict:
        return orjson.loads(self.payload)


class ContractProbe:
    """Subscribes to the server's outgoing channels of one neighborhood and validates everything."""

    def __init__(self, contract: Contract, broker: MosquittoProcess, neighborhood: int) -> None:
        self.contract = contract
        self.channels = contract.sent_channels()
        self.neighborhood = neighborhood
        self.received: list[Received] = []
        self.violations: list[str] = []
        self.lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = new_client("energrid-probe")
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.connect(broker.host, broker.port, keepalive=10)
        self._client.loop_start()
        filters = [(c.subscription(neighborhood), 1) for c in self.channels]
        self._client.subscribe(filters)
        if not self._subscribed.wait(TIMEOUT_S):
            pytest.fail("the contract probe could not subscribe")

    def _on_message(self, _client, _userdata, message) -> None:  # noqa: ANN001
        payload = bytes(message.payload)
        error = self.contract.error(message.topic, payload, self.channels)
        with self.lock:
            self.received.append(Received(message.topic, payload, message.retain, time.monotonic()))
            if error is not None:
                self.violations.append(f"{message.topic} {payload[:200]!r}: {error}")

    def messages(self, topic: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.topic == topic]

    def last(self, topic: str) -> Received | None:
        found = self.messages(topic)
        return found[-1] if found else None

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class Board:
    """A house's boards: publishes readings like the hardware does (QoS 1, no retain)."""

    def __init__(self, broker: MosquittoProcess, neighborhood: int) -> None:
        self.neighborhood = neighborhood
        self._client = new_client("energrid-board")
        self._client.connect(broker.host, broker.port, keepalive=10)
        self._client.loop_start()

    def publish(self, suffix: str, payload: dict | str) -> None:
        topic = f"Neighborhood/{self.neighborhood}/House/{suffix}"
        data = payload if isinstance(payload, str) else orjson.dumps(payload)
        self._client.publish(topic, data, qos=1).wait_for_publish(TIMEOUT_S)

    def consumers(self, house: int, raw: dict[int, int]) -> None:
        """Legacy batch: raw ADC values by consumer number (0: the house meter)."""
        self.publish(f"{house}/Consumer", {str(k): v for k, v in raw.items()})

    def consumer(self, house: int, consumer: int, current_a: float, on: bool) -> None:
        self.publish(f"{house}/Consumer/{consumer}", {"current_a": current_a, "on": on})

    def supplier(self, house: int, supplier: int, **values: float | bool) -> None:
        self.publish(f"{house}/Supplier/{supplier}", values)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@dataclass
class GridUnderTest:
    server: GridServer
    probe: ContractProbe
    board: Board
    settings: Settings
    stopped: bool = field(default=False)

    @property
    def n(self) -> int:
        return self.settings.neighborhood

    def settled(self) -> bool:
        """Nothing left to publish, and the probe holds what the server last built."""
        return self.server.state.idle()


MakeGridServer = Callable[..., GridUnderTest]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture
def make_grid_server(
    broker: MosquittoProcess, contract: Contract, tmp_path: Path
) -> Iterator[MakeGridServer]:
    """make_grid_server(state_max_rate_hz=..., offline_after_s=..., ...) -> a connected server.

    At teardown the server stops, the probe waits for its last will (so every message the
    server sent has arrived) and the test fails if any message broke the AsyncAPI contract.
    """
    made: list[GridUnderTest] = []

    def make(clock: Callable[[], float] = time.time, **changes: object) -> GridUnderTest:
        settings = Settings(
            mqtt_port=broker.port,
            neighborhood=next(_neighborhoods),
            client_id=f"energrid-test-{uuid.uuid4().hex[:8]}",
            state_dir=tmp_path / "state",
            start_broker=False,
        )
        for name, value in changes.items():
            setattr(settings, name, value)
        probe = ContractProbe(contract, broker, settings.neighborhood)
        server = GridServer(settings, clock=clock)
        grid = GridUnderTest(server, probe, Board(broker, settings.neighborhood), settings)
        made.append(grid)
        assert server.start(TIMEOUT_S), "the server did not connect to the test broker"

        # start() returns on CONNACK; readings sent before the SUBACK would be lost. A command
        # for a house that does not exist is received (and rejected) once the subscription is.
        def subscribed() -> bool:
            grid.board.publish("999999/Consumer/1/set", "1")
            time.sleep(0.02)
            return server.stats.messages_received > 0

        wait_for(subscribed, what="the server's subscription")
        return grid

    yield make
    violations = []
    for grid in made:
        if not grid.stopped:
            grid.server.stop()
        grid.board.stop()
        if broker.running:
            status = f"energrid/{grid.n}/status"
            wait_for(
                lambda g=grid, t=status: (
                    (g.probe.last(t) or Received("", b"", False, 0)).payload
                    == b'{"status":"offline"}'
                ),
                what="the server's last will",
            )
        grid.probe.stop()
        violations += grid.probe.violations
    if violations:
        pytest.fail("messages that break docs/asyncapi.yaml:\n" + "\n".join(violations))
