"""A client that subscribes late to energrid/<n>/# gets the whole retained grid, whatever its
transport and QoS, from a broker run from the shipped configurations (ports rewritten).

1,000 houses x (10 consumers + 1 supplier) is 12,003 retained messages. With the former
`max_queued_messages 10000`, Mosquitto dropped the last ~2,000 of them at subscribe time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from late_join import grid_messages, late_join, publish_retained
from mosquitto_fixture import free_port
from secure_site import SecureSite

from energrid.broker.start import ManagedBroker
from energrid_core import auth
from energrid_core.config import Settings

HOUSES = 1000
MODES = [("websockets", 0), ("websockets", 1), ("tcp", 0), ("tcp", 1)]


def _publisher(port: int, username: str | None = None, password: str | None = None) -> mqtt.Client:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=username or "late-join-publisher",
        protocol=mqtt.MQTTv5,
    )
    if username is not None:
        client.username_pw_set(username, password)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, int]]:
    """The broker from mosquitto.conf holding a 1,000-house retained grid."""
    mqtt_port, ws_port = free_port(), free_port()
    while ws_port == mqtt_port:
        ws_port = free_port()
    settings = Settings(
        mqtt_port=mqtt_port, ws_port=ws_port, state_dir=tmp_path_factory.mktemp("state")
    )
    broker = ManagedBroker(settings)
    broker.start()
    messages = grid_messages(0, HOUSES)
    publisher = _publisher(mqtt_port)
    try:
        publish_retained(publisher, messages, timeout_s=60)
        yield settings, len(messages)
    finally:
        _close(publisher)
        broker.stop()


@pytest.mark.parametrize(("transport", "qos"), MODES)
def test_shipped_config_gives_a_late_client_the_whole_grid(
    shipped: tuple[Settings, int], transport: str, qos: int
) -> None:
    settings, expected = shipped
    port = settings.ws_port if transport == "websockets" else settings.mqtt_port
    topics, _ = late_join(port, 0, expected, transport=transport, qos=qos)
    assert len(topics) == expected, f"{transport} QoS {qos}: {len(topics)} of {expected}"


@pytest.mark.parametrize(("transport", "qos"), [("websockets", 0), ("websockets", 1)])
def test_secure_config_gives_a_late_client_the_whole_grid(
    site: SecureSite, transport: str, qos: int, tmp_path: Path
) -> None:
    server = auth.SERVER_USERNAME
    messages = grid_messages(0, HOUSES)
    publisher = _publisher(site.port, server, site.passwords[server])
    try:
        publish_retained(publisher, messages, timeout_s=60)
    finally:
        _close(publisher)
    client = auth.account("client", "vr1").username
    topics, _ = late_join(
        site.settings.ws_port,
        0,
        len(messages),
        transport=transport,
        qos=qos,
        username=client,
        password=site.passwords[client],
    )
    assert len(topics) == len(messages)
