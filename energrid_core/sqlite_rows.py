"""Many rows into SQLite in few statements, so that the GIL changes hands a few times, not once
a row.

Python's sqlite3 lets the GIL go around every step of a statement, and executemany() runs one
statement per row. While another thread of the server is busy (the MQTT thread under a live
stream), each of those steps takes the interpreter's switch interval (5 ms) to get the GIL
back: 10,000 rows become a minute. Measured (a /tmp script: a thread writing 10,000 history rows
every 0.5 s beside a thread looping in Python, 6 s): executemany() finished one write; the same
rows as multi-row statements, eleven, ~25 ms of CPU each. So the stores' large writes (the
history's blocks, the readings' and energy snapshots) go through `insert_rows`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

# Variables a statement may hold: 32,766 from SQLite 3.32, 999 before.
VARIABLES = 30_000 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def insert_rows(
    db: sqlite3.Connection,
    insert: str,
    rows: Sequence[Sequence[object]],
    columns: Sequence[str],
    where: str = "",
) -> None:
    """`insert` (e.g. "INSERT INTO raw") with rows of len(columns) values, as many a statement
    as VARIABLES allows. where: a condition on the row's columns (named as `columns`), for rows
    to leave out; the rows then go through a WITH clause of their values."""
    width = len(columns)
    per = max(1, VARIABLES // width)
    one = "(" + ",".join("?" * width) + ")"
    for first in range(0, len(rows), per):
        chunk = rows[first : first + per]
        values = ",".join([one] * len(chunk))
        params = [x for row in chunk for x in row]
        if where:
            named = ",".join(columns)
            sql = f"WITH v({named}) AS (VALUES {values}) {insert} SELECT * FROM v WHERE {where}"
        else:
            sql = f"{insert} VALUES {values}"
        db.execute(sql, params)
