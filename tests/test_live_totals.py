"""Totals nobody misreads: a house gone silent leaves the live totals and is counted apart."""

from __future__ import annotations

import pytest
from helpers import FakeClock, wait_for
from state_fixtures import MakeGridServer
from test_state_topics import retained, shell_output

from energrid.shell import views
from energrid.shell.commands import ShellCommands
from energrid.watch.grid import WatchedGrid
from energrid.watch.view import render
from energrid_core.model import Neighborhood
from energrid_core.state.payloads import grid_totals, neighborhood_state

MAINS_V = 230.0


def test_an_offline_house_is_left_out_with_its_last_draw() -> None:
    grid = Neighborhood(0)
    quiet, live = grid.add_houses(2)
    quiet.add_consumer("Heater").current_a.update(100.0, 25.94)
    live.add_consumer("Lamp").current_a.update(190.0, 1.5)
    state = neighborhood_state(grid, MAINS_V, 200.0, 30.0)
    assert state["house_count"] == 2 and state["houses_online"] == 1
    assert state["device_count"] == 2 and state["devices_online"] == 1
    assert state["consumption_a"] == 1.5 and state["consumption_w"] == 1.5 * MAINS_V
    assert state["houses_left_out"] == 1
    assert state["left_out_consumption_a"] == 25.94
    line = views.neighborhood_line(0, grid_totals(grid, MAINS_V, 200.0, 30.0))
    assert line.startswith("Neighborhood 0: 2 houses, 2 devices; 1 house and 1 device online: ")
    assert "consumption 1.50 A" in line
    assert line.endswith("left out: 1 house offline, last known 25.94 A (5966.2 W)")
    # Both within offline_after_s: nothing is left out, and the line says nothing about it.
    assert neighborhood_state(grid, MAINS_V, 191.0, 100.0)["houses_left_out"] == 0
    assert "left out" not in views.neighborhood_line(0, grid_totals(grid, MAINS_V, 191.0, 100.0))


def test_a_house_silent_past_offline_after_leaves_the_live_totals(
    make_grid_server: MakeGridServer,
    broker,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    clock = FakeClock(1000.0)
    grid = make_grid_server(clock=clock, offline_after_s=30.0)
    server = grid.server
    server.new_houses(2)
    server.new_consumers(1, 1, "Heater")
    server.new_consumers(2, 1, "Lamp")
    topic = f"energrid/{grid.n}/state/neighborhood"

    def summary() -> dict:
        last = grid.probe.last(topic)
        return {} if last is None or not last.payload else last.json()

    grid.board.consumer(1, 1, 4.0, True)
    wait_for(lambda: server.grid.house(1).last_seen == 1000.0, what="house 1's reading")
    clock.now = 1020.0
    grid.board.consumer(2, 1, 1.5, True)
    wait_for(lambda: summary().get("houses_online") == 2, what="both houses online")
    assert summary()["consumption_a"] == 5.5 and summary()["houses_left_out"] == 0
    clock.now = 1040.0  # house 1 silent for 40 s, house 2 for 20 s: house 1 is offline
    wait_for(lambda: summary().get("houses_left_out") == 1, what="house 1 left out")
    state = summary()
    assert state["houses_online"] == 1 and state["devices_online"] == 1
    assert state["consumption_a"] == 1.5 and state["left_out_consumption_a"] == 4.0
    shown = shell_output(capsys, ShellCommands(server).showHouses).splitlines()[0]
    assert "consumption 1.50 A" in shown
    assert shown.endswith("left out: 1 house offline, last known 4.00 A (920.0 W)")
    # energrid watch, from the retained topics alone, prints the same line.
    wait_for(server.state.idle, what="the state published")
    watched = WatchedGrid(grid.n)
    for name, payload in retained(broker, grid.n).items():
        watched.apply(name, payload)
    assert shown in render(watched, "broker", clock.now)
