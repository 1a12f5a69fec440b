"""A city of two neighborhoods on this machine: two edge Mosquittos bridged (with the section
`energrid bridge` prints) to a third, the city broker; an Energrid server on each edge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from city_site import City, MakeBroker, city_of
from helpers import wait_for

from energrid import cli
from energrid.city.city_client import CityClient
from energrid.city.city_state import Reach
from energrid.city.city_view import neighborhood_line
from energrid.shell import views
from energrid.shell.commands import ShellCommands
from energrid_core.state.payloads import grid_totals

CATCH_UP_S = 60.0  # the bridge retries after 1 s, then up to every 10 s; paho after 1 to 5 s


@pytest.fixture
def city(make_broker: MakeBroker, tmp_path: Path) -> Iterator[City]:
    # An alarm raised within half a second of its condition, for the test of the alarms.
    with city_of(make_broker, tmp_path, (1, 2), alarm_min_s=0.5) as site:
        one, two = site.neighborhoods[1], site.neighborhoods[2]
        one.server.new_houses(2)
        one.server.new_consumers(1, 2, "LED")
        one.server.new_consumers(2, 1, "Lamp")
        two.server.new_houses(3)
        for house in (1, 2, 3):
            two.server.new_consumers(house, 1, "Radiateur")
        one.board.reading(1, 1, 0.5)
        one.board.reading(1, 2, 1.25)
        one.board.reading(2, 1, 3.0)
        for house in (1, 2, 3):
            two.board.reading(house, 1, 2.0 * house)
        for n, amps in ((1, "4.75 A"), (2, "12.00 A")):
            wait_for(
                lambda n=n, amps=amps: shown_totals(site, n)["amps"] == amps,
                f"neighborhood {n}'s server to apply its readings",
            )
        yield site


@pytest.fixture
def viewer(city: City) -> Iterator[CityClient]:
    client = CityClient(city.broker.host, city.broker.port)
    client.start()
    yield client
    client.stop()


def shown_totals(city: City, n: int) -> dict[str, str]:
    """consumption (A, W), supply and net as showHouses() prints them on the neighborhood."""
    server = city.neighborhoods[n].server
    with server.lock:
        settings = server.settings
        totals = grid_totals(
            server.grid, settings.mains_voltage_v, server.clock(), settings.offline_after_s
        )
        line = views.neighborhood_line(n, totals)
    found = re.search(r"consumption (\S+ A) \((\S+ W)\), supply (\S+ W), net (\S+ W)", line)
    assert found, line
    return dict(zip(("amps", "watts", "supply", "net"), found.groups(), strict=True))


def city_line(client: CityClient, n: int) -> str:
    with client.lock:
        if n not in client.city.grids:
            return ""
        return neighborhood_line(client.city.summary(n))


def agrees(client: CityClient, city: City, n: int) -> bool:
    want = shown_totals(city, n)
    line = city_line(client, n)
    return (
        line.startswith(f"Neighborhood {n}: online")
        and f"consumption {want['amps']} ({want['watts']})" in line
        and f"({want['supply']}), net {want['net']}" in line
    )


def test_the_city_shows_each_neighborhood_with_the_totals_of_its_show_houses(
    city: City, viewer: CityClient, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in (1, 2):
        wait_for(lambda n=n: agrees(viewer, city, n), f"the city to show neighborhood {n}")
    capsys.readouterr()
    ShellCommands(city.neighborhoods[2].server).showHouses()
    shown = capsys.readouterr().out.splitlines()[0]
    assert "consumption 12.00 A (2760.0 W)" in shown  # 2 + 4 + 6 A on houses 1..3
    argv = [f"--mqtt-port={city.broker.port}", "city", "--once"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("Neighborhood ")]
    assert [line.split(":")[0] for line in lines] == ["Neighborhood 1", "Neighborhood 2"]
    assert "3 of 3 houses online" in lines[1] and "consumption 12.00 A (2760.0 W)" in lines[1]
    assert "consumption 4.75 A (1092.5 W)" in lines[0]
    assert "City: 5 houses; consumption 16.75 A (3852.5 W)" in out


def energy_today_kwh(line: str) -> float | None:
    found = re.search(r"; today imported (\S+) kWh, exported \S+ kWh;", line)
    return None if found is None else float(found.group(1))


def test_the_city_shows_each_neighborhoods_energy_today_and_alarms_through_the_bridges(
    city: City, viewer: CityClient, capsys: pytest.CaptureFixture[str]
) -> None:
    city.neighborhoods[2].server.alarms.set_limit(0, 1000.0)  # it draws 2760 W: over it
    wait_for(lambda: city_line(viewer, 2).endswith("; alarms: 1"), "neighborhood 2's alarm")
    wait_for(lambda: city_line(viewer, 1).endswith("; alarms: 0"), "neighborhood 1's alarms")

    def counted(n: int) -> bool:
        """Energy is counted between two readings: the boards report again at each look."""
        board = city.neighborhoods[n].board
        for (house, consumer), current_a in dict(board.currents_a).items():
            board.reading(house, consumer, current_a)
        return (energy_today_kwh(city_line(viewer, n)) or 0.0) > 0.0

    for n in (1, 2):
        wait_for(lambda n=n: counted(n), f"neighborhood {n}'s energy today in the city")
    assert cli.main([f"--mqtt-port={city.broker.port}", "city", "--once"]) == 0
    lines = capsys.readouterr().out.splitlines()
    two = next(i for i, line in enumerate(lines) if line.startswith("Neighborhood 2:"))
    assert lines[two + 1].startswith("    ALARM: Neighborhood over its limit: ")
    assert lines[two + 1].endswith(" W drawn, limit 1000 W")
    city_total = next(line for line in lines if line.startswith("City: "))
    assert city_total.endswith("; alarms: 1")
    assert lines[two - 1].startswith("Neighborhood 1: online")  # no alarm under it
    shown = [energy_today_kwh(lines[i]) for i in (two - 1, two)]
    total = energy_today_kwh(city_total)
    assert None not in shown and total is not None
    # One view: the City: line adds up the lines above it (within their rounding).
    assert abs(total - sum(shown)) <= 0.0011  # type: ignore[arg-type]


def test_a_command_from_the_city_reaches_a_board_of_neighborhood_2_and_is_confirmed(
    city: City, viewer: CityClient, capsys: pytest.CaptureFixture[str]
) -> None:
    wait_for(lambda: agrees(viewer, city, 2), "the city to show neighborhood 2")
    argv = [f"--mqtt-port={city.broker.port}", "city", "--set", "2", "3", "1", "0"]
    assert cli.main(argv) == 0
    assert "Neighborhood 2 house 3 consumer 1 confirmed OFF in" in capsys.readouterr().out
    topic = "Neighborhood/2/House/3/Consumer/1/set"
    assert city.neighborhoods[2].board.received() == [(topic, b"0")]
    assert city.neighborhoods[1].board.received() == []  # only neighborhood 2's bridge takes it
    server = city.neighborhoods[2].server
    with server.lock:
        assert server.grid.houses[3].consumers[1].commanded == 0
    wait_for(lambda: agrees(viewer, city, 2), "the city to show house 3 off")
    assert "consumption 6.00 A" in city_line(viewer, 2)


def test_a_wrong_command_is_one_line_and_sends_nothing(
    city: City, viewer: CityClient, capsys: pytest.CaptureFixture[str]
) -> None:
    wait_for(lambda: agrees(viewer, city, 2), "the city to show neighborhood 2")
    base = [f"--mqtt-port={city.broker.port}", "city"]
    cases = [
        (["--set", "7", "1", "1", "1"], "neighborhood 7 is not in the city at"),
        (["--set", "2", "9", "1", "1"], "neighborhood 2 has no house 9"),
        (["--set", "2", "1", "4", "1"], "house 1 of neighborhood 2 has no consumer 4"),
        (["--set-supplier", "2", "1", "1", "1"], "house 1 of neighborhood 2 has no supplier 1"),
    ]
    for extra, said in cases:
        assert cli.main([*base, *extra]) == 1
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1
    assert cli.main([*base, "--set", "2", "1", "1", "5"]) == 2
    assert "the state is 0 (off) or 1 (on), not 5" in capsys.readouterr().err
    assert city.neighborhoods[2].board.received() == []


def test_the_city_broker_restarted_the_view_catches_up_and_the_neighborhoods_never_stopped(
    city: City, viewer: CityClient
) -> None:
    for n in (1, 2):
        wait_for(lambda n=n: agrees(viewer, city, n), f"the city to show neighborhood {n}")
    city.broker.stop()  # no persistence: it comes back empty
    wait_for(lambda: not viewer.connected.is_set(), "the view to see the city broker gone")
    one = city.neighborhoods[1]
    one.board.reading(2, 1, 7.5)  # neighborhood 1 goes on working without the city
    wait_for(lambda: shown_totals(city, 1)["amps"] == "9.25 A", "neighborhood 1 to apply it")
    city.broker.start()
    for n in (1, 2):
        wait_for(
            lambda n=n: agrees(viewer, city, n),
            f"the city view to catch up with neighborhood {n}",
            timeout_s=CATCH_UP_S,
        )
    assert "consumption 9.25 A" in city_line(viewer, 1)


def test_a_neighborhood_whose_server_stops_is_offline_and_the_other_unaffected(
    city: City, viewer: CityClient
) -> None:
    for n in (1, 2):
        wait_for(lambda n=n: agrees(viewer, city, n), f"the city to show neighborhood {n}")
    city.neighborhoods[1].server.stop()

    def reach(n: int) -> Reach:
        with viewer.lock:
            return viewer.city.summary(n).reach

    wait_for(lambda: reach(1) is Reach.OFFLINE, "neighborhood 1 to be offline in the city")
    assert city_line(viewer, 1).startswith("Neighborhood 1: OFFLINE")
    assert reach(2) is Reach.ONLINE
    city.neighborhoods[2].board.reading(1, 1, 1.0)
    wait_for(lambda: agrees(viewer, city, 2), "neighborhood 2 to go on updating in the city")


def test_a_neighborhood_whose_broker_stops_is_unreachable_and_comes_back(
    city: City, viewer: CityClient
) -> None:
    for n in (1, 2):
        wait_for(lambda n=n: agrees(viewer, city, n), f"the city to show neighborhood {n}")

    def reach(n: int) -> Reach:
        with viewer.lock:
            return viewer.city.summary(n).reach

    edge = city.neighborhoods[1].edge
    edge.stop()  # the bridge's last will on the city broker says 0
    wait_for(lambda: reach(1) is Reach.UNREACHABLE, "neighborhood 1 to be unreachable")
    assert city_line(viewer, 1).startswith("Neighborhood 1: UNREACHABLE")
    assert reach(2) is Reach.ONLINE
    edge.start()
    wait_for(
        lambda: agrees(viewer, city, 1), "neighborhood 1 back in the city", timeout_s=CATCH_UP_S
    )
