"""What persistence costs: operator changes, commanded state, readings snapshots.

    .venv/bin/python bench/bench_store.py

Each figure is the median of several runs, on the disk of the current directory
(synchronous=FULL: every commit is fsynced).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

from energrid_core import snapshot
from energrid_core.config import Settings
from energrid_core.server import GridServer


def median_ms(action: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fed(server: GridServer, houses: int, consumers: int, readings: int) -> None:
    server.new_houses(houses)
    for h in range(1, houses + 1):
        server.new_consumers(h, consumers, "LED")
    batch = ("{" + ", ".join(f'"{c}": 1200' for c in range(consumers + 1)) + "}").encode()
    for _ in range(readings):
        for h in range(1, houses + 1):
            server.ingest.handle(f"Neighborhood/0/House/{h}/Consumer", batch)


def operator_changes(directory: Path) -> None:
    server = GridServer(Settings(state_dir=directory, mqtt_port=1))
    store = server.store
    flips = count()

    def flip() -> None:
        store.set_commanded(0, 1, "consumer", 1, next(flips) % 2)

    rows = [
        ("newHouse(100), one transaction", lambda: server.new_houses(100), 7),
        ("newConsumer(1, 10, 'LED')", lambda: server.new_consumers(1, 10, "LED"), 7),
        ("commanded state changed", flip, 21),
        ("commanded state unchanged", lambda: store.set_commanded(0, 1, "consumer", 1, 1), 21),
    ]
    for label, action, runs in rows:
        print(f"{label:<34} {median_ms(action, runs):8.2f} ms")
    server.stop()


def snapshots(directory: Path, houses: int) -> None:
    server = GridServer(Settings(state_dir=directory, mqtt_port=1))
    fed(server, houses, 10, 60)
    took = median_ms(server.save_snapshot, 5)
    with server.lock:
        held = median_ms(lambda: snapshot.export(server.grid), 5)
    size = sum(len(row[3]) for row in server.store.readings(0))
    print(
        f"snapshot of {houses:4} houses x 11 meters x 60 readings: {took:7.1f} ms in all, "
        f"{held:5.1f} ms of it under the server's lock, {size / 1e6:.1f} MB"
    )
    server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as directory:
        operator_changes(Path(directory) / "changes")
        for houses in (100, 1000):
            snapshots(Path(directory) / f"houses-{houses}", houses)
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
