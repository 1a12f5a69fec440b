"""Alarms: raised after a minimum duration, cleared with hysteresis, each printed once, kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from helpers import FakeClock
from mosquitto_fixture import free_port

from energrid.shell.commands import ShellCommands
from energrid_core.commands.command import Phase
from energrid_core.config import Settings
from energrid_core.events import CommandChanged, WireCommand
from energrid_core.manage.alarms import Debounce
from energrid_core.persistence.manage_store import ShedRow
from energrid_core.server import GridServer
from energrid_core.wire.readings import CommandSeen


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_750_000_000.0)


def make(state_dir: Path, clock: FakeClock) -> GridServer:
    settings = Settings(state_dir=state_dir, start_broker=False, mqtt_port=free_port())
    settings.alarm_min_s = 10.0
    server = GridServer(settings, clock=clock)
    server.energy.start(server.bus, thread=False)
    server.alarms.start(server.bus, thread=False)  # ticks driven by the test's clock
    return server


@pytest.fixture
def server(tmp_path: Path, clock: FakeClock) -> Iterator[GridServer]:
    server = make(tmp_path, clock)
    yield server
    server.stop()


def draw(server: GridServer, clock: FakeClock, amps: float, seconds: int) -> None:
    """House 1's meter reads `amps` every second for `seconds`, the alarms ticking each time."""
    for _ in range(seconds):
        payload = orjson.dumps({"current_a": amps})
        server.ingest.handle("Neighborhood/0/House/1/Consumer/0", payload)
        server.energy.sweep()
        server.alarms.tick()
        clock.advance(1.0)


def test_debounce_needs_the_minimum_duration_both_ways() -> None:
    gate = Debounce(10.0)
    assert gate.step(0.0, True, False) is None
    assert gate.step(5.0, False, True) is None  # back under: the run starts again
    assert gate.step(6.0, True, False) is None
    assert gate.step(15.9, True, False) is None
    assert gate.step(16.0, True, False) is True
    assert gate.step(17.0, False, False) is None  # under the limit but not by the hysteresis
    assert gate.step(30.0, False, True) is None
    assert gate.step(40.0, False, True) is False


def test_over_limit_raises_after_the_minimum_and_clears_with_hysteresis(
    server: GridServer, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    sh = ShellCommands(server).namespace()
    sh["newHouse"](1)
    sh["setLimit"](1, 2000)
    draw(server, clock, 10.0, 5)  # 2300 W for 5 s: not yet
    assert not server.alarms.active
    draw(server, clock, 10.0, 10)
    assert list(server.alarms.active) == ["limit/1"]
    draw(server, clock, 8.5, 30)  # 1955 W: under the limit, not under 95 % of it
    assert list(server.alarms.active) == ["limit/1"]
    draw(server, clock, 8.0, 15)  # 1840 W for 15 s: cleared
    assert not server.alarms.active
    text = capsys.readouterr().out
    assert text.count("[alarm] House 1 over its limit") == 1
    assert text.count("[alarm cleared] House 1 back under its limit") == 1
    sh["showAlarms"]()
    shown = capsys.readouterr().out
    assert "Limits: house 1 2000 W; load shedding OFF" in shown
    assert "Active alarms: none" in shown
    assert shown.index("[alarm] House 1") < shown.index("[alarm cleared] House 1")


def test_bad_limits_change_nothing(server: GridServer, capsys: pytest.CaptureFixture[str]) -> None:
    sh = ShellCommands(server).namespace()
    sh["newHouse"](1)
    capsys.readouterr()
    for args in ((-5,), (float("nan"),), ("lots",), (9, 100), (1, 2, 3)):
        sh["setLimit"](*args)
        assert capsys.readouterr().out.startswith("error: ")
    assert server.alarms.limits == {}
    sh["setPriority"](1, 1, 3)
    assert capsys.readouterr().out.startswith("error: house 1 has no consumer 1")


def test_battery_low_and_history_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    server = make(tmp_path, clock)
    server.new_houses(1)
    server.new_suppliers(1, 1, "Solar Panel")
    server.alarms.set_limit(0, 3000.0)
    for _ in range(12):
        payload = orjson.dumps({"battery_remaining_pct": 12, "load_current_a": 0.5})
        server.ingest.handle("Neighborhood/0/House/1/Supplier/1", payload)
        server.alarms.tick()
        clock.advance(1.0)
    assert list(server.alarms.active) == ["battery/1/1"]
    server.stop()
    again = make(tmp_path, clock)
    assert again.alarms.limits == {0: 3000.0}
    assert [(r.alarm, r.event) for r in again.alarms.history()] == [("battery/1/1", "raised")]
    again.stop()


def test_a_device_not_obeying_raises_and_a_new_command_clears(server: GridServer) -> None:
    server.new_houses(1)
    server.new_consumers(1, 1, "Lamp")
    command = server.set_consumer(1, 1, 0)
    command.phase, command.shown = Phase.UNCONFIRMED, True
    server.bus.publish(CommandChanged(command, Phase.DELIVERED, None))
    assert (
        "does not obey: commanded OFF, shows ON" in server.alarms.active["obey/1/consumer/1"].text
    )
    server.set_consumer(1, 1, 1)  # a new command: the old one's failure is history
    assert not server.alarms.active


def test_shedding_waits_to_see_a_shed_consumer_in_the_draw(
    server: GridServer, clock: FakeClock
) -> None:
    """A draw not yet updated never sheds a second consumer: the next waits for the first."""
    server.new_houses(1)
    server.new_consumers(1, 3, "Radiator")
    shedding = server.shedding
    shedding.start(server.bus, thread=False)
    shedding.set_enabled(True)
    server.alarms.set_limit(1, 1000.0)
    amps = {1: 5.0, 2: 5.0, 3: 5.0}  # 3 x 1150 W

    def second(times: int) -> None:
        for _ in range(times):
            for device, current_a in amps.items():
                body = orjson.dumps({"current_a": current_a, "on": current_a > 0})
                server.ingest.handle(f"Neighborhood/0/House/1/Consumer/{device}", body)
            server.energy.sweep()
            server.alarms.tick()
            shedding.tick()
            clock.advance(1.0)

    second(12)  # over for 10 s: raised, and one consumer shed
    assert len(shedding.shed) == 1
    first = next(iter(shedding.shed))
    second(5)  # it still reads ON (the command is not obeyed yet): nothing more is shed
    assert len(shedding.shed) == 1
    amps[first[1]] = 0.0  # it obeys: the draw shows it, 2300 W still over the limit
    second(3)
    assert len(shedding.shed) == 2


def test_an_on_from_another_client_releases_a_shed_consumer(
    make_offline_server: Callable[..., GridServer],
) -> None:
    """Another client's ON (the VR one's, seen on the wire) wins over shedding as the operator's
    does: the consumer is no longer shed, and the release is kept in the alarm history."""
    server = make_offline_server()
    server.new_houses(1)
    server.new_consumers(1, 1, "Relais")
    shedding = server.shedding
    shedding.start(server.bus, thread=False)
    try:
        shedding.shed[(1, 1)] = ShedRow(1, 1, 0, 0.0, 2000.0)
        server.bus.publish(WireCommand(1, CommandSeen(1, False, 0)))  # an OFF: nothing changes
        assert (1, 1) in shedding.shed
        server.bus.publish(WireCommand(1, CommandSeen(1, False, 1)))
        assert (1, 1) not in shedding.shed
        assert [r.event for r in server.alarms.history(10)] == ["released"]
    finally:
        shedding.stop()
