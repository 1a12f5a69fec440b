"""setHouse(h, name=..., x=..., y=...): a name and a place for the 3D layout, saved with the
grid and published in the house list; a wrong argument is one line and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from mosquitto_fixture import free_port

from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.model import House
from energrid_core.server import GridServer
from energrid_core.state.payloads import house_places, houses_message


def make_server(state_dir: Path) -> GridServer:
    # Not connected: the commands and the store are what is tested here.
    return GridServer(Settings(mqtt_port=free_port(), state_dir=state_dir, start_broker=False))


@pytest.fixture
def sh(tmp_path: Path) -> Iterator[tuple[dict, GridServer]]:
    server = make_server(tmp_path)
    yield ShellCommands(server).namespace(), server
    server.stop()


def house_list(server: GridServer) -> list[dict]:
    """Each house as a client reads the houses topic: the defaults filled in."""
    places = house_places(orjson.loads(houses_message(0, list(server.grid.houses.values()))[1]))
    return [dict(zip(("house", "name", "x_m", "y_m"), place, strict=True)) for place in places]


def test_the_house_list_carries_only_what_set_house_set() -> None:
    """Default names and automatic places are left out, so that the retained payload stays
    far under Mosquitto's 256 KiB limit (45,531 houses, docs/protocol.md)."""
    houses = [House(1), House(2, name="Mairie", x_m=-20.0, y_m=35.5), House(3, name="École")]
    payload = orjson.loads(houses_message(0, houses)[1])
    assert payload == {
        "neighborhood": 0,
        "houses": [1, 2, 3],
        "layout_spacing_m": 14.0,
        "places": [
            {"house": 2, "name": "Mairie", "x_m": -20.0, "y_m": 35.5},
            {"house": 3, "name": "École"},
        ],
    }


def test_a_named_and_placed_house_is_saved_and_published(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    server = make_server(tmp_path)
    commands = ShellCommands(server).namespace()
    commands["newHouse"](3)
    commands["setHouse"](2, name="Mairie", x=-20, y=35.5)
    commands["setHouse"](3, name="École")  # named, left in the automatic layout
    assert "House 2: Mairie, at x=-20 m, y=35.5 m." in capsys.readouterr().out
    server.stop()
    again = make_server(tmp_path)  # a later session finds them
    try:
        listed = house_list(again)
        assert listed[1] == {"house": 2, "name": "Mairie", "x_m": -20.0, "y_m": 35.5}
        assert listed[2] == {"house": 3, "name": "École", "x_m": -7.0, "y_m": 7.0}  # automatic
        assert listed[0]["name"] == "House 1"
        ShellCommands(again).namespace()["rmHouse"](2)
    finally:
        again.stop()
    third = make_server(tmp_path)  # removing the house removed its place
    try:
        assert [h["house"] for h in house_list(third)] == [1, 3]
    finally:
        third.stop()


@pytest.mark.parametrize(
    ("args", "kwargs", "said"),
    [
        ((9,), {"name": "X"}, "house 9"),
        ((1,), {}, "give a name, or x and y, or both"),
        ((1,), {"x": 3}, "give x and y together"),
        ((1,), {"name": ""}, "the name must be text"),
        ((1,), {"name": "x" * 65}, "at most 64"),
        ((1,), {"x": float("nan"), "y": 0}, "x must be a number of metres"),
        ((1,), {"x": 0, "y": "north"}, "y must be a number of metres"),
        ((1,), {"x": 1e9, "y": 0}, "within"),
        (("one",), {"name": "X"}, "house"),
    ],
)
def test_a_wrong_argument_is_one_line_and_changes_nothing(
    sh: tuple[dict, GridServer],
    args: tuple,
    kwargs: dict,
    said: str,
    capsys,  # noqa: ANN001
) -> None:
    commands, server = sh
    commands["newHouse"]()
    capsys.readouterr()
    commands["setHouse"](*args, **kwargs)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], lines
    house = server.grid.houses[1]
    assert (house.name, house.x_m, house.y_m) == ("", None, None)
