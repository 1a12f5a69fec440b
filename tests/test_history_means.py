"""The roll's minute means (sums kept as blocks are written, or blocks read back on numpy arrays)
against a plain per-sample average, on random blocks."""

from __future__ import annotations

import math
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energrid_core import sqlite_rows
from energrid_core.history.means import minute_means
from energrid_core.history.minute_sums import KEPT_MINUTES
from energrid_core.history.store import HistoryStore, Retention
from energrid_core.manage.samples import Block, pack

BASE = 1_750_000_020.0 - 1_750_000_020.0 % 60  # a minute's start

# Houses: small ids (the dense table), huge ones (the keyed sums), a negative one (the Python
# path). Codes: device * 3 + kind, small devices and one too large for the dense table.
houses = st.sampled_from([1, 2, 3, 7, 5_000_000, 2**33, -1])
codes = st.sampled_from([0, 1, 2, 4, 5, 7, 8, 31, 3 * 3_000_000 + 1])
sample = st.tuples(codes, st.floats(-1.5, 0.0), st.floats(-5000.0, 5000.0, width=32))


@st.composite
def blocks(draw: st.DrawFn) -> list[Block]:
    """Blocks of random houses (each missing some sweeps), at sweep times around two minute
    boundaries, each with a random set of devices (none, some, a code twice)."""
    out: list[Block] = []
    for _ in range(draw(st.integers(1, 40))):
        t = BASE + draw(st.integers(-3, 180)) + draw(st.sampled_from([0.0, 0.5, 0.999]))
        flat = [x for s in draw(st.lists(sample, max_size=6)) for x in s]
        out.append((draw(houses), t, pack(flat)))
    return out


def reference(rows: list[Block]) -> dict[tuple[int, int, int, float], float]:
    """Per sample: the mean by (house, kind, device, minute of the block's own time)."""
    sums: dict[tuple[int, int, int, float], list[float]] = {}
    for house, t, blob in rows:
        bucket = float(int(t // 60) * 60)
        for code, _offset, watts in struct.iter_unpack("<fff", blob):
            acc = sums.setdefault((house, int(code) % 3, int(code) // 3, bucket), [0.0, 0])
            acc[0] += watts
            acc[1] += 1
    return {key: total / n for key, (total, n) in sums.items()}


def assert_same_means(got: dict[tuple[int, int, int, float], float], want: dict) -> None:  # noqa: ANN001
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert math.isclose(got[key], value, rel_tol=1e-9, abs_tol=1e-9), key


@settings(max_examples=200, deadline=None)
@given(blocks())
def test_minute_means_of_blocks_read_back(rows: list[Block]) -> None:
    got = {(h, k, d, t): v for h, k, d, t, v in minute_means(rows, 60)}
    assert_same_means(got, reference(rows))


@settings(max_examples=60, deadline=None)
@given(blocks(), st.lists(st.integers(0, 40), max_size=4), st.integers(-1, 40))
def test_roll_writes_the_same_means_from_sums_or_read_back(
    rows: list[Block], cuts: list[int], restart: int
) -> None:
    """Written in batches as the recorder does; closed and opened again after one of them (a
    restart: that minute's sums are partial) when restart is a batch's index."""
    edges = sorted({0, len(rows), *(c for c in cuts if c < len(rows))})
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "h.sqlite3"
        store = HistoryStore(path, Retention())
        for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            store.append_blocks(rows[a:b])
            if i == restart:
                store.close()
                store = HistoryStore(path, Retention())
        store.roll(BASE + 400)
        with store._lock:  # noqa: SLF001 - the minute tier as stored
            stored = store._db.execute("SELECT * FROM minute").fetchall()  # noqa: SLF001
        store.close()
    assert_same_means({(h, k, d, t): v for h, k, d, t, v in stored}, reference(rows))


@pytest.mark.parametrize("count", [0, 1, 249, 250, 251, 523])
def test_blocks_are_stored_as_given_in_their_order(
    tmp_path: Path, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw rows go many to an INSERT (here 250: energrid_core.sqlite_rows): every block,
    once, in order, at any cut."""
    monkeypatch.setattr(sqlite_rows, "VARIABLES", 750)
    rows = [(h % 7, BASE + h * 0.25, pack([1.0, -0.5, float(h)])) for h in range(count)]
    store = HistoryStore(tmp_path / "h.sqlite3", Retention())
    store.append_blocks(rows)
    with store._lock:  # noqa: SLF001 - the raw tier as stored
        stored = store._db.execute("SELECT * FROM raw ORDER BY rowid").fetchall()  # noqa: SLF001
    store.close()
    assert stored == rows


def test_minutes_not_rolled_for_long_are_read_back(tmp_path: Path) -> None:
    """Sums are kept for KEPT_MINUTES minutes at most (memory, when the roll fails); the
    minutes forgotten are averaged from the blocks read back, the same means."""
    rows = [
        (h, BASE + k + 0.5, pack([4.0, -0.2, float(h * k % 97), 0.0, -0.1, float(k)]))
        for k in range(0, 600, 7)
        for h in (1, 2)
    ]
    store = HistoryStore(tmp_path / "h.sqlite3", Retention())
    for at in range(0, len(rows), 6):
        store.append_blocks(rows[at : at + 6])
    assert len(store._sums.blocks) <= KEPT_MINUTES  # noqa: SLF001
    store.roll(BASE + 660)
    with store._lock:  # noqa: SLF001 - the minute tier as stored
        stored = store._db.execute("SELECT * FROM minute").fetchall()  # noqa: SLF001
    store.close()
    assert len(stored) == 10 * 2 * 2
    assert_same_means({(h, k, d, t): v for h, k, d, t, v in stored}, reference(rows))
