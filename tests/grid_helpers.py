"""Helpers for tests that run a GridServer against a real Mosquitto: waiting, devices, clients."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from helpers import TIMEOUT_S, wait_for
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from energrid_core.config import Settings
from energrid_core.server import GridServer


def server_settings(port: int, state_dir: Path, **changes: object) -> Settings:
    settings = Settings(mqtt_port=port, state_dir=state_dir, start_broker=False)
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


@contextmanager
def running(settings: Settings, connect: bool = True, **kwargs: object) -> Iterator[GridServer]:
    """A started GridServer (connected, unless connect=False), stopped afterwards."""
    server = GridServer(settings, **kwargs)
    try:
        connected = server.start(TIMEOUT_S if connect else 0.0)
        assert connected or not connect, f"the server did not connect to {server.client.address}"
        yield server
    finally:
        server.stop()


class Peer:
    """A paho client standing for a board, the VR client or an observer.

    Collects what it receives and which of its QoS 1 publishes the broker acknowledged (and
    with what reason code).
    """

    def __init__(
        self,
        port: int,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        durable: bool = False,
        protocol: int = mqtt.MQTTv5,
        tls_ca: str | None = None,
    ) -> None:
        self.client_id = client_id or f"peer-{uuid.uuid4().hex[:8]}"
        self.received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.acks: dict[int, int] = {}  # mid -> reason code value
        self.connect_result: int | None = None
        self.connected = threading.Event()
        self.answered = threading.Event()
        v5 = protocol == mqtt.MQTTv5
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=protocol,
            clean_session=None if v5 else not durable,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls_ca is not None:
            self.client.tls_set(ca_certs=tls_ca)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, message: self.received.put(message)
        self.client.on_publish = self._on_publish
        self.client.max_inflight_messages_set(1000)
        kwargs: dict[str, object] = {}
        if v5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 3600 if durable else 0
            kwargs = {"clean_start": not durable, "properties": properties}
        self.client.connect_async("127.0.0.1", port, keepalive=10, **kwargs)
        self.client.loop_start()

    def _on_connect(self, _c, _u, _f, reason, _p) -> None:  # noqa: ANN001
        self.connect_result = reason.value
        self.answered.set()
        if not reason.is_failure:
            self.connected.set()

    def _on_publish(self, _c, _u, mid, reason, _p) -> None:  # noqa: ANN001
        self.acks[mid] = reason.value

    def wait_connected(self) -> Peer:
        assert self.connected.wait(TIMEOUT_S), f"{self.client_id} could not connect"
        return self

    def subscribe(self, *topics: str, qos: int = 1) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_args: done.set()
        for topic in topics:
            done.clear()
            self.client.subscribe(topic, qos=qos)
            assert done.wait(TIMEOUT_S), f"no SUBACK for {topic}"

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> int:
        return self.client.publish(topic, payload, qos=qos, retain=retain).mid

    def wait_acked(self, mid: int) -> int:
        wait_for(lambda: mid in self.acks, f"PUBACK of message {mid}")
        return self.acks[mid]

    def messages(self) -> list[tuple[str, bytes]]:
        """Everything received so far (topic, payload)."""
        got = []
        while True:
            try:
                message = self.received.get_nowait()
            except queue.Empty:
                return got
            got.append((message.topic, message.payload))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
