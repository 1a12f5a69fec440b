"""Energrid's own cost per message, without MQTT: Ingest.handle() on a generated load.

    python -m bench.inprocess --kind legacy --houses 10000 --messages 200000 [--profile]

Builds the grid (houses x 10 consumers), generates the messages in memory, then times
GridServer.ingest.handle() over them: what Energrid adds to each message paho delivers.
--profile prints cProfile's top functions for the same run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

from bench.loadgen import LEGACY, Workload, messages
from bench.scratch import scratch_state_dir
from energrid_core.config import Settings
from energrid_core.server import GridServer


def ingest_cost(
    load: Workload, history_len: int = 60, profile: bool = False, passes: int = 3
) -> float:
    """Microseconds per message spent in Ingest.handle (decode, validate, apply, count).

    The best of `passes` passes over the load: the least disturbed by other processes.
    """
    server = GridServer(
        Settings(
            state_dir=scratch_state_dir(), history_len=history_len, client_id="bench-inprocess"
        )
    )
    server.new_houses(load.houses)
    for house in range(1, load.houses + 1):
        server.new_consumers(house, load.consumers, "LED")
    batch = [(topic, payload) for topic, payload in messages(load)]
    handle = server.ingest.handle
    profiler = cProfile.Profile() if profile else None
    best = float("inf")
    for _ in range(1 if profile else passes):
        start = time.thread_time()
        if profiler is not None:
            profiler.enable()
        for topic, payload in batch:
            handle(topic, payload, False)
        if profiler is not None:
            profiler.disable()
        best = min(best, time.thread_time() - start)
    stats = server.stats
    if stats.messages_applied != len(batch) * (1 if profile else passes):
        raise RuntimeError(
            f"only {stats.messages_applied} of {len(batch)} applied: {stats.rejected}"
        )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return best / len(batch) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=(LEGACY, "device"), default=LEGACY)
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    load = Workload(args.kind, args.houses, args.consumers, args.messages)
    cost = ingest_cost(load, profile=args.profile)
    print(f"{args.kind}: {cost:.2f} us per message in Ingest.handle ({load.devices} devices)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
