"""Energrid's connection sends small packets at once (no Nagle delay on commands)."""

from __future__ import annotations

import socket
from pathlib import Path

from mosquitto_fixture import MosquittoProcess

from energrid_core.config import Settings
from energrid_core.server import GridServer

REPO_CONFIG = Path(__file__).resolve().parent.parent / "mosquitto.conf"


def test_server_socket_has_tcp_nodelay(broker: MosquittoProcess) -> None:
    server = GridServer(Settings(mqtt_port=broker.port, client_id="test-nodelay"))
    try:
        assert server.start(5.0)
        sock = server.client._client.socket()
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.stop()


def test_shipped_broker_config_turns_nagle_off() -> None:
    lines = [line.split() for line in REPO_CONFIG.read_text().splitlines()]
    assert ["set_tcp_nodelay", "true"] in lines
