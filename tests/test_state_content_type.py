"""Every state message, the server's last will included, says it is JSON (MQTT 5 Content Type),
so that a generic client, or one generated from docs/asyncapi.yaml, decodes it without guessing."""

from __future__ import annotations

import queue

import paho.mqtt.client as mqtt
from grid_helpers import Peer, running, server_settings
from helpers import TIMEOUT_S
from mosquitto_fixture import MosquittoProcess


def content_types(peer: Peer, wanted: set[str]) -> dict[str, str | None]:
    """The content type of the first message on each wanted topic."""
    found: dict[str, str | None] = {}
    while not wanted <= set(found):
        try:
            message: mqtt.MQTTMessage = peer.received.get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"never received {sorted(wanted - set(found))}") from None
        if message.topic in wanted and message.topic not in found:
            found[message.topic] = getattr(message.properties, "ContentType", None)
    return found


def test_state_topics_and_the_will_are_application_json(broker: MosquittoProcess, tmp_path) -> None:  # noqa: ANN001
    settings = server_settings(broker.port, tmp_path, neighborhood=4242, client_id="ct-server")
    base = "energrid/4242"
    peer = Peer(broker.port).wait_connected()
    try:
        peer.subscribe(f"{base}/#")
        with running(settings) as server:
            house = server.new_houses(1)[0].identifier
            server.new_consumers(house, 1, "LED")
            topics = {
                f"{base}/status",
                f"{base}/state/neighborhood",
                f"{base}/state/house/{house}",
                f"{base}/state/house/{house}/consumer/1",
            }
            assert set(content_types(peer, topics).values()) == {"application/json"}
        # The server stopped: the broker published its will, `offline`.
        will = content_types(peer, {f"{base}/status"})
        assert will == {f"{base}/status": "application/json"}
    finally:
        peer.close()
