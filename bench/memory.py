"""Resident memory per device of a large grid that has received readings.

    python -m bench.memory --houses 10000 --consumers 10 --history-len 60

In a fresh process: note the resident set size (VmRSS), build the grid through GridServer, give
every consumer one per-device reading and every house one legacy batch through Ingest.handle
(so every Data, meter and cached topic exists), collect garbage, note VmRSS again. The
difference divided by the number of consumers is the memory per device, everything included:
model objects, statistics, history rings, the house's meter and the decoder's topic cache.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path

from bench.loadgen import DEVICE, LEGACY, Workload, messages
from bench.scratch import scratch_state_dir
from energrid_core.config import Settings
from energrid_core.server import GridServer

REPO = Path(__file__).resolve().parent.parent


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(houses: int, consumers: int, history_len: int) -> dict[str, float]:
    server = GridServer(
        Settings(state_dir=scratch_state_dir(), history_len=history_len, client_id="bench-memory")
    )
    per_device = Workload(DEVICE, houses, consumers, houses * consumers)
    per_house = Workload(LEGACY, houses, consumers, houses)
    gc.collect()
    before = rss_bytes()
    server.new_houses(houses)
    for house in range(1, houses + 1):
        server.new_consumers(house, consumers, "LED")
    handle = server.ingest.handle
    for topic, payload in messages(per_device):
        handle(topic, payload, False)
    for topic, payload in messages(per_house):
        handle(topic, payload, False)
    gc.collect()
    after = rss_bytes()
    stats = server.stats
    if stats.messages_applied != per_device.messages + per_house.messages:
        raise RuntimeError(f"not every reading was applied: {stats.rejected}")
    devices = houses * consumers
    return {
        "devices": devices,
        "history_len": history_len,
        "rss_before": before,
        "rss_after": after,
        "bytes_per_device": (after - before) / devices,
    }


def measure_in_child(houses: int, consumers: int, history_len: int) -> dict[str, float]:
    """measure() in a fresh interpreter, so that nothing else is in its heap."""
    command = [sys.executable, "-m", "bench.memory", "--json", "--houses", str(houses)]
    command += ["--consumers", str(consumers), "--history-len", str(history_len)]
    result = subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=600, cwd=REPO
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--history-len", type=int, default=60)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = measure(args.houses, args.consumers, args.history_len)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['devices']:.0f} devices, history {args.history_len}: "
            f"{result['bytes_per_device']:.0f} bytes per device"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
