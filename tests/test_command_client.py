"""A command a client publishes with its name (MQTT 5 user property `client`) is echoed in the
device's command status, so that two VR users can tell whose command it was."""

from __future__ import annotations

import queue

import orjson
import paho.mqtt.client as mqtt
from grid_helpers import Peer, running, server_settings
from helpers import TIMEOUT_S
from mosquitto_fixture import MosquittoProcess
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def command_status(peer: Peer, topic: str, wanted: dict) -> dict:
    """The first `command` on a consumer's state topic with every key of `wanted`."""
    while True:
        try:
            message: mqtt.MQTTMessage = peer.received.get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"no command like {wanted} on {topic}") from None
        if message.topic == topic and message.payload:
            command = orjson.loads(message.payload)["command"]
            if command and all(command.get(k) == v for k, v in wanted.items()):
                return command


def test_the_sender_of_a_command_is_echoed(broker: MosquittoProcess, tmp_path) -> None:  # noqa: ANN001
    settings = server_settings(broker.port, tmp_path, neighborhood=4343, client_id="cc-server")
    state = "energrid/4343/state/house/1/consumer/1"
    command = "Neighborhood/4343/House/1/Consumer/1/set"
    peer = Peer(broker.port).wait_connected()
    try:
        with running(settings) as server:
            server.new_houses(1)
            server.new_consumers(1, 1, "LED")
            peer.subscribe(state)
            named = Properties(PacketTypes.PUBLISH)
            named.UserProperty = ("client", "vr-alice")
            peer.client.publish(command, "1", qos=1, properties=named)
            seen = command_status(peer, state, {"state": 1, "source": "other"})
            assert seen["client"] == "vr-alice"
            peer.publish(command, "0")  # no name given: null
            seen = command_status(peer, state, {"state": 0, "source": "other"})
            assert seen["client"] is None
            server.set_consumer(1, 1, 1)  # the operator's own command
            seen = command_status(peer, state, {"state": 1, "source": "server"})
            assert seen["client"] is None
    finally:
        peer.close()
