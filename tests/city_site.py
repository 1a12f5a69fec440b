"""A city on this machine for tests: a city Mosquitto, one edge Mosquitto per neighborhood with
the bridge section `energrid bridge` prints, and an Energrid server on each edge.

Boards are small paho clients: they publish a house's per-device readings, and a board that
obeys switches its consumer and publishes the new state when a command arrives.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from grid_helpers import running, server_settings
from helpers import TIMEOUT_S
from mosquitto_fixture import MosquittoProcess

from energrid.city.bridge_config import BridgeOptions, section
from energrid_core.server import GridServer

MakeBroker = Callable[..., MosquittoProcess]


class Board:
    """The boards of one neighborhood's houses: readings out, commands in (and obeyed)."""

    def __init__(self, edge: MosquittoProcess, neighborhood: int) -> None:
        self.neighborhood = neighborhood
        self.commands: list[tuple[str, bytes]] = []
        self.currents_a: dict[tuple[int, int], float] = {}
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"board-{uuid.uuid4().hex[:8]}"
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.connect(edge.host, edge.port)
        self.client.loop_start()
        self.client.subscribe(f"Neighborhood/{neighborhood}/House/+/Consumer/+/set", 1)
        assert self._subscribed.wait(TIMEOUT_S), "the board's subscription was not acknowledged"

    def reading(self, house: int, consumer: int, current_a: float) -> None:
        with self._lock:
            self.currents_a[(house, consumer)] = current_a
        self._publish(house, consumer, current_a, current_a > 0)

    def _publish(self, house: int, consumer: int, current_a: float, on: bool) -> None:
        topic = f"Neighborhood/{self.neighborhood}/House/{house}/Consumer/{consumer}"
        payload = orjson.dumps({"current_a": current_a, "on": on})
        self.client.publish(topic, payload, qos=1)

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        parts = message.topic.split("/")
        house, consumer = int(parts[3]), int(parts[5])
        with self._lock:
            self.commands.append((message.topic, message.payload))
            current_a = self.currents_a.get((house, consumer), 1.0) or 1.0
        on = message.payload == b"1"
        self._publish(house, consumer, current_a if on else 0.0, on)

    def received(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self.commands)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Neighborhood:
    n: int
    edge: MosquittoProcess
    server: GridServer
    board: Board


@dataclass
class City:
    broker: MosquittoProcess
    neighborhoods: dict[int, Neighborhood] = field(default_factory=dict)


def edge_broker(make_broker: MakeBroker, city: MosquittoProcess, n: int) -> MosquittoProcess:
    bridge = BridgeOptions(
        n, city.host, city.port, bridge_id=f"test-bridge-{n}-{uuid.uuid4().hex[:6]}"
    )
    return make_broker(extra_config=section(bridge).splitlines())


@contextmanager
def city_of(
    make_broker: MakeBroker, tmp_path: Path, numbers: tuple[int, ...], **changes: object
) -> Iterator[City]:
    """The city broker, and for each neighborhood its edge broker, server (with the settings
    `changes`) and boards."""
    city = City(make_broker())
    with ExitStack() as stack:
        for n in numbers:
            edge = edge_broker(make_broker, city.broker, n)
            settings = server_settings(
                edge.port,
                tmp_path / f"state-{n}",
                neighborhood=n,
                client_id=f"energrid-{n}",
                **changes,
            )
            server = stack.enter_context(running(settings))
            board = Board(edge, n)
            stack.callback(board.close)
            city.neighborhoods[n] = Neighborhood(n, edge, server, board)
        yield city
