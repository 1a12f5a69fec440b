"""The simulated boards' connection status stays true while the broker comes and goes, without a
line per board; and the simulator's messages count in good English."""

from __future__ import annotations

import logging

import pytest
from helpers import FakeClock, wait_for

from energrid.shell.output import plural
from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock
from energrid.simulator.fleet import BoardFleet, FleetOptions
from energrid.simulator.status import ConnectionStatus, boards_connected


@pytest.fixture(autouse=True)
def sim_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="energrid.sim")


def status_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("simulated boards")]


def test_the_count_follows_the_broker_down_and_back(make_broker, caplog) -> None:  # noqa: ANN001
    broker = make_broker()
    address = f"127.0.0.1:{broker.port}"
    houses = [SimHouse(h, ["Lampe"], []) for h in (1, 2, 3)]
    options = FleetOptions(port=broker.port, status_interval_s=0.2)
    fleet = BoardFleet(houses, SimClock(), options)
    try:
        assert fleet.start(10.0)
        broker.stop()
        wanted = f"simulated boards: no board is connected to {address}"
        wait_for(lambda: status_lines(caplog)[-1:] == [wanted], "the line to say none is up")
        broker.start()
        wanted = f"simulated boards: all 3 boards are connected to {address}"
        wait_for(lambda: status_lines(caplog)[-1:] == [wanted], "the line to say all are up")
    finally:
        fleet.stop()
    assert len(status_lines(caplog)) < 3 * 2  # not one line per board and event


def test_changes_within_the_interval_are_said_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(100.0)
    up = [0]
    status = ConnectionStatus(5, "here", lambda: up[0], interval_s=2.0, clock=clock)
    try:
        up[0] = 5
        status.changed()  # nothing said for 2 s: at once
        assert status_lines(caplog) == ["simulated boards: all 5 boards are connected to here"]
        up[0] = 4
        status.changed()
        up[0] = 2
        status.changed()
        assert len(status_lines(caplog)) == 1  # within the interval: kept for its end
        clock.advance(2.0)
        status.report()  # what the interval's timer does when it ends
        assert status_lines(caplog)[1:] == ["simulated boards: 2 of 5 boards are connected to here"]
    finally:
        status.close()


@pytest.mark.parametrize(
    "up, total, text",
    [
        (1, 1, "the board is connected"),
        (0, 1, "the board is not connected"),
        (2, 2, "both boards are connected"),
        (5, 5, "all 5 boards are connected"),
        (0, 5, "no board is connected"),
        (1, 5, "1 of 5 boards is connected"),
        (4, 5, "4 of 5 boards are connected"),
    ],
)
def test_the_count_reads_naturally(up: int, total: int, text: str) -> None:
    assert boards_connected(up, total) == text


def test_plural() -> None:
    assert [plural(n, "house") for n in (0, 1, 2)] == ["0 houses", "1 house", "2 houses"]
    assert plural(2, "maison") == "2 maisons"
