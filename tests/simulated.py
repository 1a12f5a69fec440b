"""Helpers for the simulator's and the demo's tests: a GridServer on the test broker, polling."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager

from helpers import TIMEOUT_S
from mosquitto_fixture import MosquittoProcess

from energrid_core.config import Settings
from energrid_core.server import GridServer

# Each server gets its own neighborhood and client id: tests sharing the session broker
# never see each other's boards, readings or persistent sessions. (From 5000: clear of the
# neighborhoods other test modules number from 100.)
_neighborhoods = itertools.count(5000)


def server_settings(broker: MosquittoProcess, **changes: object) -> Settings:
    neighborhood = next(_neighborhoods)
    settings = Settings(
        mqtt_host=broker.host,
        mqtt_port=broker.port,
        neighborhood=neighborhood,
        client_id=f"energrid-test-{neighborhood}-{time.monotonic_ns()}",
        start_broker=False,
    )
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


@contextmanager
def connected_server(broker: MosquittoProcess, **changes: object) -> Iterator[GridServer]:
    server = GridServer(server_settings(broker, **changes))
    try:
        assert server.start(TIMEOUT_S), "the server did not connect to the test broker"
        yield server
    finally:
        server.stop()
