"""GridServer saves every operator change and comes back with the same grid after a restart."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from grid_helpers import server_settings
from mosquitto_fixture import free_port

from energrid.shell.commands import ShellCommands
from energrid_core import sqlite_rows
from energrid_core.errors import BadArgumentError, StoreError
from energrid_core.persistence import snapshot, snapshot_saver
from energrid_core.persistence.store import Store
from energrid_core.server import GridServer

ODD_TYPES = ["a/+/#", "Lampe à économie", "nul\x00byte", "x" * 100, "#", "🌞 panel", "\x1b[31m"]


def offline_server(state_dir: Path, **changes: object) -> GridServer:
    """A server that is never started: enough for building the grid."""
    return GridServer(server_settings(free_port(), state_dir, **changes))


def restarted(server: GridServer, **changes: object) -> GridServer:
    server.stop()
    return offline_server(server.settings.state_dir, **changes)


def build(server: GridServer) -> None:
    server.new_houses(3)
    server.new_consumers(1, 2, "LED")
    server.new_consumers(2, 1, "Lamp")
    server.new_suppliers(2, 1, "Solar Panel")
    server.new_suppliers(3, 2, "Wind Turbine")


def describe(server: GridServer) -> list[tuple]:
    return [
        (h.identifier, kind, d.identifier, d.type, d.commanded)
        for h in server.grid.houses.values()
        for kind, devices in (("c", h.consumers), ("s", h.suppliers))
        for d in devices.values()
    ] + [("houses", tuple(server.grid.houses))]


def test_the_grid_comes_back_after_a_restart_and_numbering_continues(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    build(server)
    before = describe(server)
    server = restarted(server)
    assert describe(server) == before
    assert [h.identifier for h in server.new_houses(2)] == [4, 5]
    assert server.new_consumers(1, 1, "Fridge")[0].identifier == 3
    server = restarted(server)
    assert list(server.grid.houses) == [1, 2, 3, 4, 5]
    assert server.grid.house(1).consumer(3).type == "Fridge"
    server.stop()


def test_a_removed_number_is_not_handed_out_again_after_a_restart(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    server.new_houses(3)
    server.new_consumers(1, 3, "LED")
    server.rm_consumer(1, 3)
    server.rm_house(3)
    server = restarted(server)
    assert server.new_houses(1)[0].identifier == 4
    assert server.new_consumers(1, 1, "Lamp")[0].identifier == 4
    server.stop()


def test_removals_are_saved(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    build(server)
    server.rm_house(2)
    server.rm_consumer(1, 1)
    server.rm_supplier(3, 2)
    server = restarted(server)
    assert list(server.grid.houses) == [1, 3]
    assert list(server.grid.house(1).consumers) == [2]
    assert list(server.grid.house(3).suppliers) == [1]
    server.stop()


def test_a_change_that_cannot_be_saved_is_undone_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = offline_server(tmp_path / "state")
    build(server)
    before = describe(server)

    def disk_full(*_args: object) -> None:
        raise StoreError("cannot save to grid.sqlite3: database or disk is full")

    for name in ("add_houses", "add_devices", "remove_house", "remove_device"):
        monkeypatch.setattr(server.store, name, disk_full)
    for change in (
        lambda: server.new_houses(5),
        lambda: server.new_consumers(1, 3, "LED"),
        lambda: server.new_suppliers(2, 1, "Solar"),
        lambda: server.rm_house(1),
        lambda: server.rm_consumer(1, 1),
        lambda: server.rm_supplier(2, 1),
    ):
        with pytest.raises(StoreError, match="disk is full"):
            change()
        assert describe(server) == before
    monkeypatch.undo()
    assert describe(restarted(server)) == before


def test_device_types_hold_any_text_and_never_reach_a_topic(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    server.new_houses(1)
    for type_ in ODD_TYPES:
        server.new_consumers(1, 1, type_)
        server.new_suppliers(1, 1, type_)
    topics = [server._command_topic(1, "consumer", c) for c in server.grid.house(1).consumers]
    topics += [server._command_topic(1, "supplier", s) for s in server.grid.house(1).suppliers]
    for topic in topics:
        assert all(odd not in topic for odd in ODD_TYPES)
        head, _, tail = topic.partition("/House/1/")
        assert head == "Neighborhood/0" and tail.split("/")[1].isdigit()
    server = restarted(server)
    assert [c.type for c in server.grid.house(1).consumers.values()] == ODD_TYPES
    assert [s.type for s in server.grid.house(1).suppliers.values()] == ODD_TYPES
    server.stop()


def test_a_type_that_is_not_text_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    server.new_houses(1)
    with pytest.raises(BadArgumentError, match="not valid text"):
        server.new_consumers(1, 2, "half a surrogate \ud800")
    assert server.grid.house(1).consumers == {}
    server.stop()


def test_odd_types_print_as_one_escaped_line_in_the_shell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = offline_server(tmp_path / "state")
    shell = ShellCommands(server)
    shell.newHouse()
    shell.newConsumer(1, "two\nlines\x1b[2J")
    shell.showConsumers(1)
    printed = capsys.readouterr().out
    assert "two\\nlines\\x1b[2J" in printed and "\x1b" not in printed
    server.stop()


def test_readings_statistics_survive_a_clean_stop(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    build(server)
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 2320, "1": 900}')
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 1700, "1": 860}')
    server.ingest.handle(
        "Neighborhood/0/House/2/Supplier", b'{"1": {"lvoltage": 12, "lcurrent": 2}}'
    )
    meter = server.grid.house(1).meter_a.export()
    lamp = server.grid.house(1).consumer(1).current_a.export()
    server = restarted(server)
    assert server.grid.house(1).meter_a.export() == meter
    assert server.grid.house(1).consumer(1).current_a.export() == lamp
    assert server.grid.house(2).supplier(1).supply_w == 24.0
    server.stop()


def test_a_snapshot_is_taken_when_due_and_only_when_something_changed(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state", snapshot_interval_s=0.0)
    build(server)
    server.snapshots.tick()
    assert server.store.readings() == []  # nothing was received yet
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 2320}')
    server.snapshots.tick()
    assert [row[:3] for row in server.store.readings()] == [(1, "meter", 0)]
    server.stop()


def test_a_failing_snapshot_is_said_once_and_retried_at_its_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = offline_server(tmp_path / "state", snapshot_interval_s=60.0)
    build(server)
    tries: list[int] = []

    def disk_full(rows: list) -> None:
        tries.append(len(rows))
        raise StoreError("cannot save to grid.sqlite3: database or disk is full")

    monkeypatch.setattr(server.store, "save_readings", disk_full)
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 2320}')
    caplog.set_level(logging.INFO, logger="energrid")
    server.snapshots.saved_at -= 60.0  # the interval has passed
    for _ in range(5):  # rounds of its thread: one try, not five
        server.snapshots.tick()
    assert len(tries) == 1
    server.snapshots.saved_at -= 60.0  # the next interval: tried again, said no more
    for _ in range(5):
        server.snapshots.tick()
    assert len(tries) == 2
    said = [r for r in caplog.records if "not saved" in r.getMessage()]
    assert len(said) == 1 and said[0].exc_info is None
    assert "disk is full" in said[0].getMessage()
    monkeypatch.undo()
    server.snapshots.saved_at -= 60.0
    server.snapshots.tick()
    assert [row[:3] for row in server.store.readings()] == [(1, "meter", 0)]
    assert any("saved again" in r.getMessage() for r in caplog.records)
    server.stop()


def test_a_snapshot_copies_a_slice_of_houses_per_hold_of_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readings get the lock between slices, and the saved rows are the whole grid's."""
    server = offline_server(tmp_path / "state")
    server.new_houses(45)
    for house in range(1, 46):
        server.ingest.handle(f"Neighborhood/0/House/{house}/Consumer", b'{"0": 2320}')
    whole = snapshot.encode(snapshot.export(server.grid))
    slices: list[int] = []
    export_houses = snapshot.export_houses

    def one_slice(houses):  # noqa: ANN001, ANN202
        assert server.lock._is_owned()  # noqa: SLF001 - the copy is made under the lock
        copied = list(houses)
        slices.append(len(copied))
        return export_houses(copied)

    monkeypatch.setattr(snapshot, "export_houses", one_slice)
    monkeypatch.setattr(snapshot_saver, "SNAPSHOT_SLICE", 20)
    assert server.snapshots.save() == 45
    assert slices == [20, 20, 5]
    assert sorted(server.store.readings()) == sorted(whole)
    server.stop()


def test_commanded_state_from_another_client_is_saved(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    build(server)
    server.ingest.handle("Neighborhood/0/House/1/Consumer/2/set", b"1")
    server.ingest.handle("Neighborhood/0/House/2/Supplier/1/booleanLoad", b"0")
    server = restarted(server)
    assert server.grid.house(1).consumer(2).commanded == 1
    assert server.grid.house(2).supplier(1).commanded == 0
    server.stop()


def test_calibration_is_kept_with_the_grid(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state", cal_zero_raw=900.0, cal_on_threshold_raw=950.0)
    server.new_houses(1)
    server.new_consumers(1, 1, "LED")
    server = restarted(server)  # no calibration given this time
    assert server.settings.cal_zero_raw == 900.0
    assert server.ingest.decoder.calibration.zero_raw == 900.0
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"1": 940}')
    consumer = server.grid.house(1).consumer(1)
    assert consumer.on is False and consumer.current_a.last == pytest.approx(40 * 30 / 1700)
    server.stop()


def test_a_second_server_on_the_same_state_dir_is_refused(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    with pytest.raises(StoreError, match="another Energrid"):
        offline_server(tmp_path / "state")
    server.stop()
    offline_server(tmp_path / "state").stop()


def test_the_store_lives_in_the_state_dir(tmp_path: Path) -> None:
    server = offline_server(tmp_path / "state")
    assert server.store.path == tmp_path / "state" / "grid.sqlite3"
    server.stop()
    Store(tmp_path / "state" / "grid.sqlite3", 0).close()


@pytest.mark.parametrize("per_statement", [1, 2, 1000])
def test_a_snapshot_leaves_out_what_was_removed_before_it_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_statement: int
) -> None:
    """The rows are encoded outside the server's lock: a house or device removed meanwhile
    has rows that must not be saved. They go in multi-row statements (sqlite_rows), cut
    anywhere."""
    monkeypatch.setattr(sqlite_rows, "VARIABLES", 5 * per_statement)
    store = Store(tmp_path / "grid.sqlite3", 0)
    store.add_houses([1, 2])
    store.add_devices(1, "consumer", [(1, "Lamp"), (2, "Fridge")])
    store.remove_device(1, "consumer", 2)
    store.remove_house(2)
    rows = [
        (1, "meter", 0, b"m1"),
        (1, "consumer", 1, b"c1"),
        (1, "consumer", 2, b"gone device"),
        (2, "meter", 0, b"gone house"),
    ]
    store.save_readings(rows)
    assert sorted(store.readings()) == [(1, "consumer", 1, b"c1"), (1, "meter", 0, b"m1")]
    store.save_energy([(0, "neighborhood", 0, b"n"), *rows[1:], (1, "house", 0, b"h1")])
    assert sorted(store.energy()) == [
        (0, "neighborhood", 0, b"n"),
        (1, "consumer", 1, b"c1"),
        (1, "house", 0, b"h1"),
    ]
    store.close()
