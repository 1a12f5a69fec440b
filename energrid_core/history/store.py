"""The history database: `<state_dir>/history.sqlite3`, apart from the grid's own database.

Three tiers of one table shape, (series, t, value): `raw` keeps every sample for `raw_keep_s`
(an hour), `minute` keeps 1-minute means for `minute_keep_s` (a week), `quarter` 15-minute means
for `quarter_keep_s` (a year). A series is one quantity of one thing: house h's net draw
(kind 'house', device 0), a consumer's or a supplier's power. Samples arrive in blocks
(`append`, one transaction each); `roll()` turns closed minutes into means, closed quarters into
means of those, and drops what is past its tier's age.

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

HISTORY_NAME = "history.sqlite3"
KINDS = ("house", "consumer", "supplier")
TIERS = ("raw", "minute", "quarter")
MINUTE_S = 60
QUARTER_S = 900

Sample = tuple[int, int, int, float, float]  # house, KINDS index, device, t, watts


@dataclass
class Retention:
    raw_keep_s: float = 3600.0
    minute_keep_s: float = 7 * 86400.0
    quarter_keep_s: float = 365 * 86400.0


_SCHEMA = tuple(
    f"CREATE TABLE IF NOT EXISTS {tier} (house INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " device INTEGER NOT NULL, t REAL NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY (house, kind, device, t)) WITHOUT ROWID"
    for tier in TIERS
) + ("CREATE TABLE IF NOT EXISTS rolled (tier TEXT PRIMARY KEY, up_to REAL NOT NULL)",)


class HistoryStore:
    def __init__(self, path: Path, retention: Retention | None = None) -> None:
        self.path = Path(path)
        self.retention = retention or Retention()
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the history database {self.path}: {exc}") from None

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

    def append(self, samples: Iterable[Sample]) -> None:
        """One block of samples in one transaction (a repeated time keeps the later value)."""
        self._run(
            lambda db: db.executemany("INSERT OR REPLACE INTO raw VALUES (?,?,?,?,?)", samples)
        )

    def roll(self, now: float) -> None:
        """Means of the minutes and quarters closed since the last roll; drop the too old."""
        keep = self.retention

        def work(db: sqlite3.Connection) -> None:
            _mean_into(db, "raw", "minute", MINUTE_S, now)
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
        sql = (
            f"SELECT CAST((t - ?1) / ?2 AS INTEGER), avg(value) FROM {tier}"
            " WHERE house = ?3 AND kind = ?4 AND device = ?5 AND t >= ?1 AND t < ?6"
            " GROUP BY 1 ORDER BY 1"
        )
        params = (start, step_s, house, KINDS.index(kind), device, end)
        with self._lock:
            try:
                rows = self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the history {self.path}: {exc}") from None
        return [(start + k * step_s, value) for k, value in rows]

    def first_time(self, house: int, kind: str, device: int, since: float) -> float | None:
        """The time of the series' first sample at or after `since`, in any tier."""
        params = (house, KINDS.index(kind), device, since)
        found = []
        with self._lock:
            for tier in TIERS:
                row = self._db.execute(
                    f"SELECT min(t) FROM {tier} WHERE house = ? AND kind = ? AND device = ?"
                    " AND t >= ?",
                    params,
                ).fetchone()
                if row[0] is not None:
                    found.append(row[0])
        return min(found) if found else None

    def tier_for(self, start: float, end: float) -> str:
        span = end - start
        if span <= self.retention.raw_keep_s:
            return "raw"
        if span <= self.retention.minute_keep_s:
            return "minute"
        return "quarter"

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {t: self._db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TIERS}


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
