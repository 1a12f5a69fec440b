"""Which consumers load shedding may switch off: only those that count in the draw over the limit.

A reviewer saw the shedder switch off, first, relays of houses that had gone silent and a relay
drawing 0 W, waiting a step after each, before the LED that made the overload. Here, on a real
broker: house 2 was heard once and is silent since (offline), house 1 keeps reporting a priority 1
relay ON at 0 W and a 1725 W LED at the default priority. The LED must be the first one shed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import orjson
import pytest
from helpers import TIMEOUT_S, TestClient, wait_for
from mosquitto_fixture import MosquittoProcess
from simulated import connected_server

from energrid_core.server import GridServer
from energrid_core.topics import house_topic

STEP_TIMEOUT_S = 30.0
FAST = {"alarm_min_s": 0.3, "shed_step_s": 0.3, "energy_gap_s": 1.0}
LED_A = 1725.0 / 230.0


def publish_house(client: TestClient, n: int, house: int, devices: dict[int, tuple[float, bool]]):
    """One per-device reading of a house: the meter (their sum), then each consumer."""
    base = house_topic(n, house)
    meter_a = sum(amps for amps, _ in devices.values())
    client.publish(f"{base}/Consumer/0", orjson.dumps({"current_a": meter_a}))
    for device, (amps, on) in devices.items():
        client.publish(f"{base}/Consumer/{device}", orjson.dumps({"current_a": amps, "on": on}))


@pytest.fixture
def server(broker: MosquittoProcess) -> Iterator[GridServer]:
    with connected_server(broker, **FAST) as running:
        yield running


def test_only_consumers_counted_in_the_draw_are_shed(
    server: GridServer, broker: MosquittoProcess
) -> None:
    n = server.settings.neighborhood
    server.new_houses(2)
    server.new_consumers(1, 1, "Relay")  # 1/1: ON, 0 W, priority 1
    server.new_consumers(1, 1, "LED")  # 1/2: ON, 1725 W, default priority
    server.new_consumers(2, 1, "Relay")  # 2/1: ON, 2 A, priority 1, its house then silent
    client = TestClient(broker.port, broker.host)
    stop = threading.Event()
    try:
        publish_house(client, n, 2, {1: (2.0, True)})
        wait_for(lambda: server.energy.house(2) is not None, "house 2's draw", TIMEOUT_S)

        def house_1_reports() -> None:
            while not stop.is_set():
                publish_house(client, n, 1, {1: (0.0, True), 2: (LED_A, True)})
                stop.wait(0.2)

        reporter = threading.Thread(target=house_1_reports, daemon=True)
        reporter.start()

        def house_2_offline() -> bool:
            with server.lock:
                counter = server.energy.counters[(2, "house", 0)]
                return counter.last_t is not None and counter.last_t < server.clock() - 1.0

        wait_for(house_2_offline, "house 2 silent for longer than the energy gap", STEP_TIMEOUT_S)
        shedding = server.shedding
        shedding.set_priority(1, 1, 1)
        shedding.set_priority(2, 1, 1)
        shedding.set_enabled(True)
        server.alarms.set_limit(0, 1000.0)  # house 1's 1725 W is over it

        def shed() -> list[str]:
            return [r.alarm for r in server.alarms.history(100) if r.event == "shed"]

        wait_for(lambda: shed(), "a consumer shed", STEP_TIMEOUT_S)
        assert shed()[0] == "shed/1/2", shed()
        assert (1, 1) not in shedding.shed and (2, 1) not in shedding.shed
        with server.lock:
            # Nothing else counts in the draw: neither the 0 W relay nor the silent house's.
            assert shedding._lowest(0, server.clock()) is None
    finally:
        stop.set()
        client.close()
