"""The grid database: schema, round trips, locking, calibration precedence, readings snapshot."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from energrid_core.config import Settings, from_env
from energrid_core.errors import StoreError
from energrid_core.model import Neighborhood
from energrid_core.persistence import snapshot
from energrid_core.persistence.store import (
    CALIBRATION_SETTINGS,
    LOCK_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    STORE_NAME,
    Store,
    resolve_calibration,
)

ODD_TYPES = ["a/+/#", "Lampe à économie", "nul\x00byte", "x" * 100, "$SYS/#", "ʕ•ᴥ•ʔ 🌞", " "]


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    opened = Store.in_state_dir(tmp_path / "state", 0)
    yield opened
    opened.close()


def reopen(store: Store) -> Store:
    store.close()
    return Store(store.path, 0)


def test_a_new_store_has_the_current_schema_version(store: Store) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_a_version_1_database_is_migrated_with_everything_it_held(tmp_path: Path) -> None:
    path = tmp_path / STORE_NAME
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version VALUES (1)")
    db.execute("INSERT INTO houses VALUES (0, 1), (0, 3)")
    db.execute("INSERT INTO devices VALUES (0, 3, 'consumer', 2, 'Fridge', 1)")
    db.execute("INSERT INTO next_numbers VALUES (0, 0, 'house', 5), (0, 3, 'consumer', 4)")
    db.execute("INSERT INTO pending_commands VALUES (0, 3, 'consumer', 2, 0, 10.0, 70.0)")
    db.execute("INSERT INTO readings VALUES (0, 3, 'consumer', 2, x'00')")
    db.close()

    store = Store(path, 0)
    grid = Neighborhood(0)
    store.load_grid(grid)
    assert sorted(grid.houses) == [1, 3] and grid.next_house == 5
    fridge = grid.houses[3].consumers[2]
    assert (fridge.type, fridge.commanded, grid.houses[3].next_consumer) == ("Fridge", 1, 4)
    assert store.pending() == [(3, "consumer", 2, 0, 10.0, 70.0)]
    assert store.readings() == [(3, "consumer", 2, b"\x00")]
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    tables = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    db.close()
    for table in ("houses", "devices", "pending_commands", "readings", "next_numbers"):
        assert tables[table].endswith("WITHOUT ROWID"), table


def test_a_database_from_a_newer_energrid_is_refused_in_one_line(store: Store) -> None:
    path = store.path
    store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer Energrid") as caught:
        Store(path, 0)
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_a_database_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / STORE_NAME).write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match="move the file away") as caught:
        Store(tmp_path / STORE_NAME, 0)
    assert "\n" not in str(caught.value)
    Store(tmp_path / "other.sqlite3", 0).close()  # the directory lock was released


def test_a_second_store_on_the_same_directory_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match=r"another Energrid \(pid \d+\)"):
        Store(store.path, 0)
    store.close()
    Store(store.path, 0).close()
    assert (store.path.parent / LOCK_NAME).exists()


def test_houses_devices_types_and_commanded_state_round_trip(store: Store) -> None:
    store.add_houses([1, 2, 3])
    store.add_devices(1, "consumer", [(1, "LED"), (2, "Lamp")])
    store.add_devices(2, "supplier", [(1, "Solar Panel")])
    store.add_devices(3, "consumer", list(enumerate(ODD_TYPES, start=1)))
    store.set_commanded(1, "consumer", 2, 1)
    store.set_commanded(2, "supplier", 1, 0)
    store = reopen(store)
    grid = Neighborhood(0, history_len=5)
    store.load_grid(grid)
    assert list(grid.houses) == [1, 2, 3]
    assert [(c.identifier, c.type, c.commanded) for c in grid.house(1).consumers.values()] == [
        (1, "LED", None),
        (2, "Lamp", 1),
    ]
    assert grid.house(2).supplier(1).type == "Solar Panel"
    assert grid.house(2).supplier(1).commanded == 0
    assert [c.type for c in grid.house(3).consumers.values()] == ODD_TYPES
    assert grid.house(1).consumer(1).current_a.history_len == 5
    assert grid.add_house().identifier == 4  # numbering continues after the saved houses
    store.close()


def test_a_store_reads_and_writes_the_neighborhood_it_is_bound_to_alone(store: Store) -> None:
    store.add_houses([1, 2])
    store.add_devices(1, "consumer", [(1, "LED")])
    store.save_pending((1, "consumer", 1, 1, 10.0, 20.0))
    store.save_readings([(1, "meter", 0, b"{}")])
    store.save_binding(1, 1, "tasmota", "plug")
    path = store.path
    store.close()
    other = Store(path, 1)  # the same state dir, serving another neighborhood: opened as before
    assert (other.pending(), other.readings(), other.bindings()) == ([], [], [])
    other.add_houses([7])
    other.remove_house(1)  # neighborhood 0's house 1 is not touched
    seven = Neighborhood(1)
    other.load_grid(seven)
    assert list(seven.houses) == [7]
    with pytest.raises(ValueError, match="neighborhood 1, not 0"):
        other.load_grid(Neighborhood(0))
    other.close()
    store = Store(path, 0)
    grid = Neighborhood(0)
    store.load_grid(grid)
    assert list(grid.houses) == [1, 2] and list(grid.house(1).consumers) == [1]
    assert store.pending() == [(1, "consumer", 1, 1, 10.0, 20.0)]
    assert [row[:3] for row in store.readings()] == [(1, "meter", 0)]
    assert store.bindings() == [(1, 1, "tasmota", "plug")]
    store.close()


def test_removing_a_house_removes_everything_it_had(store: Store) -> None:
    store.add_houses([1, 2])
    store.add_devices(1, "consumer", [(1, "LED")])
    store.save_pending((1, "consumer", 1, 1, 10.0, 20.0))
    store.save_readings([(1, "consumer", 1, b"{}")])
    store.remove_house(1)
    grid = Neighborhood(0)
    store.load_grid(grid)
    assert list(grid.houses) == [2]
    assert store.pending() == [] and store.readings() == []


def test_removing_a_device_keeps_the_others(store: Store) -> None:
    store.add_houses([1])
    store.add_devices(1, "consumer", [(1, "LED"), (2, "Lamp")])
    store.add_devices(1, "supplier", [(1, "Solar")])
    store.save_pending((1, "consumer", 1, 1, 10.0, 20.0))
    store.remove_device(1, "consumer", 1)
    grid = Neighborhood(0)
    store.load_grid(grid)
    assert list(grid.house(1).consumers) == [2] and list(grid.house(1).suppliers) == [1]
    assert store.pending() == []


def test_an_unchanged_commanded_state_writes_nothing(store: Store) -> None:
    store.add_houses([1])
    store.add_devices(1, "consumer", [(1, "LED")])
    store.set_commanded(1, "consumer", 1, 1)
    before = store._db.total_changes
    store.set_commanded(1, "consumer", 1, 1)
    assert store._db.total_changes == before
    store.set_commanded(1, "consumer", 1, 0)
    assert store._db.total_changes == before + 1


def test_pending_commands_latest_wins_per_device(store: Store) -> None:
    store.save_pending((1, "consumer", 1, 1, 10.0, 130.0))
    store.save_pending((1, "consumer", 1, 0, 11.0, 131.0))
    store.save_pending((2, "supplier", 1, 1, 12.0, 132.0))
    assert store.pending() == [
        (1, "consumer", 1, 0, 11.0, 131.0),
        (2, "supplier", 1, 1, 12.0, 132.0),
    ]
    store.delete_pending(1, "consumer", 1)
    assert store.pending() == [(2, "supplier", 1, 1, 12.0, 132.0)]


def test_a_failed_write_changes_nothing_and_says_where(store: Store) -> None:
    store.add_houses([1])
    with pytest.raises(StoreError, match=str(store.path)) as caught:
        store.add_houses([2, 1])  # the second row breaks the primary key: all rolled back
    assert "\n" not in str(caught.value)
    grid = Neighborhood(0)
    store.load_grid(grid)
    assert list(grid.houses) == [1]


# --- calibration ----------------------------------------------------------------------------


def test_saved_calibration_is_used_when_nothing_is_given(store: Store) -> None:
    first = Settings(cal_zero_raw=860.0, mains_voltage_v=120.0)
    resolve_calibration(store, first)
    later = Settings()
    resolve_calibration(store, later)
    assert later.cal_zero_raw == 860.0 and later.mains_voltage_v == 120.0
    assert later.cal_on_threshold_raw == Settings().cal_on_threshold_raw
    assert set(store.calibration()) == set(CALIBRATION_SETTINGS)


def test_a_flag_or_variable_wins_over_the_saved_calibration_even_at_the_default(
    store: Store,
) -> None:
    resolve_calibration(store, Settings(cal_zero_raw=860.0))
    back_to_default = from_env({"ENERGRID_CAL_ZERO_RAW": "850"})
    resolve_calibration(store, back_to_default)
    assert back_to_default.cal_zero_raw == 850.0
    assert store.calibration()["cal_zero_raw"] == 850.0


# --- readings snapshot ----------------------------------------------------------------------


def fed_grid(history_len: int = 3) -> Neighborhood:
    grid = Neighborhood(0, history_len)
    house = grid.add_house()
    lamp = house.add_consumer("Lamp")
    house.add_consumer("never read")
    panel = house.add_supplier("Solar")
    for t in range(5):
        house.meter_a.update(100.0 + t, 10.0 + t)
        lamp.current_a.update(100.0 + t, 0.5 * t)
        panel.update(100.0 + t, {"load_voltage_v": 12.0, "load_current_a": 0.1 * t}, True)
    lamp.on, lamp.raw = True, 900.0
    return grid


def test_snapshot_round_trip_keeps_statistics_and_history() -> None:
    grid = fed_grid()
    rows = snapshot.encode(snapshot.export(grid))
    assert len(rows) == 3  # meter, the lamp, the panel; not the device without readings
    fresh = Neighborhood(0, 3)
    fresh.add_house().add_consumer("Lamp")
    fresh.house(1).add_consumer("never read")
    fresh.house(1).add_supplier("Solar")
    assert snapshot.restore(fresh, rows) == 3
    before, after = grid.house(1), fresh.house(1)
    assert after.meter_a.export() == before.meter_a.export()
    assert after.consumer(1).current_a.export() == before.consumer(1).current_a.export()
    assert after.consumer(1).current_a.history() == [(102.0, 1.0), (103.0, 1.5), (104.0, 2.0)]
    assert (after.consumer(1).on, after.consumer(1).raw) == (True, 900.0)
    assert after.supplier(1).supply_w == pytest.approx(before.supplier(1).supply_w)
    assert after.supplier(1).last_seen == 104.0 and after.supplier(1).load_on is True
    after.consumer(1).current_a.update(105.0, 3.0)  # and it goes on from there
    assert after.consumer(1).current_a.count == 6


def test_snapshot_trims_history_to_a_shorter_history_len() -> None:
    rows = snapshot.encode(snapshot.export(fed_grid(history_len=5)))
    fresh = Neighborhood(0, 2)
    fresh.add_house().add_consumer("Lamp")
    snapshot.restore(fresh, rows)
    assert [v for _t, v in fresh.house(1).consumer(1).current_a.history()] == [1.5, 2.0]


def test_unreadable_or_orphan_snapshot_rows_are_skipped_whole() -> None:
    grid = Neighborhood(0, 3)
    grid.add_house().add_consumer("Lamp")
    grid.house(1).add_supplier("Solar")
    good = snapshot.encode(snapshot.export(fed_grid()))
    bad_supplier = (1, "supplier", 1, b'{"sensors": {"load_current_a": {"count": 1}}}')
    rows = [
        (1, "consumer", 1, b"not json"),
        bad_supplier,
        (9, "consumer", 1, good[1][3]),  # no house 9
        (1, "consumer", 7, good[1][3]),  # no consumer 7
    ]
    assert snapshot.restore(grid, rows) == 0
    assert grid.house(1).consumer(1).current_a.count == 0
    assert grid.house(1).supplier(1).sensors == {}
