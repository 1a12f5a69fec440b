"""What the ingest costs per message with the server's parts listening, as when it runs.

    python -m bench.bus_cost [legacy] [per-device]

Builds 1,000 houses x 10 consumers, subscribes the ledger and the state publisher to the bus
as `GridServer.start()` does (without their threads, and without a broker), then times
`Ingest.handle()` over 100,000 generated messages, 12 times; prints the lowest CPU time of the
calling thread per message. CPU time rather than wall time: on a shared machine it is the
figure other processes disturb least.
"""

from __future__ import annotations

import gc
import sys
import time

from bench.loadgen import LEGACY, Workload, messages
from bench.scratch import scratch_state_dir
from energrid_core.config import Settings
from energrid_core.server import GridServer

PER_DEVICE = "per-device"


def cost_us(kind: str, passes: int = 12) -> float:
    server = GridServer(Settings(state_dir=scratch_state_dir(), client_id="bench-bus-cost"))
    try:
        server.state.follow(server.bus)
        server.ledger.follow()
        load = Workload(kind=kind, houses=1000, consumers=10, messages=100_000, seed=1)
        server.new_houses(load.houses)
        for house in range(1, load.houses + 1):
            server.new_consumers(house, load.consumers, "LED")
        batch = list(messages(load))
        handle = server.ingest.handle
        best = float("inf")
        for _ in range(passes):
            gc.collect()
            started = time.thread_time()
            for topic, payload in batch:
                handle(topic, payload)
            best = min(best, (time.thread_time() - started) / len(batch) * 1e6)
        return best
    finally:
        server.stop()


def main() -> None:
    for kind in sys.argv[1:] or [LEGACY, PER_DEVICE]:
        print(f"{kind}: {cost_us(kind):.2f} us of CPU per message in Ingest.handle")


if __name__ == "__main__":
    main()
