"""Two servers sharing a client id: the operator is told what is going on."""

from __future__ import annotations

import pytest
from helpers import FakeClock, wait_for

from energrid_core.mqtt.client import ClientOptions, GridClient
from energrid_core.mqtt.flapping import FlapDetector


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


def test_a_client_id_taken_over_stops_reconnecting(broker) -> None:  # noqa: ANN001
    """Two clients sharing a client id: one says so, once, and stops; the other stays on."""
    options = ClientOptions(
        host=broker.host, port=broker.port, client_id="energrid-twin", reconnect_max_s=1
    )
    notices: list[str] = []
    first = GridClient(options, lambda *message: None)
    second = GridClient(options, lambda *message: None)
    for client in (first, second):
        client.connection_listeners.append(lambda _up, text: notices.append(text))
    try:
        first.start(5.0)
        second.start()
        wait_for(
            lambda: first.gave_up or second.gave_up,
            timeout_s=30,
            what="one of the twins to give up",
        )
        quitter, survivor = (first, second) if first.gave_up else (second, first)
        assert "another client with client id 'energrid-twin'" in quitter.gave_up
        assert "not reconnecting" in quitter.gave_up
        wait_for(lambda: not quitter.loop_alive, what="the quitter's network thread to end")
        wait_for(lambda: survivor.connected, what="the survivor to be connected")
        # The survivor keeps its connection: nobody takes the client id back from it.
        connects = survivor.connects
        with pytest.raises(AssertionError):
            wait_for(lambda: survivor.connects != connects, timeout_s=4, what="a reconnect")
        assert survivor.connected and survivor.gave_up is None
        assert sum("not reconnecting" in n for n in notices) == 1
    finally:
        first.stop()
        second.stop()
