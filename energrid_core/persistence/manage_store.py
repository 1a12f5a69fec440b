"""What the operator set to manage the grid, and what happened, in the grid database.

Limits, priorities, shed consumers, the alarm history and the shedding switch live in tables of
the grid's store (created by migration 3 in energrid_core.persistence.store, removed with
their house or
device there). This module holds the statements, so that store.py stays about the grid itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from energrid_core.notes import Note
from energrid_core.persistence.store import Store

CRITICAL = 10  # a priority above 1..9: never shed


@dataclass(frozen=True, slots=True)
class ShedRow:
    house: int
    device: int
    scope: int  # 0: the neighborhood's limit; h: house h's
    shed_at: float
    power_w: float


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: float
    alarm: str
    event: str  # raised, cleared, shed, restored, released
    note: Note | str  # what happened, without words; a row older than notes: its English line


class ManageStore:
    def __init__(self, store: Store, neighborhood: int) -> None:
        self.store = store
        self.n = neighborhood

    # The store's own transaction and query helpers: one connection behind one lock.
    def _write(self, sql: str, params: tuple) -> None:
        with self.store._transaction() as db:  # noqa: SLF001
            db.execute(sql, params)

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.store._query(sql, params)  # noqa: SLF001

    def limits(self) -> dict[int, float]:
        rows = self._read("SELECT house, watts FROM limits WHERE neighborhood = ?", (self.n,))
        return {house: watts for house, watts in rows}

    def set_limit(self, house: int, watts: float | None) -> None:
        if watts is None:
            self._write("DELETE FROM limits WHERE neighborhood = ? AND house = ?", (self.n, house))
        else:
            self._write("INSERT OR REPLACE INTO limits VALUES (?, ?, ?)", (self.n, house, watts))

    def priorities(self) -> dict[tuple[int, int], int]:
        rows = self._read(
            "SELECT house, device, priority FROM priorities WHERE neighborhood = ?"
            " AND kind = 'consumer'",
            (self.n,),
        )
        return {(house, device): priority for house, device, priority in rows}

    def set_priority(self, house: int, device: int, priority: int) -> None:
        self._write(
            "INSERT OR REPLACE INTO priorities VALUES (?, ?, 'consumer', ?, ?)",
            (self.n, house, device, priority),
        )

    def shed(self) -> list[ShedRow]:
        rows = self._read(
            "SELECT house, device, scope, shed_at, power_w FROM shed WHERE neighborhood = ?"
            " ORDER BY shed_at",
            (self.n,),
        )
        return [ShedRow(*row) for row in rows]

    def add_shed(self, row: ShedRow) -> None:
        self._write(
            "INSERT OR REPLACE INTO shed VALUES (?, ?, 'consumer', ?, ?, ?, ?)",
            (self.n, row.house, row.device, row.scope, row.shed_at, row.power_w),
        )

    def remove_shed(self, house: int, device: int) -> None:
        self._write(
            "DELETE FROM shed WHERE neighborhood = ? AND house = ? AND device = ?",
            (self.n, house, device),
        )

    def option(self, name: str, default: str) -> str:
        rows = self._read(
            "SELECT value FROM options WHERE neighborhood = ? AND name = ?", (self.n, name)
        )
        return rows[0][0] if rows else default

    def set_option(self, name: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO options VALUES (?, ?, ?)", (self.n, name, value))

    def add_history(self, row: HistoryRow) -> None:
        """The row's note as JSON (language-neutral: worded when shown); `text` stays empty."""
        what = row.note
        saved = orjson.dumps(what.as_json()).decode() if isinstance(what, Note) else None
        text = what if isinstance(what, str) else ""
        self._write(
            "INSERT INTO alarm_history (neighborhood, at, alarm, event, text, note)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.n, row.at, row.alarm, row.event, text, saved),
        )

    def history(self, limit: int = 50) -> list[HistoryRow]:
        """The latest `limit` rows, oldest first."""
        rows = self._read(
            "SELECT at, alarm, event, text, note FROM alarm_history WHERE neighborhood = ?"
            " ORDER BY at DESC, rowid DESC LIMIT ?",
            (self.n, limit),
        )
        return [
            HistoryRow(at, alarm, event, text if saved is None else _note(saved, text))
            for at, alarm, event, text, saved in reversed(rows)
        ]


def _note(saved: str, text: str) -> Note | str:
    """A saved note; a row that cannot be read back as one shows what text it has."""
    try:
        return Note.from_json(orjson.loads(saved))
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return text or saved
