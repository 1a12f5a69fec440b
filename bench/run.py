"""Energrid's benchmark, in one command: every figure of docs/performance.md, against its target.

    .venv/bin/python -m bench.run --size full     # about 6 minutes on 2 cores
    .venv/bin/python -m bench.run --size tiny     # seconds: the smoke test's run

It starts its own Mosquitto on a free loopback port, generates each load once into a file, and
for each subscriber in turn (bare paho, DIY paho + json.loads + dict, headless Energrid) leaves
a session on the broker, publishes the whole file into it from a separate process, then starts
the subscriber and measures how fast it drains that backlog (bench/drain.py says exactly how).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import report
from bench.broker import BenchBroker, mosquitto_version
from bench.build import time_build
from bench.drain import REPO, Drain, drain
from bench.loadgen import DEVICE, LEGACY, Workload, write_load_file
from bench.memory import measure_in_child
from bench.roundtrip import DEFAULT_RESPONDER

CONSUMERS = 10


@dataclass(frozen=True)
class Size:
    houses: int  # the main grid: houses x CONSUMERS devices
    messages: int  # messages in each throughput load
    scale_devices: tuple[int, ...]  # grids for the cost-per-reading curve
    build_houses: int
    memory_houses: int
    rtt_samples: int
    interval_s: float  # how often subscribers report their counts


SIZES = {
    "tiny": Size(20, 1_500, (100, 200), 100, 100, 20, 0.02),
    "full": Size(10_000, 100_000, (100, 10_000, 100_000), 10_000, 10_000, 300, 0.1),
}


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "mosquitto": mosquitto_version(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


class Bench:
    def __init__(self, size: Size, directory: Path, broker: BenchBroker) -> None:
        self.size = size
        self.directory = directory
        self.broker = broker
        self.runs = 0

    def load(self, kind: str, houses: int) -> tuple[Path, int, int]:
        """(file, messages, warm-up): one first round over every sender, then size.messages."""
        warmup = houses if kind == LEGACY else houses * CONSUMERS
        path = self.directory / f"{kind}-{houses}.bin"
        load = Workload(kind, houses, CONSUMERS, warmup + self.size.messages)
        return path, write_load_file(load, path), warmup

    def _client_id(self, name: str) -> str:
        self.runs += 1
        return f"bench-{name}-{self.runs}"

    def baseline(self, kind: str, load: tuple[Path, int, int], qos: int = 1) -> Drain:
        path, count, warmup = load
        client_id = self._client_id(kind)
        command = [sys.executable, "-m", "bench.subscribers", kind, "--port", str(self.broker.port)]
        command += ["--client-id", client_id, "--expect", str(count), "--qos", str(qos)]
        command += ["--interval-s", str(self.size.interval_s)]
        name = f"{kind} qos{qos}"
        return drain(name, self.broker, path, count, command, client_id, qos, warmup=warmup)

    def energrid(self, load: tuple[Path, int, int], houses: int) -> Drain:
        path, count, warmup = load
        client_id = self._client_id("energrid")
        command = [sys.executable, "-m", "bench.energrid_node", "--houses", str(houses)]
        command += ["--consumers", str(CONSUMERS), "--mqtt-port", str(self.broker.port)]
        command += ["--no-start-broker", "--client-id", client_id]
        command += ["--stats-interval-s", str(self.size.interval_s)]
        # A state directory per run: a server loads the grid it finds there.
        command += ["--state-dir", str(self.directory / f"state-{client_id}")]
        command += ["--log-level", "INFO"]
        return drain(
            "energrid",
            self.broker,
            path,
            count,
            command,
            client_id,
            rate_field="applied",
            readings_field="readings",
            warmup=warmup,
        )

    def roundtrip(self, load_file: Path, load_rate: float, responder: str) -> dict:
        command = [sys.executable, "-m", "bench.roundtrip", "--port", str(self.broker.port)]
        command += ["--houses", str(self.size.houses), "--consumers", str(CONSUMERS)]
        command += ["--samples", str(self.size.rtt_samples), "--responder", responder]
        command += ["--load-file", str(load_file), "--load-rate", f"{load_rate:.0f}"]
        if responder == DEFAULT_RESPONDER:  # it can say when each command reached it
            command += ["--trace", str(self.directory / "responder.log")]
        result = subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=900, cwd=REPO
        )
        return json.loads(result.stdout.strip().splitlines()[-1])


def run(size_name: str, responder: str) -> dict:
    size = SIZES[size_name]
    started = time.monotonic()
    results: dict = {"size": size_name, "machine": machine(), "started": time.strftime("%F %T")}
    results["command"] = "python -m bench.run " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    say = report.printer()
    say(report.header(results))
    with tempfile.TemporaryDirectory(prefix="energrid-bench-") as tmp:
        directory = Path(tmp)
        with BenchBroker(directory / "broker") as broker:
            bench = Bench(size, directory, broker)
            main_devices = size.houses * CONSUMERS

            say(f"\nlegacy batches of ten readings, {main_devices} devices:")
            legacy = bench.load(LEGACY, size.houses)
            drains = {
                "legacy_bare": bench.baseline("bare", legacy),
                "legacy_bare_qos0": bench.baseline("bare", legacy, qos=0),
                "legacy_diy": bench.baseline("diy", legacy),
                "legacy_energrid": bench.energrid(legacy, size.houses),
            }
            for key in ("legacy_bare", "legacy_bare_qos0", "legacy_diy", "legacy_energrid"):
                say(report.drain_line(drains[key]))

            for devices in size.scale_devices:
                houses = devices // CONSUMERS
                say(f"\nper-device messages, {devices} devices:")
                load = bench.load(DEVICE, houses)
                drains[f"device_{devices}_bare"] = bench.baseline("bare", load)
                say(report.drain_line(drains[f"device_{devices}_bare"]))
                if devices == max(size.scale_devices):
                    drains["device_diy"] = bench.baseline("diy", load)
                    say(report.drain_line(drains["device_diy"]))
                drains[f"device_{devices}_energrid"] = bench.energrid(load, houses)
                say(report.drain_line(drains[f"device_{devices}_energrid"]))

            say("\nmemory, build and round trip:")
            results["memory"] = {
                str(h): measure_in_child(size.memory_houses, CONSUMERS, h) for h in (0, 60)
            }
            say(report.memory_line(results["memory"]))
            results["build"] = asdict(time_build(size.build_houses, CONSUMERS))
            say(report.build_line(results["build"]))
            half_load = drains["legacy_energrid"].rate / 2
            results["roundtrip"] = bench.roundtrip(legacy[0], half_load, responder)
            say(report.roundtrip_line(results["roundtrip"]))
    results["drains"] = {key: report.drain_summary(value) for key, value in drains.items()}
    results["finished"] = time.strftime("%F %T")
    results["elapsed_s"] = time.monotonic() - started
    figures = report.figures(results, size)
    results["figures"] = [asdict(figure) for figure in figures]
    say(report.figures_table(figures))
    say(f"\nfinished {results['finished']}, {results['elapsed_s'] / 60:.1f} min in all")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    parser.add_argument(
        "--responder",
        default=DEFAULT_RESPONDER,
        help="command of the simulated board for the round trip ({port} is filled in)",
    )
    args = parser.parse_args(argv)
    results = run(args.size, args.responder)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
