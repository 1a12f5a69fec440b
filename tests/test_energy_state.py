"""The house state topic's energy includes the latest reading the energy sweep integrated."""

from __future__ import annotations

import threading
import time
import uuid

import orjson
import paho.mqtt.client as mqtt
from helpers import TIMEOUT_S
from simulated import connected_server

from energrid_core.state.topics import house_state_topic


class Retained:
    """The last payload seen on one topic, and a way to wait for one that passes a test."""

    def __init__(self, broker, topic: str) -> None:  # noqa: ANN001
        self.last: dict | None = None
        self._changed = threading.Condition()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}"
        )
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _on_message(self, _client, _userdata, message) -> None:  # noqa: ANN001
        with self._changed:
            self.last = orjson.loads(message.payload) if message.payload else None
            self._changed.notify_all()

    def wait_for(self, test, what: str) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + TIMEOUT_S
        with self._changed:
            while self.last is None or not test(self.last):
                left = deadline - time.monotonic()
                assert left > 0, f"the topic never showed {what}; last: {self.last}"
                self._changed.wait(left)
            return self.last

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_house_topic_energy_includes_the_reading_just_integrated(broker) -> None:  # noqa: ANN001
    # The sweep is driven by hand (its thread would wait a minute): the topic must follow it.
    with connected_server(broker, energy_sweep_s=60.0) as server:
        n = server.settings.neighborhood
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        watch = Retained(broker, house_state_topic(n, 1))
        board = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"b-{uuid.uuid4().hex}")
        board.connect(broker.host, broker.port)
        board.loop_start()
        try:
            reading = f"Neighborhood/{n}/House/1/Consumer/1"
            board.publish(reading, orjson.dumps({"current_a": 4.0, "on": True}), qos=1)
            watch.wait_for(lambda p: p["consumption_w"] == 920.0, "the first reading")
            assert server.energy.sweep() == 2  # the lamp and the house: counting starts
            board.publish(reading, orjson.dumps({"current_a": 2.0, "on": True}), qos=1)
            watch.wait_for(lambda p: p["consumption_w"] == 460.0, "the second reading")
            assert server.energy.sweep() == 2  # 920 W held from the first reading to this one
            house = server.energy.house(1)
            assert house is not None and house.in_wh > 0.0
            shown = watch.wait_for(
                lambda p: p["energy"]["imported_wh"] == house.in_wh,
                f"the energy integrated up to the second reading ({house.in_wh} Wh)",
            )
            assert shown["energy"]["today_imported_wh"] == house.today_in_wh
        finally:
            board.disconnect()
            board.loop_stop()
            watch.close()
