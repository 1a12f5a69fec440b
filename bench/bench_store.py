"""What persistence costs: operator changes, commanded state, readings snapshots.

    .venv/bin/python bench/bench_store.py [--houses 100 1000 10000] [--runs 5]

Each time is the median of several runs, on the disk of the current directory (WAL,
synchronous=NORMAL, as shipped). For a snapshot it also gives the longest a thread waiting for
the server's lock (as the ingest does for every reading) waited while the snapshot ran.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

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
        store.set_commanded(1, "consumer", 1, next(flips) % 2)

    rows = [
        ("newHouse(100), one transaction", lambda: server.new_houses(100), 7),
        ("newConsumer(1, 10, 'LED')", lambda: server.new_consumers(1, 10, "LED"), 7),
        ("commanded state changed", flip, 21),
        ("commanded state unchanged", lambda: store.set_commanded(1, "consumer", 1, 1), 21),
    ]
    for label, action, runs in rows:
        print(f"{label:<34} {median_ms(action, runs):8.2f} ms")
    server.stop()


def longest_lock_wait_ms(server: GridServer, action: Callable[[], object]) -> float:
    """Run action while another thread takes and releases the server's lock in a loop."""
    waits: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            start = time.perf_counter()
            with server.lock:
                pass
            waits.append(time.perf_counter() - start)
            time.sleep(0.0005)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        action()
    finally:
        done.set()
        prober.join()
    return max(waits) * 1000


def snapshots(directory: Path, houses: int, runs: int) -> None:
    server = GridServer(Settings(state_dir=directory, mqtt_port=1))
    fed(server, houses, 10, 60)
    took = median_ms(server.snapshots.save, runs)
    waited = max(longest_lock_wait_ms(server, server.snapshots.save) for _ in range(runs))
    size = sum(len(row[3]) for row in server.store.readings())
    print(
        f"snapshot of {houses:5} houses x 11 meters x 60 readings: {took:8.1f} ms in all, "
        f"readings waited {waited:6.1f} ms at most for the lock, {size / 1e6:.1f} MB"
    )
    server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=5, help="runs per snapshot figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as directory:
        operator_changes(Path(directory) / "changes")
        for houses in args.houses:
            snapshots(Path(directory) / f"houses-{houses}", houses, args.runs)
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
