"""The operator's grid on disk: SQLite in the state directory, one transaction per change.

Holds what the operator built (houses, devices and their types, the last command sent to each
device), the installation's calibration, commands not yet confirmed by the broker, and the
latest snapshot of the readings' statistics. Thread-safe: one connection behind one lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from energrid_core.config import Settings
from energrid_core.errors import StoreError
from energrid_core.model import Consumer, House, Neighborhood, Supplier
from energrid_core.private_files import private_directory, private_file, tighten_if_present
from energrid_core.sqlite_rows import insert_rows

log = logging.getLogger("energrid.store")

STORE_NAME = "grid.sqlite3"
LOCK_NAME = "grid.lock"
SCHEMA_VERSION = 6
WAL_CHECKPOINT_PAGES = 4000


# A saved row: neighborhood, house, kind, device, state (the readings and energy tables).
ROW_COLUMNS = ("n", "h", "k", "d", "s")


def _without_rowid(table: str) -> tuple[str, ...]:
    """Statements that rebuild a version 1 table WITHOUT ROWID, keeping its rows."""
    create = next(sql for sql in _VERSION_1 if sql.startswith(f"CREATE TABLE {table} ("))
    return (
        create.replace(f"CREATE TABLE {table} (", f"CREATE TABLE {table}_v2 (") + " WITHOUT ROWID",
        f"INSERT INTO {table}_v2 SELECT * FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE {table}_v2 RENAME TO {table}",
    )


_VERSION_1 = (
    "CREATE TABLE calibration (name TEXT PRIMARY KEY, value REAL NOT NULL)",
    "CREATE TABLE houses (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
    " PRIMARY KEY (neighborhood, house))",
    "CREATE TABLE devices (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('consumer', 'supplier')),"
    " device INTEGER NOT NULL, type TEXT NOT NULL,"
    " commanded INTEGER CHECK (commanded IN (0, 1)),"
    " PRIMARY KEY (neighborhood, house, kind, device))",
    "CREATE TABLE pending_commands (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
    " kind TEXT NOT NULL, device INTEGER NOT NULL, state INTEGER NOT NULL,"
    " created REAL NOT NULL, expires_at REAL NOT NULL,"
    " PRIMARY KEY (neighborhood, house, kind, device))",
    "CREATE TABLE readings (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
    " kind TEXT NOT NULL, device INTEGER NOT NULL, state BLOB NOT NULL,"
    " PRIMARY KEY (neighborhood, house, kind, device))",
    # The next number to hand out, so that a removed one is never given again, even after
    # a restart: kind 'house' (with house 0), or 'consumer' / 'supplier' of that house.
    "CREATE TABLE next_numbers (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
    " kind TEXT NOT NULL, next INTEGER NOT NULL, PRIMARY KEY (neighborhood, house, kind))",
)

# Each entry brings the schema from the previous version to this one.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: _VERSION_1,
    # The same tables WITHOUT ROWID: a row lives in its primary key's b-tree alone, so adding
    # devices writes half the pages (building 10,000 houses of 10 consumers: -20 %).
    2: tuple(
        statement
        for table in ("houses", "devices", "pending_commands", "readings", "next_numbers")
        for statement in _without_rowid(table)
    ),
    # A consumer fed by a plug people already own (a Tasmota topic, a Shelly id): bindDevice.
    3: (
        "CREATE TABLE bindings (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
        " consumer INTEGER NOT NULL, flavour TEXT NOT NULL, device TEXT NOT NULL,"
        " PRIMARY KEY (neighborhood, house, consumer)) WITHOUT ROWID",
    ),
    # setHouse(): a house's name and place for a 3D layout, when the operator gave them.
    4: (
        "CREATE TABLE house_places (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
        " name TEXT NOT NULL, x_m REAL, y_m REAL, PRIMARY KEY (neighborhood, house))"
        " WITHOUT ROWID",
    ),
    # Energy counters (energrid_core.manage.energy): kind 'house' and 'neighborhood' too.
    5: (
        "CREATE TABLE energy (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
        " kind TEXT NOT NULL, device INTEGER NOT NULL, state BLOB NOT NULL,"
        " PRIMARY KEY (neighborhood, house, kind, device)) WITHOUT ROWID",
        # Limits (house 0: the neighborhood's), priorities, shed consumers, the alarm history
        # and on/off options (energrid_core.persistence.manage_store).
        "CREATE TABLE limits (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
        " watts REAL NOT NULL, PRIMARY KEY (neighborhood, house)) WITHOUT ROWID",
        "CREATE TABLE priorities (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
        " kind TEXT NOT NULL, device INTEGER NOT NULL, priority INTEGER NOT NULL,"
        " PRIMARY KEY (neighborhood, house, kind, device)) WITHOUT ROWID",
        "CREATE TABLE shed (neighborhood INTEGER NOT NULL, house INTEGER NOT NULL,"
        " kind TEXT NOT NULL, device INTEGER NOT NULL, scope INTEGER NOT NULL,"
        " shed_at REAL NOT NULL, power_w REAL NOT NULL,"
        " PRIMARY KEY (neighborhood, house, kind, device)) WITHOUT ROWID",
        "CREATE TABLE alarm_history (neighborhood INTEGER NOT NULL, at REAL NOT NULL,"
        " alarm TEXT NOT NULL, event TEXT NOT NULL, text TEXT NOT NULL)",
        "CREATE INDEX alarm_history_at ON alarm_history (neighborhood, at)",
        "CREATE TABLE options (neighborhood INTEGER NOT NULL, name TEXT NOT NULL,"
        " value TEXT NOT NULL, PRIMARY KEY (neighborhood, name)) WITHOUT ROWID",
    ),
    # The alarm history kept language-neutral: each row's note (id and values, JSON) is worded
    # when shown, in the shell's language. Rows written before keep their English `text`.
    6: ("ALTER TABLE alarm_history ADD COLUMN note TEXT",),
}

_HOUSE_TABLES = (
    "houses",
    "devices",
    "pending_commands",
    "readings",
    "next_numbers",
    "house_places",
    "bindings",
    "energy",
    "limits",
    "priorities",
    "shed",
)

_SAVE_NEXT = (
    "INSERT INTO next_numbers VALUES (?, ?, ?, ?) ON CONFLICT (neighborhood, house, kind)"
    " DO UPDATE SET next = max(next, excluded.next)"
)

_DELETE_BINDING = "DELETE FROM bindings WHERE neighborhood = ? AND house = ? AND consumer = ?"

PendingRow = tuple[int, str, int, int, float, float]  # house, kind, device, state, created, expires
ReadingRow = tuple[int, str, int, bytes]  # house, kind ("meter" too), device, state


class Store:
    """The grid database of one state directory, bound to the neighborhood its server serves.

    A server serves one neighborhood, so the store is told which when it is opened and every
    method reads and writes that neighborhood's rows alone. The rows keep their neighborhood
    column: a state directory that served another neighborhood opens as before, and the other
    neighborhood's rows stay untouched beside this one's. A second process on it is refused.
    """

    def __init__(self, path: Path, neighborhood: int) -> None:
        self.path = Path(path)
        self.neighborhood = neighborhood
        self._lock = threading.Lock()
        self._lock_file = _take_directory_lock(self.path.parent / LOCK_NAME)
        try:
            try:
                # 0600 before SQLite opens it: its -wal and -shm files take the database's mode.
                private_file(self.path)
                for suffix in ("-wal", "-shm"):
                    tighten_if_present(self.path.with_name(self.path.name + suffix))
            except OSError as exc:
                raise sqlite3.OperationalError(exc.strerror) from None
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed change survives a power cut as well as kill -9.
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Copy the log into the database every 4,000 pages (16 MB) rather than SQLite's
            # 1,000: fewer checkpoints while a grid is built (10,000 houses: -10 %).
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self._migrate()
        except sqlite3.Error as exc:
            self._lock_file.close()
            raise StoreError(
                f"cannot open the grid database {self.path}: {exc}; move the file away to "
                "start with an empty grid"
            ) from None

    @classmethod
    def in_state_dir(cls, state_dir: Path, neighborhood: int) -> Store:
        try:
            private_directory(Path(state_dir))
        except OSError as exc:
            raise StoreError(f"cannot create the state directory {state_dir}: {exc}") from None
        return cls(Path(state_dir) / STORE_NAME, neighborhood)

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()

    # --- transactions --------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot save to {self.path}: {exc}") from None

    def _statement(self, sql: str, params: tuple) -> None:
        """One statement in a transaction of its own (the connection is in autocommit mode)."""
        with self._lock:
            try:
                self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot save to {self.path}: {exc}") from None

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {self.path}: {exc}") from None

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Energrid (schema {version}, this one "
                f"knows {SCHEMA_VERSION})"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            db.execute("BEGIN IMMEDIATE")
            for statement in MIGRATIONS[target]:
                db.execute(statement)
            db.execute("DELETE FROM schema_version")
            db.execute("INSERT INTO schema_version VALUES (?)", (target,))
            db.execute("COMMIT")

    # --- the grid ------------------------------------------------------------------------------

    def load_grid(self, grid: Neighborhood) -> None:
        """Put the saved houses and devices into the (empty) grid of this neighborhood."""
        if grid.identifier != self.neighborhood:
            raise ValueError(
                f"the store serves neighborhood {self.neighborhood}, not {grid.identifier}"
            )
        n, length = self.neighborhood, grid.history_len
        for (house,) in self._query(
            "SELECT house FROM houses WHERE neighborhood = ? ORDER BY house", (n,)
        ):
            grid.houses[house] = House(house, n, length)
        for house, name, x_m, y_m in self._query(
            "SELECT house, name, x_m, y_m FROM house_places WHERE neighborhood = ?", (n,)
        ):
            if house in grid.houses:
                place = grid.houses[house]
                place.name, place.x_m, place.y_m = name, x_m, y_m
        rows = self._query(
            "SELECT house, kind, device, type, commanded FROM devices WHERE neighborhood = ?"
            " ORDER BY house, kind, device",
            (n,),
        )
        for house, kind, device, type_, commanded in rows:
            target = grid.houses.get(house)
            if target is None:
                continue
            if kind == "consumer":
                target.consumers[device] = Consumer(device, house, type_, length)
                target.consumers[device].commanded = commanded
            else:
                target.suppliers[device] = Supplier(device, house, type_, length)
                target.suppliers[device].commanded = commanded
        self._load_next_numbers(grid)

    def _load_next_numbers(self, grid: Neighborhood) -> None:
        """Numbering goes on after the highest number ever handed out, not only the existing."""
        saved = {
            (house, kind): following
            for house, kind, following in self._query(
                "SELECT house, kind, next FROM next_numbers WHERE neighborhood = ?",
                (self.neighborhood,),
            )
        }
        grid.next_house = max(saved.get((0, "house"), 1), max(grid.houses, default=0) + 1)
        for number, house in grid.houses.items():
            house.next_consumer = max(
                saved.get((number, "consumer"), 1), max(house.consumers, default=0) + 1
            )
            house.next_supplier = max(
                saved.get((number, "supplier"), 1), max(house.suppliers, default=0) + 1
            )

    def add_houses(self, houses: Iterable[int], next_house: int | None = None) -> None:
        """next_house: the next number to hand out (by default, after the highest added)."""
        n = self.neighborhood
        houses = list(houses)
        following = max(houses, default=0) + 1 if next_house is None else next_house
        with self._transaction() as db:
            db.executemany("INSERT INTO houses VALUES (?, ?)", ((n, h) for h in houses))
            db.execute(_SAVE_NEXT, (n, 0, "house", following))

    def remove_house(self, house: int) -> None:
        n = self.neighborhood
        with self._transaction() as db:
            for table in _HOUSE_TABLES:
                db.execute(f"DELETE FROM {table} WHERE neighborhood = ? AND house = ?", (n, house))

    def set_house_place(self, house: int, name: str, x_m: float | None, y_m: float | None) -> None:
        n = self.neighborhood
        with self._transaction() as db:
            db.execute(
                "INSERT INTO house_places VALUES (?, ?, ?, ?, ?) ON CONFLICT (neighborhood, house)"
                " DO UPDATE SET name = excluded.name, x_m = excluded.x_m, y_m = excluded.y_m",
                (n, house, name, x_m, y_m),
            )

    def add_devices(
        self,
        house: int,
        kind: str,
        devices: Iterable[tuple[int, str]],
        following: int | None = None,
    ) -> None:
        """devices: (number, type) pairs of one kind ("consumer" or "supplier"); following: the
        next number of that kind in the house (by default, after the highest added)."""
        n = self.neighborhood
        devices = list(devices)
        if following is None:
            following = max((device for device, _type in devices), default=0) + 1
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO devices VALUES (?, ?, ?, ?, ?, NULL)",
                ((n, house, kind, device, type_) for device, type_ in devices),
            )
            db.execute(_SAVE_NEXT, (n, house, kind, following))

    def remove_device(self, house: int, kind: str, device: int) -> None:
        n = self.neighborhood
        key = (n, house, kind, device)
        where = "neighborhood = ? AND house = ? AND kind = ? AND device = ?"
        with self._transaction() as db:
            for table in (
                "devices",
                "pending_commands",
                "readings",
                "energy",
                "priorities",
                "shed",
            ):
                db.execute(f"DELETE FROM {table} WHERE {where}", key)
            if kind == "consumer":
                db.execute(_DELETE_BINDING, (n, house, device))

    def set_commanded(self, house: int, kind: str, device: int, state: int) -> None:
        """Record the last command sent to a device; writes nothing when it is unchanged."""
        with self._transaction() as db:
            db.execute(
                "UPDATE devices SET commanded = ? WHERE neighborhood = ? AND house = ?"
                " AND kind = ? AND device = ? AND commanded IS NOT ?",
                (state, self.neighborhood, house, kind, device, state),
            )

    # --- bindings (bindDevice) ----------------------------------------------------------------

    def save_binding(self, house: int, consumer: int, flavour: str, device: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO bindings VALUES (?, ?, ?, ?, ?)",
                (self.neighborhood, house, consumer, flavour, device),
            )

    def delete_binding(self, house: int, consumer: int) -> None:
        with self._transaction() as db:
            db.execute(_DELETE_BINDING, (self.neighborhood, house, consumer))

    def bindings(self) -> list[tuple[int, int, str, str]]:
        """(house, consumer, flavour, device) of every bound consumer."""
        return self._query(
            "SELECT house, consumer, flavour, device FROM bindings WHERE neighborhood = ?"
            " ORDER BY house, consumer",
            (self.neighborhood,),
        )

    # --- calibration ---------------------------------------------------------------------------

    def calibration(self) -> dict[str, float]:
        return dict(self._query("SELECT name, value FROM calibration"))

    def save_calibration(self, values: dict[str, float]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO calibration VALUES (?, ?)", sorted(values.items())
            )

    # --- commands not yet confirmed by the broker ---------------------------------------------

    # A command is journaled before it is sent, on the operator's thread: one statement, which
    # SQLite commits on its own (autocommit: atomic as a transaction), where BEGIN, the
    # statement and COMMIT let the GIL go three times, each a wait of up to the interpreter's
    # switch interval (5 ms) to get it back while the MQTT thread is busy.

    def save_pending(self, row: PendingRow) -> None:
        self._statement(
            "INSERT OR REPLACE INTO pending_commands VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.neighborhood,) + row,
        )

    def delete_pending(self, house: int, kind: str, device: int) -> None:
        self._statement(
            "DELETE FROM pending_commands WHERE neighborhood = ? AND house = ?"
            " AND kind = ? AND device = ?",
            (self.neighborhood, house, kind, device),
        )

    def pending(self) -> list[PendingRow]:
        return self._query(
            "SELECT house, kind, device, state, created, expires_at FROM pending_commands"
            " WHERE neighborhood = ? ORDER BY created",
            (self.neighborhood,),
        )

    # --- readings statistics snapshot -----------------------------------------------------------

    def save_readings(self, rows: list[ReadingRow]) -> None:
        """Replace the neighborhood's snapshot in one transaction.

        Rows for a house or device removed since the rows were taken are left out: the
        snapshot is encoded outside the server's lock, and a removal may commit meanwhile.
        """
        n = self.neighborhood
        with self._transaction() as db:
            db.execute("DELETE FROM readings WHERE neighborhood = ?", (n,))
            insert_rows(  # few statements, not one a row (energrid_core.sqlite_rows)
                db,
                "INSERT INTO readings",
                [(n,) + row for row in rows],
                ROW_COLUMNS,
                "EXISTS (SELECT 1 FROM houses h WHERE h.neighborhood = v.n AND h.house = v.h)"
                " AND (v.k = 'meter' OR EXISTS (SELECT 1 FROM devices d WHERE"
                " d.neighborhood = v.n AND d.house = v.h AND d.kind = v.k AND d.device = v.d))",
            )

    def save_energy(self, rows: list[ReadingRow]) -> None:
        """Replace the neighborhood's energy counters in one transaction; rows of a house or
        device removed meanwhile are left out (the neighborhood's own row always stays)."""
        n = self.neighborhood
        with self._transaction() as db:
            db.execute("DELETE FROM energy WHERE neighborhood = ?", (n,))
            insert_rows(
                db,
                "INSERT INTO energy",
                [(n,) + row for row in rows],
                ROW_COLUMNS,
                "v.k = 'neighborhood' OR (EXISTS (SELECT 1 FROM houses h WHERE"
                " h.neighborhood = v.n AND h.house = v.h) AND (v.k = 'house' OR EXISTS"
                " (SELECT 1 FROM devices d WHERE d.neighborhood = v.n AND d.house = v.h"
                " AND d.kind = v.k AND d.device = v.d)))",
            )

    def energy(self) -> list[ReadingRow]:
        return self._query(
            "SELECT house, kind, device, state FROM energy WHERE neighborhood = ?",
            (self.neighborhood,),
        )

    def readings(self) -> list[ReadingRow]:
        return self._query(
            "SELECT house, kind, device, state FROM readings WHERE neighborhood = ?",
            (self.neighborhood,),
        )


class _DirectoryLock:
    def __init__(self, handle: int) -> None:
        self._handle: int | None = handle

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


def _take_directory_lock(path: Path) -> _DirectoryLock:
    """An exclusive lock on the state directory, released by the kernel if the process dies."""
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}") from None
    with contextlib.suppress(OSError):  # made 0644 by an older Energrid: the owner's alone
        os.fchmod(handle, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(handle)
        raise StoreError(
            f"another Energrid (pid {holder}) is using {path.parent}; stop it first, or give "
            "this one its own --state-dir"
        ) from None
    os.ftruncate(handle, 0)
    os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
    return _DirectoryLock(handle)


# Settings that describe the installation's sensors and mains: saved with the grid.
CALIBRATION_SETTINGS = (
    "cal_zero_raw",
    "cal_amps_per_raw",
    "cal_on_threshold_raw",
    "on_threshold_a",
    "mains_voltage_v",
)


def resolve_calibration(store: Store, settings: Settings) -> None:
    """Saved calibration unless a flag, a variable or the caller set one; then save the result.

    A value counts as set when it came from ENERGRID_* or --flag, or differs from the default.
    """
    saved = store.calibration()
    defaults = Settings()
    for name in CALIBRATION_SETTINGS:
        given = name in settings.explicit or getattr(settings, name) != getattr(defaults, name)
        if not given and name in saved:
            setattr(settings, name, saved[name])
    store.save_calibration({name: float(getattr(settings, name)) for name in CALIBRATION_SETTINGS})
