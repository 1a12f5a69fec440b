"""Issue 12's figures: what energy and history cost the ingest, how fast the views answer on a
large grid, how soon shedding acts, and what the history costs on disk.

    python -m bench.manage ingest   [--houses 10000 --messages 200000]
    python -m bench.manage sweep    [--houses 2000]
    python -m bench.manage write    [--houses 10000]
    python -m bench.manage roll     [--houses 10000]
    python -m bench.manage views    [--houses 10000]
    python -m bench.manage shedding [--runs 5]
    python -m bench.manage disk     [--devices 20 --period-s 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import threading
import time
from pathlib import Path

import orjson

from bench.loadgen import LEGACY, READINGS_PER_BATCH, Workload, messages
from bench.scratch import scratch_state_dir
from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.history.store import HistoryStore, Retention
from energrid_core.manage import samples
from energrid_core.manage.energy import EnergySampled
from energrid_core.server import GridServer


def _server(houses: int, consumers: int, **changes: object) -> GridServer:
    settings = Settings(state_dir=scratch_state_dir(), client_id="bench-manage")
    for name, value in changes.items():
        setattr(settings, name, value)
    server = GridServer(settings)
    server.new_houses(houses)
    for house in range(1, houses + 1):
        server.new_consumers(house, consumers, "LED" if house % 2 else "Lampe")
    return server


def ingest(houses: int, consumers: int, count: int, passes: int, sweep_s: float) -> None:
    """Ingest.handle's steady rate with the parts off, then on, alternated in the same run.

    Each pass handles the messages for `duration` seconds, looping over them; with the parts
    on, the energy sweep and the history writer run on their threads meanwhile, as in the
    server, so the GIL they take is in the figure. Steady state: the work still waiting at the
    end of a pass (less than one sweep) is left out of both. The passes alternate, off then
    on, then on then off, so that a machine growing slower or faster favours neither; the
    run's ratio is its mean rate with the parts over its mean rate without. Each pair's ratio
    is printed too, and the worst of them: on a shared 2-core machine a pass moves by 10-30 %
    for reasons of its own (the rate without the parts moves as much).

    The rates move with whatever else the machine runs; the process's CPU time a message
    (all threads: the ingest, and the sweep and the history writer when on) does much less,
    so it is printed too: its ratio is the share of the CPU the ingest keeps. And the samples
    the sweep integrated a second: the sweep yields to the ingest (energrid_core.manage.energy),
    so under a saturated ingest it runs less often than every sweep_s.
    """
    server = _server(houses, consumers, energy_sweep_s=sweep_s)
    load = Workload(LEGACY, houses, consumers, count)
    batch = list(messages(load))
    handle = server.ingest.handle
    assert server.history is not None
    history = server.history
    duration = max(4.0 * sweep_s, 6.0)

    def one_pass() -> tuple[float, float]:
        """Messages a second, and the process's CPU microseconds a message."""
        done = 0
        start, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - start < duration:
            for topic, payload in batch[:1000]:
                handle(topic, payload, False)
            done += 1000
            batch[:] = batch[1000:] + batch[:1000]  # the next thousand next time
        cpu_us = (time.process_time() - cpu) / done * 1e6
        return done / (time.perf_counter() - start), cpu_us

    # Left out of both: every house's first message, then a first sweep of them all (a
    # server lays each house's counters out once, at its first readings), so that each pass
    # measures the steady state, the first "on" pass included.
    for topic, payload in batch[:houses]:
        handle(topic, payload, False)
    server.energy.sweep(server.grid.houses)
    off: list[tuple[float, float]] = []
    on: list[tuple[float, float]] = []
    swept: list[float] = []  # samples integrated a second (for the history), the parts on
    integrated = [0]
    server.bus.subscribe(
        EnergySampled,
        lambda event: integrated.__setitem__(0, integrated[0] + samples.count(event.blocks)),
    )

    def parts_on() -> None:
        server.energy.start(server.bus)
        history.start(server.bus)
        before = integrated[0]
        on.append(one_pass())
        swept.append((integrated[0] - before) / duration)
        server.energy.stop()
        history.stop()

    for k in range(passes):  # off then on, then on then off: a drift favours neither
        if k % 2 == 0:
            off.append(one_pass())
            parts_on()
        else:
            parts_on()
            off.append(one_pass())
    ratios = [b[0] / a[0] for a, b in zip(off, on, strict=True)]
    # The run's rates: every pass lasts `duration`, so each is the mean of its passes' rates.
    run_off = statistics.fmean(r for r, _ in off)
    run_on = statistics.fmean(r for r, _ in on)
    cpu_off = statistics.fmean(c for _, c in off)
    cpu_on = statistics.fmean(c for _, c in on)
    each = ", ".join(
        f"{a[0]:,.0f} / {b[0]:,.0f} ({r:.2f} x)" for a, b, r in zip(off, on, ratios, strict=True)
    )
    cpu = ", ".join(
        f"{a[1]:.1f} / {b[1]:.1f} ({a[1] / b[1]:.2f} x)" for a, b in zip(off, on, strict=True)
    )
    best_off, best_on = max(r for r, _ in off), max(r for r, _ in on)
    nominal = houses * (min(consumers, READINGS_PER_BATCH - 1) + 1) / sweep_s  # meter: the house
    print(
        f"ingest, legacy messages over {houses} houses x {consumers} consumers, "
        f"--energy-sweep-s {sweep_s:g}, {passes} passes of {duration:g} s, msg/s without / "
        f"with energy and history: {each}; the run: {run_off:,.0f} / {run_on:,.0f} "
        f"({run_on / run_off:.2f} x), CPU {cpu_off:.1f} / {cpu_on:.1f} us a message "
        f"({cpu_off / cpu_on:.2f} x); worst pass {min(ratios):.2f} x; best of each "
        f"{best_off:,.0f} / {best_on:,.0f}: {best_on / best_off:.2f} x; process CPU us a "
        f"message without / with: {cpu}; samples integrated a second: "
        f"{', '.join(f'{n:,.0f}' for n in swept)} (one a device a sweep: "
        f"{nominal:,.0f} at one sweep every {sweep_s:g} s)"
    )
    server.stop()


def sweep(houses: int, consumers: int) -> None:
    """One energy sweep over every device, and the ingest of the messages that fed it."""
    server = _server(houses, consumers)
    batch = list(messages(Workload(LEGACY, houses, consumers, houses)))
    server.energy.start(server.bus, thread=False)
    best = ingest_s = float("inf")
    count = 0
    for _ in range(7):
        start = time.perf_counter()
        for topic, payload in batch:
            server.ingest.handle(topic, payload, False)
        ingest_s = min(ingest_s, time.perf_counter() - start)
        start = time.perf_counter()
        count = server.energy.sweep()
        best = min(best, time.perf_counter() - start)
    print(
        f"energy sweep of {count} samples: {best * 1000:.1f} ms, {best / count * 1e6:.2f} us a "
        f"sample (best of 7); the ingest of the {len(batch)} messages that fed it "
        f"{ingest_s / len(batch) * 1e6:.1f} us a message"
    )
    server.stop()


def views(houses: int, consumers: int) -> None:
    server = _server(houses, consumers)
    server.energy.start(server.bus)
    assert server.history is not None
    server.history.start(server.bus, thread=False)
    load = Workload(LEGACY, houses, consumers, houses * 3)
    for topic, payload in messages(load):
        server.ingest.handle(topic, payload, False)
    server.history.flush()
    sh = ShellCommands(server).namespace()
    for name, args in (("showTypes", ()), ("showHistory", (1,)), ("showEnergy", ())):
        times = []
        for _ in range(5):
            with contextlib.redirect_stdout(io.StringIO()):
                start = time.perf_counter()
                sh[name](*args)
                times.append(time.perf_counter() - start)
        print(
            f"{name}{args if args else '()'} on {houses} houses x {consumers} consumers: "
            f"median {statistics.median(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms"
        )
    server.stop()


def shedding(runs: int) -> None:
    """Seconds from the limit passed for its minimum duration to the shedding command."""
    delays = []
    for _ in range(runs):
        server = _server(1, 3, alarm_min_s=2.0, keep_history=False)
        server.energy.start(server.bus)
        server.alarms.start(server.bus)
        server.shedding.start(server.bus)
        server.shedding.set_enabled(True)
        server.alarms.set_limit(0, 1000.0)
        stop = threading.Event()

        def feed(s: GridServer = server, done: threading.Event = stop) -> None:
            while not done.is_set():
                for device in (1, 2, 3):
                    body = orjson.dumps({"current_a": 3.0, "on": True})  # 3 x 690 W
                    s.ingest.handle(f"Neighborhood/0/House/1/Consumer/{device}", body)
                time.sleep(0.1)

        feeder = threading.Thread(target=feed, daemon=True)
        over_at = time.time()
        feeder.start()
        while not server.shedding.shed and time.time() - over_at < 30:
            time.sleep(0.01)
        acted_at = min(row.shed_at for row in server.shedding.shed.values())
        delays.append(acted_at - over_at - server.settings.alarm_min_s)
        stop.set()
        feeder.join()
        server.stop()
    print(
        f"shedding: acted {statistics.median(delays):.2f} s (median of {runs}; worst "
        f"{max(delays):.2f} s) after the limit had been passed for --alarm-min-s"
    )


def write(houses: int) -> None:
    """The history's write of one sweep's blocks: houses x 10 samples, one transaction."""
    store = HistoryStore(scratch_state_dir() / "history.sqlite3", Retention())
    best = float("inf")
    for k in range(5):
        now = 1_750_000_000.0 + k
        flat = [x for d in range(1, 10) for x in (d * 3 + 1, -0.4, 100.0 + d + 0.1 * k)]
        block = samples.pack([*flat, samples.HOUSE, -0.1, 900.5])
        blocks = [(h, now, block) for h in range(1, houses + 1)]
        cpu = time.thread_time()
        store.append_blocks(blocks)
        best = min(best, time.thread_time() - cpu)
    store.close()
    print(
        f"history write of {houses} houses x 10 samples in one transaction: {best * 1000:.1f} ms "
        f"of CPU, {best / (houses * 10) * 1e6:.2f} us a sample (best of 5)"
    )


def roll(houses: int) -> None:
    """The history's roll of one minute of blocks (houses x 10 samples, a block a second) into
    1-minute means: the work the recorder's thread does once a minute. Twice: as the recorder
    does it (from the sums kept as the blocks were written), and by a store opened after the
    minute was written (a restart: the blocks read back and averaged)."""
    path = scratch_state_dir() / "history.sqlite3"
    store = HistoryStore(path, Retention())
    start = 1_750_000_020.0 - 1_750_000_020.0 % 60
    flat = [x for d in range(1, 10) for x in (d * 3 + 1, -0.4, 100.0 + d)]
    block = samples.pack([*flat, samples.HOUSE, -0.1, 900.5])
    store.roll(start)  # nothing before the minute
    for minute in (start, start + 60):
        for k in range(60):
            store.append_blocks([(h, minute + k + 0.5, block) for h in range(1, houses + 1)])
        if minute == start:
            cpu, wall = time.thread_time(), time.perf_counter()
            store.roll(start + 60)
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    store.close()
    store = HistoryStore(path, Retention())  # the second minute: written before a restart
    cold, cold_wall = time.thread_time(), time.perf_counter()
    store.roll(start + 120)
    cold, cold_wall = time.thread_time() - cold, time.perf_counter() - cold_wall
    counts = store.counts()
    store.close()
    print(
        f"history roll of one minute, {houses} houses x 10 samples a second: {cpu * 1000:.0f} ms "
        f"of CPU, {wall * 1000:.0f} ms in all; after a restart (blocks read back) "
        f"{cold * 1000:.0f} ms of CPU, {cold_wall * 1000:.0f} ms in all "
        f"({counts['minute']:,} means)"
    )


def disk(devices: int, period_s: float) -> None:
    """Bytes on disk per device per day of history, at one reading every period_s.

    Ten devices a house, a block per house per reading (as the sweep writes them). The bytes
    are the database's pages in use (the file also keeps the pages freed by the hourly
    deletion of the raw tier for reuse: its size is printed too)."""
    path = scratch_state_dir() / "history.sqlite3"
    store = HistoryStore(path, Retention())
    start = 1_750_000_000.0 - 1_750_000_000.0 % 86400
    block_s = 60.0
    used = {}
    files = {}
    t = start
    for day in (1, 2, 3):
        end = start + day * 86400
        while t < end:
            samples = [  # watts as a board's readings give them: not whole numbers
                (1 + d // 10, 1, 1 + d % 10, t + k * period_s, 100.0 + d + 0.137 * (k % 7))
                for k in range(int(block_s / period_s))
                for d in range(devices)
            ]
            store.append(samples)
            t += block_s
            if int(t) % 3600 == 0:
                store.roll(t)
        store.roll(t)
        with store._lock:  # noqa: SLF001 - a checkpoint, so the file holds everything
            db = store._db  # noqa: SLF001
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            used[day] = (pages - free) * db.execute("PRAGMA page_size").fetchone()[0]
        files[day] = Path(path).stat().st_size
    counts = store.counts()
    store.close()
    per_day = (used[3] - used[2]) / devices
    print(
        f"history disk, {devices} devices, a reading every {period_s:g} s: {used[1]:,} B in "
        f"use after day 1 (file {files[1]:,} B), {used[3]:,} B after day 3 (file "
        f"{files[3]:,} B; {counts}); {used[1] / devices:,.0f} B per device for the first "
        f"day (the last hour of readings included), then {per_day:,.0f} B per device per "
        f"further day (1-minute and 15-minute means)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "what", choices=("ingest", "sweep", "write", "roll", "views", "shedding", "disk")
    )
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--passes", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--period-s", type=float, default=1.0)
    parser.add_argument("--sweep-s", type=float, default=1.0, help="ingest: --energy-sweep-s")
    args = parser.parse_args(argv)
    if args.what == "ingest":
        ingest(args.houses, args.consumers, args.messages, args.passes, args.sweep_s)
    elif args.what == "sweep":
        sweep(args.houses, args.consumers)
    elif args.what == "write":
        write(args.houses)
    elif args.what == "roll":
        roll(args.houses)
    elif args.what == "views":
        views(args.houses, args.consumers)
    elif args.what == "shedding":
        shedding(args.runs)
    else:
        disk(args.devices, args.period_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
