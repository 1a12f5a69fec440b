"""The history database: `<state_dir>/history.sqlite3`, apart from the grid's own database.

Three tiers: `raw` keeps every sample for `raw_keep_s` (an hour), `minute` keeps 1-minute means
for `minute_keep_s` (a week), `quarter` 15-minute means for `quarter_keep_s` (a year). A series
is one quantity of one thing: house h's net draw (kind 'house', device 0), a consumer's or a
supplier's power. The raw tier holds blocks: one row per house per energy sweep, its samples
packed (energrid_core.manage.samples), written many blocks to a transaction (`append_blocks`);
the minute and quarter tiers one row per series and bucket, (house, kind, device, t, value).
`roll()` turns closed minutes of blocks into means, closed quarters into means of those, and
drops what is past its tier's age.

The minute means come from sums the store keeps as it writes the blocks
(energrid_core.history.minute_sums): reading a minute's 600,000 blocks back at 10,000 houses
and averaging them cost ~1-1.4 s of CPU, in one burst under the GIL the MQTT thread needs; the
sums cost ~4 ms a sweep as they are written and ~0.1 s at the roll (writing 100,000 means).
The sums count only committed blocks, so the raw tier holds at least their blocks; the roll
trusts them when the raw tier's count of blocks over the minutes rolled is the same, and else
(after a restart mid-minute, the migration, a write from another process, a block the sums
cannot key) reads the blocks back and averages them (energrid_core.history.means), as before.

Why blocks: a row per sample made the history's inserts cost as much CPU as the sweep itself at
10,000 houses (110,000 rows a second, under the GIL the MQTT thread needs), and 42 bytes a
sample on disk; a block is one row for a house's ten or so samples, 12 bytes a sample.

Schema versions (table schema_version): 1, the first, had a raw row per sample (and no version
table); 2 has blocks. Opening a version 1 database packs its raw rows into blocks (an hour at
most) and keeps the minute and quarter tiers as they are.

Kept apart from grid.sqlite3 so that the history's writes never wait for, or hold up, the
operator's changes, and so that it may be deleted without losing the grid.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from energrid_core.errors import StoreError
from energrid_core.history.means import MeanRow, first_in, minute_means, series_points
from energrid_core.history.minute_sums import MinuteSums
from energrid_core.manage.samples import KINDS, SAMPLE_BYTES, Block, Sample, blocks_of, code_of
from energrid_core.sqlite_rows import insert_rows

HISTORY_NAME = "history.sqlite3"
TIERS = ("raw", "minute", "quarter")
MINUTE_S = 60
QUARTER_S = 900

SCHEMA_VERSION = 2
LATE_S = 600.0  # a block's samples are at most this much older than the block (its sweep)
RAW_COLUMNS = ("house", "t", "samples")
MEAN_COLUMNS = ("house", "kind", "device", "t", "value")


@dataclass
class Retention:
    raw_keep_s: float = 3600.0
    minute_keep_s: float = 7 * 86400.0
    quarter_keep_s: float = 365 * 86400.0


_MEANS = tuple(
    f"CREATE TABLE IF NOT EXISTS {tier} (house INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " device INTEGER NOT NULL, t REAL NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY (house, kind, device, t)) WITHOUT ROWID"
    for tier in TIERS[1:]
)
_BLOCKS = (
    "CREATE TABLE raw (house INTEGER NOT NULL, t REAL NOT NULL, samples BLOB NOT NULL)",
    "CREATE INDEX raw_by_house ON raw (house, t)",
    "CREATE INDEX raw_by_time ON raw (t)",
)
_SCHEMA = (
    *_MEANS,
    "CREATE TABLE IF NOT EXISTS rolled (tier TEXT PRIMARY KEY, up_to REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
)


class HistoryStore:
    def __init__(self, path: Path, retention: Retention | None = None) -> None:
        self.path = Path(path)
        self.retention = retention or Retention()
        self._lock = threading.Lock()
        self._sums = MinuteSums(MINUTE_S)  # the minutes' sums, as blocks are written
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the history database {self.path}: {exc}") from None

    def _migrate(self) -> None:
        """Bring the database to SCHEMA_VERSION in one transaction (see the module's text)."""
        db = self._db
        row = db.execute("SELECT version FROM schema_version").fetchone()
        has_raw = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'raw'"
        ).fetchone()
        version = row[0] if row else (1 if has_raw else 0)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Energrid (history schema {version}, this "
                f"one knows {SCHEMA_VERSION})"
            )
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            if version == 1:
                db.execute("ALTER TABLE raw RENAME TO raw_rows")
            for statement in _BLOCKS:
                db.execute(statement)
            if version == 1:
                _pack_rows(db)
                db.execute("DROP TABLE raw_rows")
            db.execute("DELETE FROM schema_version")
            db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, work) -> object:  # noqa: ANN001 - a function of the connection
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._db)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
                return result
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write the history {self.path}: {exc}") from None

    def append_blocks(self, blocks: Iterable[Block]) -> None:
        """Blocks (a house's samples of one sweep each) in one transaction, in multi-row
        statements (energrid_core.sqlite_rows: executemany() let the history fall minutes
        behind a busy ingest), then added to the minute sums (after the commit: a failed
        write, kept and retried, is added once)."""
        batch = blocks if isinstance(blocks, list) else list(blocks)
        self._run(lambda db: insert_rows(db, "INSERT INTO raw", batch, RAW_COLUMNS))
        with self._lock:  # once committed: the sums hold only blocks the raw tier has
            self._sums.add(batch)

    def append(self, samples: Iterable[Sample]) -> None:
        """Samples given one by one, as blocks of one house and time each, in one transaction."""
        self.append_blocks(blocks_of(samples))

    def roll(self, now: float) -> None:
        """Means of the minutes and quarters closed since the last roll; drop the too old."""
        keep = self.retention

        def work(db: sqlite3.Connection) -> None:
            _minutes_into(db, now, self._sums)
            _mean_into(db, "minute", "quarter", QUARTER_S, now)
            db.execute("DELETE FROM raw WHERE t < ?", (now - keep.raw_keep_s,))
            db.execute("DELETE FROM minute WHERE t < ?", (now - keep.minute_keep_s,))
            db.execute("DELETE FROM quarter WHERE t < ?", (now - keep.quarter_keep_s,))

        self._run(work)

    def series(
        self, house: int, kind: str, device: int, start: float, end: float, step_s: float
    ) -> list[tuple[float, float]]:
        """(bucket start, mean watts) every step_s from start to end, from the finest tier that
        still holds `start`; buckets without samples are left out."""
        tier = self.tier_for(start, end)
        code = KINDS.index(kind)
        with self._lock:
            try:
                if tier == "raw":
                    blocks = self._db.execute(
                        "SELECT t, samples FROM raw WHERE house = ? AND t >= ? AND t < ?",
                        (house, start, end + LATE_S),
                    ).fetchall()
                    return series_points(blocks, code_of(code, device), start, end, step_s)
                rows = self._db.execute(
                    f"SELECT CAST((t - ?1) / ?2 AS INTEGER), avg(value) FROM {tier}"
                    " WHERE house = ?3 AND kind = ?4 AND device = ?5 AND t >= ?1 AND t < ?6"
                    " GROUP BY 1 ORDER BY 1",
                    (start, step_s, house, code, device, end),
                ).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the history {self.path}: {exc}") from None
        return [(start + k * step_s, value) for k, value in rows]

    def first_time(self, house: int, kind: str, device: int, since: float) -> float | None:
        """The time of the series' first sample at or after `since`, in any tier."""
        code = KINDS.index(kind)
        found = []
        with self._lock:
            try:
                blocks = self._db.execute(
                    "SELECT t, samples FROM raw WHERE house = ? AND t >= ? ORDER BY t",
                    (house, since),
                )
                first = first_in(blocks, code_of(code, device), since)
                if first is not None:
                    found.append(first)
                for tier in TIERS[1:]:
                    row = self._db.execute(
                        f"SELECT min(t) FROM {tier} WHERE house = ? AND kind = ? AND device = ?"
                        " AND t >= ?",
                        (house, code, device, since),
                    ).fetchone()
                    if row[0] is not None:
                        found.append(row[0])
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the history {self.path}: {exc}") from None
        return min(found) if found else None

    def tier_for(self, start: float, end: float) -> str:
        span = end - start
        if span <= self.retention.raw_keep_s:
            return "raw"
        if span <= self.retention.minute_keep_s:
            return "minute"
        return "quarter"

    def counts(self) -> dict[str, int]:
        """Samples in the raw tier, means in the others."""
        with self._lock:
            counts = {t: self._db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TIERS}
            raw_bytes = self._db.execute("SELECT total(length(samples)) FROM raw").fetchone()[0]
        counts["raw"] = int(raw_bytes) // SAMPLE_BYTES
        return counts


def _minutes_into(db: sqlite3.Connection, now: float, sums: MinuteSums) -> None:
    """The minutes closed before now (and not rolled yet) as means of their blocks.

    From the sums kept as the blocks were written when they hold every block the raw tier has
    for those minutes, else (a restart, the migration, another writer) from the blocks read
    back. The sums only count committed blocks, so they hold a subset of the raw tier's: equal
    counts over the minutes mean the same blocks."""
    row = db.execute("SELECT up_to FROM rolled WHERE tier = 'minute'").fetchone()
    closed = (int(now) // MINUTE_S) * MINUTE_S
    start = row[0] if row else 0.0
    if closed <= start:
        return
    (stored,) = db.execute(
        "SELECT count(*) FROM raw WHERE t >= ? AND t < ?", (start, closed)
    ).fetchone()
    minutes = sorted(m for m in sums.blocks if start <= m < closed)
    if stored == sum(sums.blocks[m] for m in minutes):
        for minute in minutes:
            if minute in sums.spoiled:
                _write_means(db, _means_read_back(db, minute, minute + MINUTE_S))
            else:
                _write_means(db, list(sums.means(minute)))
    else:
        _write_means(db, _means_read_back(db, start, closed))
    db.execute("INSERT OR REPLACE INTO rolled VALUES ('minute', ?)", (closed,))
    sums.drop_before(closed)


def _means_read_back(db: sqlite3.Connection, start: float, end: float) -> list[MeanRow]:
    """The 1-minute means of the raw tier's blocks from start to end, read back."""
    rows = db.execute(
        "SELECT house, t, samples FROM raw WHERE t >= ? AND t < ?", (start, end)
    ).fetchall()
    return minute_means(rows, MINUTE_S)


def _write_means(db: sqlite3.Connection, means: list[MeanRow]) -> None:
    """Rows of the minute tier, many a statement (100,000 a minute at 10,000 houses: one
    statement a row let the GIL go 100,000 times, energrid_core.sqlite_rows)."""
    insert_rows(db, "INSERT OR REPLACE INTO minute", means, MEAN_COLUMNS)


def _pack_rows(db: sqlite3.Connection) -> None:
    """A version 1 raw tier (a row per sample, table raw_rows) into blocks, a chunk at a time."""
    rows = db.execute("SELECT house, kind, device, t, value FROM raw_rows ORDER BY house, t")
    while chunk := rows.fetchmany(100_000):
        db.executemany("INSERT INTO raw VALUES (?,?,?)", blocks_of(chunk))


def _mean_into(db: sqlite3.Connection, source: str, target: str, width_s: int, now: float) -> None:
    """Buckets of width_s closed before now (and not rolled yet) as means in target."""
    row = db.execute("SELECT up_to FROM rolled WHERE tier = ?", (target,)).fetchone()
    closed = (int(now) // width_s) * width_s
    start = row[0] if row else 0.0
    if closed <= start:
        return
    db.execute(
        f"INSERT OR REPLACE INTO {target} SELECT house, kind, device,"
        f" CAST(t / {width_s} AS INTEGER) * {width_s}, avg(value) FROM {source}"
        " WHERE t >= ? AND t < ? GROUP BY house, kind, device, CAST(t / ? AS INTEGER)",
        (start, closed, width_s),
    )
    db.execute("INSERT OR REPLACE INTO rolled VALUES (?, ?)", (target, closed))
