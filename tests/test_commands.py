"""The shell's commands as plain functions: output, one-line errors, nothing changed on error."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from energrid.demo import Demo
from energrid.shell.commands import ShellCommands
from energrid_core.errors import StoreError
from energrid_core.server import GridServer


@pytest.fixture
def server(make_offline_server: Callable[..., GridServer]) -> GridServer:
    # Not connected, on a port nothing listens on: the demo's boards must not reach a broker
    # running on this machine (an operator's Energrid on 1883) and feed its grid. Stopped by
    # the factory after the test.
    return make_offline_server()


@pytest.fixture
def sh(server: GridServer) -> Iterator[dict]:
    demo = Demo(server, pause_s=0)
    yield ShellCommands(server, demo=demo.start).namespace()
    if demo.running:
        demo.stop()


def assert_published(publish, topic: str, payload: str) -> None:  # noqa: ANN001
    """One publish of payload on topic, at QoS 1, not retained."""
    publish.assert_called_once()
    args, kwargs = publish.call_args
    assert args == (topic, payload)
    assert kwargs["qos"] == 1 and kwargs["retain"] is False


def output(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_the_seed_session_builds_the_documented_grid(sh: dict, server: GridServer, capsys) -> None:  # noqa: ANN001
    sh["newHouse"](2)
    sh["newConsumer"](1, 2, "LED")
    sh["newConsumer"](2, "Lamp")
    sh["newSupplier"](1, 2, "Solar Panel")
    sh["newSupplier"](2, "Wind Turbine")
    text = output(capsys)
    assert "Created houses 1..2." in text
    assert "Created consumers 1..2 (LED) in house 1." in text
    assert "Created consumer 1 (Lamp) in house 2." in text
    assert "Created supplier 1 (Wind Turbine) in house 2." in text
    grid = server.grid
    assert sorted(grid.houses) == [1, 2]
    assert [c.type for c in grid.house(1).consumers.values()] == ["LED", "LED"]
    assert [s.type for s in grid.house(1).suppliers.values()] == ["Solar Panel", "Solar Panel"]
    assert grid.house(2).consumer(1).type == "Lamp"
    assert grid.house(2).supplier(1).type == "Wind Turbine"

    sh["showHouses"]()
    houses = output(capsys)
    assert "Neighborhood 0: 2 houses, 6 devices; 0 houses and 0 devices online:" in houses
    assert "left out: 2 houses offline" in houses
    header = houses.splitlines()[1]
    assert header.split() == [
        "house",
        "online",
        "consumers",
        "suppliers",
        "current",
        "consumption",
        "supply",
        "net",
        "balance",
        "last",
        "reading",
    ]
    assert "0.00 A" in houses and "0.0 W" in houses
    sh["showHouse"](1)
    house = output(capsys)
    assert "House 1 (OFFLINE): consumption 0.00 A (0.0 W" in house
    assert "Consumers (2)" in house and "Suppliers (2)" in house
    assert house.count("LED") == 2 and house.count("Solar Panel") == 2


def test_set_consumer_publishes_the_seed_topic(
    sh: dict, server: GridServer, mocker, capsys
) -> None:  # noqa: ANN001
    sh["newHouse"](2)
    sh["newConsumer"](2, "Lamp")
    mocker.patch.object(type(server.client), "connected", new=True)
    publish = mocker.patch.object(server.client._client, "publish")
    publish.return_value.rc = 0
    sh["setConsumer"](2, 1, 1)
    assert_published(publish, "Neighborhood/0/House/2/Consumer/1/set", "1")
    assert server.grid.house(2).consumer(1).commanded == 1
    assert "Sent 1 (ON) to Neighborhood/0/House/2/Consumer/1/set" in output(capsys)


def test_set_supplier_publishes_boolean_load(sh: dict, server: GridServer, mocker) -> None:  # noqa: ANN001
    sh["newHouse"]()
    sh["newSupplier"](1, "Solar Panel")
    mocker.patch.object(type(server.client), "connected", new=True)
    publish = mocker.patch.object(server.client._client, "publish")
    publish.return_value.rc = 0
    sh["setSupplier"](1, 1, 0)
    assert_published(publish, "Neighborhood/0/House/1/Supplier/1/booleanLoad", "0")


BAD_CALLS = [
    ("newHouse", (0,), "must be 1 or more"),
    ("newHouse", (-3,), "must be 1 or more"),
    ("newHouse", ("2",), "must be a whole number"),
    ("newHouse", (1.5,), "must be a whole number"),
    ("newHouse", (1, 2), "wrong arguments"),
    ("showHouse", (9,), "no house 9"),
    ("showHouse", (), "wrong arguments"),
    ("newConsumer", (9, "LED"), "no house 9"),
    ("newConsumer", (1,), "expected 2 or 3 arguments"),
    ("newConsumer", (1, 2), "the type must be a name"),
    ("newConsumer", (1, 0, "LED"), "must be 1 or more"),
    ("newConsumer", (1, ""), "the type must be a name"),
    ("showConsumers", (1, 5), "house 1 has no consumer 5"),
    ("setConsumer", (1, 1, 2), "the state must be 1 (ON) or 0 (OFF)"),
    ("setConsumer", (1, 1, "on"), "the state must be 1 (ON) or 0 (OFF)"),
    ("setConsumer", (1, 7, 1), "house 1 has no consumer 7"),
    ("setConsumer", (4, 1, 1), "no house 4"),
    ("setSupplier", (1, 2, 1), "house 1 has no supplier 2"),
    ("rmHouse", (3,), "no house 3"),
    ("rmConsumer", (1, 3), "house 1 has no consumer 3"),
    ("rmSupplier", (1, 3), "house 1 has no supplier 3"),
    ("showHouses", ("x",), "the page must be a whole number"),
    ("showHouses", (2,), "there is only 1 page"),
    ("showHouse", (10**5000,), "the house must be at most 999999, not a number that large"),
    ("setConsumer", (1, 1), "wrong arguments (missing a required argument: 'value')"),
    ("newConsumer", (1,), "expected 2 or 3 arguments, got 1"),
    ("newHouse", (10**6,), "the number of houses must be at most 100000"),
    ("help", ("nothing",), "there is no command 'nothing'"),
    ("help", (42,), "42 is not an Energrid command"),
    ("debug", ("yes",), "debug takes True or False"),
]


@pytest.mark.parametrize(("name", "args", "message"), BAD_CALLS)
def test_a_wrong_argument_prints_one_line_and_changes_nothing(
    sh: dict,
    server: GridServer,
    capsys,
    name: str,
    args: tuple,
    message: str,  # noqa: ANN001
) -> None:
    sh["newHouse"]()
    sh["newConsumer"](1, "LED")
    sh["newSupplier"](1, "Solar Panel")
    capsys.readouterr()
    before = repr(server.grid.houses)
    result = sh[name](*args)
    text = output(capsys)
    assert result is None
    assert text.count("\n") == 1, text
    assert text.startswith("error: ")
    assert message in text
    assert "Usage: " in text
    assert "Traceback" not in text
    assert repr(server.grid.houses) == before


def test_a_command_while_the_broker_is_down_is_queued_in_one_line(
    sh: dict,
    server: GridServer,
    capsys,  # noqa: ANN001
) -> None:
    sh["newHouse"]()
    sh["newConsumer"](1, "LED")
    capsys.readouterr()
    sh["setConsumer"](1, 1, 1)
    text = output(capsys)
    assert text.startswith("Queued: the broker is not connected; 1 (ON) for ")
    assert text.count("\n") == 1 and "Usage" not in text
    assert server.grid.house(1).consumer(1).commanded is None  # the last command *sent*


def test_device_commands_take_the_seed_names_as_keywords(
    sh: dict,
    server: GridServer,
    capsys,  # noqa: ANN001
) -> None:
    sh["newHouse"]()
    sh["newConsumer"](1, n=2, type="LED")
    sh["newSupplier"](h=1, type="Solar Panel")
    assert [c.type for c in server.grid.house(1).consumers.values()] == ["LED", "LED"]
    assert len(server.grid.house(1).suppliers) == 1
    sh["newConsumer"](1, 2, "LED", type="Lamp")
    assert "expected 2 or 3 arguments, got 4" in output(capsys)


def test_a_bare_command_name_shows_its_usage(sh: dict) -> None:
    assert repr(sh["setConsumer"]).startswith("setConsumer(h, c, 0|1): Switch consumer c")
    assert repr(sh["help"]).startswith("help() or help(command)")


def test_help_lists_how_to_leave(sh: dict, capsys) -> None:  # noqa: ANN001
    sh["help"]()
    assert "exit()" in output(capsys)


def test_remove_commands(sh: dict, server: GridServer, capsys) -> None:  # noqa: ANN001
    sh["newHouse"](2)
    sh["newConsumer"](1, 3, "LED")
    sh["newSupplier"](1, "Solar Panel")
    sh["rmConsumer"](1, 2)
    sh["rmSupplier"](1, 1)
    sh["rmHouse"](2)
    text = output(capsys)
    assert "Removed consumer 2 of house 1." in text
    assert "Removed house 2 and its 0 devices." in text
    sh["newConsumer"](1, "Lamp")
    assert "Created consumer 4 (Lamp) in house 1." in output(capsys)  # 2 is never reused
    assert sorted(server.grid.houses) == [1]
    assert sorted(server.grid.house(1).consumers) == [1, 3, 4]
    assert not server.grid.house(1).suppliers


def test_help_lists_every_command(sh: dict, capsys) -> None:  # noqa: ANN001
    sh["help"]()
    text = output(capsys)
    for name in sh:
        assert f"{name}(" in text
    sh["help"](sh["setConsumer"])
    assert "setConsumer(h, c, 0|1)" in output(capsys)
    sh["help"]("showHouse")
    assert output(capsys).startswith("showHouse(h)\n  Every consumer and supplier")


def test_debug_toggles(sh: dict, capsys) -> None:  # noqa: ANN001
    sh["debug"](True)
    assert "DEBUG mode ON" in output(capsys)
    sh["debug"](False)
    assert "DEBUG mode OFF" in output(capsys)
    sh["debug"]("yes")
    assert output(capsys).startswith("error: ")


def test_start_demo_builds_the_seed_neighborhood(sh: dict, server: GridServer, capsys) -> None:  # noqa: ANN001
    sh["startDemo"]()
    text = output(capsys)
    assert "Création de la maison 1." in text
    one, two = server.grid.house(1), server.grid.house(2)
    assert [c.type for c in one.consumers.values()] == ["Radiateur", "Frigo", "Lampe"]
    assert [c.type for c in two.consumers.values()] == ["Radiateur", "Frigo", "Lampe", "Relais"]
    # All French: the panels too (startDemo(lang='en') names them Solar Panel).
    assert [s.type for s in one.suppliers.values()] == ["Panneau solaire"]
    assert [s.type for s in two.suppliers.values()] == ["Panneau solaire"]


def test_show_houses_pages_a_large_grid(sh: dict, capsys) -> None:  # noqa: ANN001
    sh["newHouse"](120)
    capsys.readouterr()
    sh["showHouses"]()
    text = output(capsys)
    assert "Neighborhood 0: 120 houses" in text
    assert "page 1 of 3" in text
    assert len(text.splitlines()) < 60
    sh["showHouses"](page=3)
    assert "page 3 of 3" in output(capsys)


def test_show_stats_counts_rejections(sh: dict, server: GridServer, capsys) -> None:  # noqa: ANN001
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b"not json")
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"1": NaN}')
    sh["showStats"]()
    text = output(capsys)
    words = " ".join(text.split())  # the labels are padded into one column
    assert "Messages received: 2 (" in words
    assert "Messages rejected: 2" in words
    # Each count of commands says whose: this server's, or other clients' (VR, dashboards).
    assert "Commands from this server: 0 sent," in words
    assert "Commands from other clients seen: 0 (VR, dashboards)" in words
    labelled = [line for line in text.splitlines() if not line.startswith(" ")][:9]
    starts = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in labelled}
    assert len(starts) == 1, labelled  # one column of values
    assert "json" in text and "non_finite" in text
    assert "Neighborhood/0/House/1/Consumer" in text


def test_a_refused_creation_uses_up_no_number(sh: dict, server: GridServer, capsys) -> None:  # noqa: ANN001
    sh["newHouse"](1)
    sh["newConsumer"](1, 3, "LED")
    sh["newConsumer"](1, "bad\udc80")
    assert "not valid text" in output(capsys)
    sh["newConsumer"](1, "Lamp")
    assert list(server.grid.house(1).consumers) == [1, 2, 3, 4]
    sh["newSupplier"](1, "bad\udc80")
    sh["newSupplier"](1, "Solar")
    assert list(server.grid.house(1).suppliers) == [1]


def test_a_creation_that_cannot_be_saved_uses_up_no_number(
    sh: dict,
    server: GridServer,
    capsys,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,  # noqa: ANN001
) -> None:
    sh["newHouse"](2)
    sh["newConsumer"](1, 2, "LED")

    def disk_full(*_args: object) -> None:
        raise StoreError("cannot save to grid.sqlite3: database or disk is full")

    monkeypatch.setattr(server.store, "add_houses", disk_full)
    monkeypatch.setattr(server.store, "add_devices", disk_full)
    sh["newHouse"](500)
    sh["newConsumer"](1, 7, "LED")
    sh["newSupplier"](2, "Solar")
    assert output(capsys).count("disk is full") == 3
    monkeypatch.undo()
    sh["newHouse"]()
    sh["newConsumer"](1, "Lamp")
    sh["newSupplier"](2, "Solar")
    assert list(server.grid.houses) == [1, 2, 3]
    assert list(server.grid.house(1).consumers) == [1, 2, 3]
    assert list(server.grid.house(2).suppliers) == [1]
    # What next_numbers saved is unchanged too: numbering goes on from there after a restart.
    server.stop()
    again = GridServer(server.settings)
    try:
        assert again.grid.next_house == 4
        assert again.grid.house(1).next_consumer == 4
        assert again.grid.house(2).next_supplier == 2
    finally:
        again.stop()
