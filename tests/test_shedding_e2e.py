"""Load shedding end to end: a real broker, simulated boards obeying the commands, the server.

Overload -> alarm -> the lowest priority shed -> under the limit -> restored; a critical consumer
never shed; the operator's own command not overridden.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import MosquittoProcess
from simulated import connected_server

from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock
from energrid.simulator.fleet import BoardFleet, FleetOptions
from energrid.simulator.wire import WireFormat
from energrid_core.persistence.manage_store import CRITICAL
from energrid_core.server import GridServer

STEP_TIMEOUT_S = 30.0  # a step waits for an alarm's minimum, a command and readings: slack for
# a machine busy with other test runs

# House 1: a 500 W relay (priority 1), a 100 W lamp (critical), another 500 W relay (priority 9);
# its meter adds 40 W nobody measures: about 1140 W in all.
TYPES = ["Relais", "Lampe", "Relais"]
FAST = {
    "alarm_min_s": 0.5,
    "shed_step_s": 0.6,
    "shed_restore_after_s": 1.0,
    "energy_gap_s": 5.0,
}


@pytest.fixture
def server(broker: MosquittoProcess) -> Iterator[GridServer]:
    with connected_server(broker, **FAST) as running:
        yield running


@pytest.fixture
def fleet(server: GridServer) -> Iterator[BoardFleet]:
    server.new_houses(1)
    for type_ in TYPES:
        server.new_consumers(1, 1, type_)
    settings = server.settings
    board = SimHouse(1, TYPES, (), WireFormat.DEVICE, 1, settings.neighborhood)
    options = FleetOptions(settings.mqtt_host, settings.mqtt_port, period_s=0.1)
    boards = BoardFleet([board], SimClock(), options)
    assert boards.start(TIMEOUT_S), "the simulated board did not connect"
    boards.start_background()
    yield boards
    boards.stop()


def consumer_on(server: GridServer, device: int) -> bool | None:
    with server.lock:
        return server.grid.houses[1].consumers[device].on


def history(server: GridServer) -> list[tuple[str, str]]:
    return [(row.alarm, row.event) for row in server.alarms.history(100)]


def test_overload_sheds_the_lowest_priority_never_a_critical_one_and_restores(
    server: GridServer, fleet: BoardFleet
) -> None:
    wait_for(
        lambda: all(consumer_on(server, c) for c in (1, 2, 3)), "every consumer ON", STEP_TIMEOUT_S
    )
    wait_for(lambda: server.energy.house(1) is not None, "the house's energy", STEP_TIMEOUT_S)
    shedding = server.shedding
    shedding.set_priority(1, 1, 1)
    shedding.set_priority(1, 2, CRITICAL)
    shedding.set_priority(1, 3, 9)
    shedding.set_enabled(True)

    server.alarms.set_limit(0, 800.0)  # the neighborhood's: 1140 W is over it
    wait_for(
        lambda: ("limit/0", "raised") in history(server), "the over-limit alarm", STEP_TIMEOUT_S
    )
    wait_for(
        lambda: consumer_on(server, 1) is False, "the priority 1 relay switched off", STEP_TIMEOUT_S
    )
    assert (1, 1) in shedding.shed
    # 640 W is under 800 W minus the 10 % margin: nothing else goes.
    wait_for(lambda: ("limit/0", "cleared") in history(server), "the alarm cleared", STEP_TIMEOUT_S)
    assert consumer_on(server, 3) is True and consumer_on(server, 2) is True

    server.alarms.set_limit(0, 100.0)  # only the critical lamp would be left: it stays
    wait_for(
        lambda: consumer_on(server, 3) is False, "the priority 9 relay switched off", STEP_TIMEOUT_S
    )
    with server.lock:
        assert shedding._lowest(0, server.clock()) is None  # nothing left that may be shed
    assert consumer_on(server, 2) is True

    # The operator switches the first relay back on: that wins over shedding.
    server.set_consumer(1, 1, 1)
    wait_for(lambda: consumer_on(server, 1) is True, "the operator's ON obeyed", STEP_TIMEOUT_S)
    assert (1, 1) not in shedding.shed
    assert ("shed/1/1", "released") in history(server)
    ticks = len(server.alarms.history(1000))
    server.alarms.set_limit(0, 90.0)  # still over: a shedder that ignored the operator would act
    seen = shedding._tick_count
    wait_for(lambda: shedding._tick_count > seen + 12, "a few shedding steps", STEP_TIMEOUT_S)
    assert consumer_on(server, 1) is True and consumer_on(server, 2) is True
    assert len([r for r in server.alarms.history(1000)[ticks:] if r.event == "shed"]) == 0

    server.alarms.set_limit(0, 5000.0)  # room again: the shed relay comes back
    wait_for(
        lambda: history(server).count(("limit/0", "cleared")) == 2,
        "the alarm cleared again",
        STEP_TIMEOUT_S,
    )
    wait_for(lambda: consumer_on(server, 3) is True, "the shed relay restored", STEP_TIMEOUT_S)
    assert not shedding.shed
    assert ("shed/1/3", "restored") in history(server)
