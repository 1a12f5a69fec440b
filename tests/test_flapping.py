"""Two servers sharing a client id: the operator is told what is going on."""

from __future__ import annotations

from helpers import FakeClock, wait_for

from energrid_core.flapping import FlapDetector
from energrid_core.mqtt_client import ClientOptions, GridClient


def test_three_short_connections_in_a_row_are_reported_once() -> None:
    clock = FakeClock()
    flaps = FlapDetector(short_s=5.0, limit=3, clock=clock)
    told = []
    for _ in range(6):
        flaps.connected()
        clock.now += 1.0
        told.append(flaps.lost())
    assert told == [False, False, True, False, False, False]


def test_a_long_connection_starts_the_count_again() -> None:
    clock = FakeClock()
    flaps = FlapDetector(short_s=5.0, limit=2, clock=clock)
    flaps.connected()
    clock.now += 1
    assert not flaps.lost()
    flaps.connected()
    clock.now += 60  # a healthy connection in between
    assert not flaps.lost()
    flaps.connected()
    clock.now += 1
    assert not flaps.lost()
    flaps.connected()
    clock.now += 1
    assert flaps.lost()


def test_two_clients_with_one_client_id_are_told(broker) -> None:  # noqa: ANN001
    options = ClientOptions(
        host=broker.host, port=broker.port, client_id="energrid-twin", reconnect_max_s=1
    )
    notices: list[str] = []
    first = GridClient(options, lambda *message: None)
    second = GridClient(options, lambda *message: None)
    first.connection_listeners.append(lambda _up, text: notices.append(text))
    try:
        first.start()
        second.start()
        wait_for(
            lambda: any("another Energrid using client id 'energrid-twin'" in n for n in notices),
            timeout_s=30,
            what="the notice about a shared client id",
        )
    finally:
        first.stop()
        second.stop()
