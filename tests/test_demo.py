"""startDemo() on a real Mosquitto: the documented grid, live readings, commands, stopDemo()."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import MosquittoProcess
from simulated import connected_server, server_settings

from energrid.demo import DEMO_DEVICES, Demo, day_length, find_demo_houses
from energrid.shell.commands import ShellCommands
from energrid.shell.session import build_namespace
from energrid_core.errors import BadArgumentError
from energrid_core.server import GridServer

PERIOD_S = 0.2


@pytest.fixture
def server(broker: MosquittoProcess) -> Iterator[GridServer]:
    with connected_server(broker) as running:
        yield running


@pytest.fixture
def demo(server: GridServer) -> Iterator[Demo]:
    # Real time (factor 1) at 18:30 of the demo's day: the radiators heat, the lamps and house
    # 2's oven are on, the sun is low but still there.
    running = Demo(server, pause_s=0.0, period_s=PERIOD_S, time_factor=1.0, start_hour=18.5)
    try:
        yield running
    finally:
        running.close()


def meter_count(server: GridServer, house: int) -> int:
    with server.lock:
        return server.grid.houses[house].meter_a.count


def flowing(server: GridServer, houses: list[int], count: int = 1) -> bool:
    with server.lock:
        for number in houses:
            house = server.grid.houses[number]
            if house.meter_a.count < count or not all(
                s.last_seen for s in house.suppliers.values()
            ):
                return False
        return True


def test_the_demo_builds_the_documented_grid_in_french(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.start()
    said = capsys.readouterr().out
    assert "Création de la maison 1." in said
    assert "  Maison 2 : ajout du consommateur 4 (Relais)." in said
    assert "Cartes simulées lancées" in said
    with server.lock:
        grid = server.grid.houses
        assert sorted(grid) == [1, 2]
        built = [(h, "consumer", c.type) for h in (1, 2) for c in grid[h].consumers.values()] + [
            (h, "supplier", s.type) for h in (1, 2) for s in grid[h].suppliers.values()
        ]
    assert sorted(built) == sorted(DEMO_DEVICES)


def test_readings_flow_at_once_and_change_over_time(server: GridServer, demo: Demo) -> None:
    demo.start(lang="en")
    wait_for(lambda: flowing(server, [1, 2], count=3), "three readings of both demo houses")

    def changing() -> bool:
        with server.lock:
            meter = server.grid.houses[1].meter_a
            return meter.max > meter.min

    wait_for(changing, "house 1's consumption to change")
    with server.lock:
        for house in server.grid.houses.values():
            assert house.consume() > 6.0  # a radiator heating, a fridge, a lamp...
            # The inverter's 230 V output: 12 W of load while the battery charges is 0.05 A.
            assert house.supply() > 0.02 and house.supply_w() > 5.0
            assert all(c.current_a.count for c in house.consumers.values())
    assert server.stats.rejected_total == 0


def test_setconsumer_1_1_0_drops_house_1_by_the_radiator_within_two_periods(
    server: GridServer, demo: Demo
) -> None:
    demo.start()
    namespace = build_namespace(server, demo)
    wait_for(lambda: flowing(server, [1]), "house 1's first reading")
    with server.lock:
        house = server.grid.houses[1]
        before_a, radiator_a = house.consume(), house.consumers[1].current_a.last
        sent_at = house.meter_a.count
    assert radiator_a > 6.0

    namespace["setConsumer"](1, 1, 0)

    def dropped() -> bool:
        with server.lock:
            return house.consumers[1].on is False and house.consume() < before_a - 5.0

    wait_for(dropped, "house 1's consumption to fall")
    # At most two readings after the command: the one in flight, then the switched-off one.
    with server.lock:
        assert house.meter_a.count <= sent_at + 2
        assert house.consume() == pytest.approx(before_a - radiator_a, abs=0.25)
        assert house.consumers[1].current_a.last == 0.0


def test_startdemo_twice_says_so_and_does_not_double_the_grid(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.start()
    fleet = demo.fleet
    capsys.readouterr()
    demo.start()
    assert "déjà lancée" in capsys.readouterr().out
    assert demo.fleet is fleet
    with server.lock:
        assert len(server.grid.houses) == 2


def test_stopdemo_stops_the_boards_and_startdemo_resumes_them(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.start(lang="en")
    wait_for(lambda: flowing(server, [1, 2]), "the demo's readings")
    fleet = demo.fleet
    assert fleet is not None and fleet.running
    demo.stop()
    assert "Demo stopped" in capsys.readouterr().out
    assert demo.fleet is None and not fleet.running
    assert not any(client.connected.is_set() for client in fleet.clients)
    demo.stop()
    assert "No demo is running" in capsys.readouterr().out

    # The boards kept their state: the radiator switched off before resuming stays off.
    demo.boards[0].consumers[1].on = False
    stopped_at = meter_count(server, 1)
    demo.start(lang="en")
    assert "Demo resumed: houses 1 and 2" in capsys.readouterr().out
    wait_for(lambda: meter_count(server, 1) > stopped_at, "readings after the restart")
    with server.lock:
        assert len(server.grid.houses) == 2
        assert server.grid.houses[1].consumers[1].on is False


def test_the_demo_comes_after_the_operators_houses(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    server.new_houses(1)
    demo.start(lang="en")
    said = capsys.readouterr().out
    assert "already has 1 house: the demo adds houses 2 and 3" in said
    assert "setConsumer(2, 1, 0)" in said
    wait_for(lambda: flowing(server, [2, 3]), "readings of houses 2 and 3")
    with server.lock:
        assert server.grid.houses[1].meter_a.count == 0
        # lang='en' names every device in English.
        assert [c.type for c in server.grid.houses[3].consumers.values()] == [
            "Radiator",
            "Fridge",
            "Lamp",
            "Relay",
        ]
        assert [s.type for s in server.grid.houses[3].suppliers.values()] == ["Solar Panel"]


def test_a_bad_language_changes_nothing(server: GridServer, demo: Demo) -> None:
    with pytest.raises(BadArgumentError, match="lang must be 'fr' or 'en'"):
        demo.start(lang="de")
    assert not server.grid.houses and demo.fleet is None


def test_the_demos_language_becomes_the_tables(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    """startDemo() narrates in French and the shell's tables follow; startDemo(lang='en') (here
    while the demo runs) turns both to English, even after setLanguage('fr')."""
    sh = ShellCommands(server, demo=demo.start).namespace()
    sh["startDemo"]()
    sh["showHouses"]()
    said = capsys.readouterr().out
    assert "Quartier prêt" in said or "Quartier construit" in said
    assert re.search(r"\nQuartier \d+ : 2 maisons, 9 appareils ;", said)
    assert "  maison  en ligne  consommateurs  fournisseurs" in said
    sh["showHouse"](1)
    assert "Consommateurs (3)" in capsys.readouterr().out
    sh["startDemo"](lang="en")
    sh["showHouses"]()
    said = capsys.readouterr().out
    assert "The demo is already running" in said
    assert re.search(r"\nNeighborhood \d+: 2 houses, 9 devices;", said)
    assert "  house  online  consumers  suppliers" in said
    sh["setLanguage"]("fr")
    sh["startDemo"](lang="en")
    sh["showEnergy"]()
    assert re.search(r"\nNeighborhood \d+: today imported", capsys.readouterr().out)


def test_the_shell_has_stopdemo_and_its_help(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = build_namespace(server, demo)
    namespace["stopDemo"]()  # in the shell's language, English until a demo or setLanguage
    assert "No demo is running: startDemo() starts one." in capsys.readouterr().out
    namespace["help"]()
    listing = capsys.readouterr().out
    assert "stopDemo()" in listing and "startDemo(lang='en')" in listing
    namespace["startDemo"]("xx")
    assert capsys.readouterr().out.startswith("error: lang must be 'fr' or 'en'")


def test_day_length_reads_naturally() -> None:
    assert day_length(10.0) == "2 h 24 min"
    assert day_length(1.0) == "24 h"
    assert day_length(60.0) == "24 min"
    assert day_length(1440.0) == "60 s"


def test_ctrl_c_during_the_narration_leaves_no_half_built_grid(
    server: GridServer, capsys: pytest.CaptureFixture[str]
) -> None:
    pauses = 0

    def interrupted_on_the_fifth_pause(seconds: float) -> None:
        nonlocal pauses
        pauses += 1
        if pauses == 5:
            raise KeyboardInterrupt

    demo = Demo(server, sleep=interrupted_on_the_fifth_pause)
    demo.start(lang="en")
    assert "Demo interrupted: its houses were removed, nothing changed." in capsys.readouterr().out
    with server.lock:
        assert server.grid.houses == {}
    assert not demo.running


def test_startdemo_after_a_restart_resumes_the_saved_demo_instead_of_adding_houses(
    broker: MosquittoProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The grid is saved: the next session's startDemo() finds the demo's houses by what they
    hold (not an operator's house next to them) and starts their boards again."""
    settings = server_settings(broker, state_dir=tmp_path / "state")
    for session in (1, 2, 3):
        server = GridServer(settings)
        demo = Demo(server, pause_s=0.0, period_s=PERIOD_S, time_factor=1.0)
        try:
            assert server.start(TIMEOUT_S)
            if session == 1:
                server.new_houses(1)
                server.new_consumers(1, 1, "Radiateur")  # the operator's, not the demo's
            before = meter_count(server, 2) if session > 1 else 0
            demo.start(lang="en")
            wait_for(lambda s=server, b=before: meter_count(s, 2) > b, "the demo's readings")
            with server.lock:
                assert sorted(server.grid.houses) == [1, 2, 3]
                assert server.grid.houses[1].meter_a.count == 0
        finally:
            demo.close()
            server.stop()
        said = capsys.readouterr().out
        if session == 1:
            assert "the demo adds houses 2 and 3" in said
        else:
            assert "The demo neighborhood of an earlier session is here (houses 2 and 3)" in said
            assert "Creating house" not in said


def test_find_demo_houses_wants_the_demos_devices_in_its_order(server: GridServer) -> None:
    server.new_houses(3)
    for house, kind, type_ in DEMO_DEVICES:
        make = server.new_consumers if kind == "consumer" else server.new_suppliers
        make(house + 1, 1, type_)  # houses 2 and 3
    assert find_demo_houses(server.grid) == [2, 3]
    server.new_consumers(3, 1, "LED")  # no longer exactly the demo's
    assert find_demo_houses(server.grid) == []


def test_ready_is_said_once_every_demo_board_has_been_heard_from(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.start(lang="en")
    assert "Neighborhood ready." in capsys.readouterr().out
    with server.lock:  # at once, no waiting: showHouses() now shows every device online
        for number in demo.houses:
            house = server.grid.houses[number]
            devices = [*house.consumers.values(), *house.suppliers.values()]
            assert all(d.last_seen is not None for d in devices), number


def test_ready_is_not_said_while_a_board_is_unheard(
    broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    # A server that never connects hears no board: the demo must not call its grid ready.
    deaf = GridServer(server_settings(broker))
    demo = Demo(deaf, pause_s=0.0, period_s=PERIOD_S, time_factor=1.0, ready_wait_s=1.0)
    try:
        demo.start(lang="en")
    finally:
        demo.close()
        deaf.stop()
    said = capsys.readouterr().out
    assert "Neighborhood ready" not in said
    assert "Neighborhood built, but house 1 has not been heard from yet" in said


@pytest.mark.parametrize(
    "names",
    [
        {"Panneau solaire": "Solar Panel"},  # a French demo of an earlier version
        {"Radiateur": "Radiator", "Frigo": "Fridge", "Lampe": "Lamp", "Relais": "Relay"},
    ],
)
def test_find_demo_houses_knows_the_demo_in_either_language(
    server: GridServer, names: dict[str, str]
) -> None:
    server.new_houses(2)
    for house, kind, type_ in DEMO_DEVICES:
        make = server.new_consumers if kind == "consumer" else server.new_suppliers
        make(house, 1, names.get(type_, type_))
    assert find_demo_houses(server.grid) == [1, 2]


def test_the_simulated_time_of_day_is_shown(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.clock_text() == ""
    demo.start()
    namespace = build_namespace(server, demo)
    wait_for(lambda: flowing(server, [1, 2]), "the demo's readings")
    assert demo.clock_text().startswith("heure simulée 18:3")
    capsys.readouterr()
    namespace["showEnergy"]()
    assert capsys.readouterr().out.startswith("(heure simulée 18:3")
