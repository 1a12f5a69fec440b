"""showEnergy() and showTypes(): what the operator reads, from readings fed through the ingest."""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson
import pytest
from helpers import FakeClock
from mosquitto_fixture import free_port

from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.manage.device_types import type_key
from energrid_core.manage.energy_counter import local_midnight
from energrid_core.server import GridServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local_midnight(1_750_000_000.0) + 10 * 3600)  # 10 am: no midnight in the test


@pytest.fixture
def server(tmp_path, clock: FakeClock) -> Iterator[GridServer]:  # noqa: ANN001
    settings = Settings(state_dir=tmp_path, start_broker=False, mqtt_port=free_port())
    server = GridServer(settings, clock=clock)
    server.energy.start(server.bus, thread=False)  # the tests sweep
    yield server
    server.stop()


@pytest.fixture
def sh(server: GridServer) -> dict:
    return ShellCommands(server).namespace()


def feed(server: GridServer, clock: FakeClock, seconds: int) -> None:
    """House 1: a radiator at 10 A, a lamp at 1 A and a solar panel at 100 W; house 2: a lamp
    at 1 A and a 5 kW solar panel (it exports)."""
    for _ in range(seconds + 1):
        for h, amps in ((1, {"1": 10.0, "2": 1.0, "3": 0.0}), (2, {"1": 1.0})):
            for c, a in amps.items():
                payload = orjson.dumps({"current_a": a, "on": a > 0})
                server.ingest.handle(f"Neighborhood/0/House/{h}/Consumer/{c}", payload)
        for h, watts in ((1, 100.0), (2, 5000.0)):
            payload = orjson.dumps({"load_voltage_v": 100.0, "load_current_a": watts / 100})
            server.ingest.handle(f"Neighborhood/0/House/{h}/Supplier/1", payload)
        server.energy.sweep()
        clock.advance(1.0)


def build(sh: dict) -> None:
    sh["newHouse"](2)
    sh["newConsumer"](1, "Radiateur")
    sh["newConsumer"](1, "Lampe")
    sh["newConsumer"](1, "FRIGO")
    sh["newSupplier"](1, "Panneau solaire")
    sh["newConsumer"](2, "lamp")
    sh["newSupplier"](2, "Solar Panel")


def test_types_fold_case_accents_and_french_names() -> None:
    assert type_key("Lampe") == type_key("LAMP") == type_key("lamp") == "lamp"
    assert type_key("Éolienne") == type_key("wind turbine") == "wind turbine"
    assert type_key("Panneau Solaire") == type_key("Solar Panel")
    assert type_key("Frigo") == type_key("Fridge")
    assert type_key("Relais") == type_key("relay")
    assert type_key("Toaster") == "toaster"


def test_show_energy_shows_kwh_imported_and_exported(sh: dict, server, clock, capsys) -> None:  # noqa: ANN001
    build(sh)
    feed(server, clock, 3600)  # an hour
    capsys.readouterr()
    sh["showEnergy"]()
    text = capsys.readouterr().out
    # House 1 draws 2530 W and supplies 100 W: 2.430 kWh imported in the hour; house 2 draws
    # 230 W and supplies 5000 W: 4.770 kWh exported.
    assert "Neighborhood 0: today imported 2.430 kWh, exported 4.770 kWh" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:]}
    assert rows["1"][1:5] == ["2.430", "kWh", "0.000", "kWh"]
    assert rows["2"][1:5] == ["0.000", "kWh", "4.770", "kWh"]
    sh["showEnergy"](1)
    text = capsys.readouterr().out
    assert re.search(r"consumer 1 +Radiateur +2\.300 kWh consumed", text)
    assert re.search(r"supplier 1 +Panneau solaire +0\.100 kWh produced", text)
    sh["showEnergy"](9)
    assert capsys.readouterr().out.startswith("error: no house 9")


def test_show_types_counts_each_kind_once_whatever_its_spelling(
    sh: dict, server, clock, capsys
) -> None:  # noqa: ANN001
    build(sh)
    feed(server, clock, 3600)
    capsys.readouterr()
    sh["showTypes"]()
    text = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("  ")}
    # Lamps: house 1's "Lampe" and house 2's "lamp", both ON at 230 W: 0.460 kWh of 2.760.
    assert lines["Lamp"][1:8] == ["2", "2", "460.0", "W", "17", "%", "0.460"]
    assert lines["Radiator"][1:8] == ["1", "1", "2300.0", "W", "83", "%", "2.300"]
    assert lines["Fridge"][1:3] == ["1", "0"]
    assert lines["Solar"][2:5] == ["2", "2", "5100.0"]
    sh["showTypes"](2)
    text = capsys.readouterr().out
    assert "Consumers of house 2 by type:" in text and "Radiator" not in text


def test_live_redraws_in_place(sh: dict, server, clock, capsys) -> None:  # noqa: ANN001
    build(sh)
    feed(server, clock, 10)
    server.alarms.set_limit(1, 100.0)
    for _ in range(12):  # house 1 draws 2430 W against 100 W for more than the alarms' minimum
        feed(server, clock, 1)
        server.alarms.tick()
    capsys.readouterr()
    sh["live"](frames=2, refresh_s=0.1)
    text = capsys.readouterr().out
    assert text.count("\x1b[H\x1b[2J") == 2
    assert "ALARM: House 1 over its limit" in text
    assert "Energy: today imported" in text and "Neighborhood 0: 2 houses" in text
    sh["live"](1, frames=1)
    assert "House 1 (" in capsys.readouterr().out
    sh["live"](7)
    assert capsys.readouterr().out.startswith("error: no house 7")


def test_show_types_counts_power_now_of_the_houses_online_only(
    sh: dict, server, clock, capsys
) -> None:  # noqa: ANN001
    """A reviewer saw the types sum to ~5112 W while showHouses() said 3287.9 W: an offline
    house's last readings were counted as power now. Its energy today still counts."""
    build(sh)
    feed(server, clock, 60)
    for _ in range(60):  # house 1 falls silent: offline after --offline-after-s (30 s)
        server.ingest.handle(
            "Neighborhood/0/House/2/Consumer/1", orjson.dumps({"current_a": 1.0, "on": True})
        )
        clock.advance(1.0)
    capsys.readouterr()
    sh["showTypes"]()
    text = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("  ")}
    assert lines["Lamp"][1:5] == ["2", "1", "230.0", "W"]  # house 2's lamp only
    assert lines["Radiator"][1:5] == ["1", "0", "0.0", "W"]
    assert float(lines["Radiator"][7]) > 0  # its energy today, measured while online
    assert "left out: 1 house offline, last known 2530.0 W" in text
    sh["showHouses"]()
    assert "230.0 W" in capsys.readouterr().out.splitlines()[0]
