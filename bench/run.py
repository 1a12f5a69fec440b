"""Energrid's benchmark, in one command: every figure of docs/performance.md, against its target.

    .venv/bin/python -m bench.run --size full     # about 8 minutes on 2 cores
    .venv/bin/python -m bench.run --size full --live-only [--peer node-red]
    .venv/bin/python -m bench.run --size tiny     # under a minute: the smoke test's run

It starts its own Mosquitto on a free loopback port and generates each load once into a file.
First the live streams (bench/live.py): each subscriber in turn (bare paho, DIY paho +
json.loads + dict, headless Energrid, the shell with an operator typing, optionally Node-RED)
connects, then the load is published as fast as the publisher can. Then the backlog drains
(bench/drain.py): a session left on the broker, the whole file published into it, then the
subscriber started to drain it. Then memory, the build and the round trip.
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

from bench import node_red, report
from bench.broker import BenchBroker, mosquitto_version
from bench.build import time_build
from bench.drain import REPO, Drain, drain
from bench.live import Live, Stream, measure, mosquitto_pub, piped, raw_writer, typed
from bench.loadgen import DEVICE, LEGACY, Workload, write_lines_file, write_load_file
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
    live_messages: int  # legacy batches in each live stream (and per-device messages past warm-up)
    live_devices: tuple[int, ...]  # grids of the per-device live streams
    roundtrip_runs: int  # the loaded round trip is judged over this many runs


LIVE_HOUSES = 100  # the grid Energrid holds for the one-topic legacy stream (the issue's)

SIZES = {
    "tiny": Size(20, 1_500, (100, 200), 100, 100, 20, 0.02, 10_000, (100, 200), 1),
    "full": Size(
        10_000,
        100_000,
        (100, 10_000, 100_000),
        10_000,
        10_000,
        300,
        0.1,
        300_000,
        (100, 100_000),
        5,
    ),
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
            settled_field="republishes",
        )

    def live_streams(self) -> dict[str, Stream]:
        """The live loads, each written once: legacy on one topic at QoS 0 and 1, per-device."""
        size, streams = self.size, {}
        lines = self.directory / "live-legacy.txt"
        legacy = Workload(LEGACY, 1, CONSUMERS, size.live_messages)
        topic, count = write_lines_file(legacy, lines)
        streams["legacy_q0"] = mosquitto_pub(self.broker, lines, topic, 0, count)
        # mosquitto_pub -l at QoS 1 leaves at the end of its input with messages still queued
        # (it published 38,000 of 300,000 here): the same load as ready-made QoS 1 packets.
        packets = self.directory / "live-legacy-q1.bin"
        count = write_load_file(legacy, packets, qos=1)
        streams["legacy_q1"] = raw_writer(self.broker, packets, 1, count, 1)
        for devices in size.live_devices:
            path = self.directory / f"live-device-{devices}.bin"
            load = Workload(DEVICE, devices // CONSUMERS, CONSUMERS, devices + size.live_messages)
            count = write_load_file(load, path, qos=0)
            streams[f"device_{devices}_q0"] = raw_writer(self.broker, path, 0, count, devices)
        return streams

    def live(self, who: str, stream: Stream, qos: int, houses: int) -> Live:
        """One subscriber (bare, diy, energrid, typing) on one live stream."""
        client_id = self._client_id(f"live-{who}")
        if who == "node-red":
            command, env = node_red.command(
                self.directory, self.broker.port, client_id, self.size.interval_s
            )
            return measure(who, self.broker, stream, piped(command, env), client_id, qos)
        if who in ("bare", "diy"):
            command = [sys.executable, "-m", "bench.subscribers", who]
            command += ["--port", str(self.broker.port), "--client-id", client_id]
            command += ["--expect", str(stream.messages), "--qos", "1"]
            command += ["--interval-s", str(self.size.interval_s), "--timeout-s", "600"]
            return measure(who, self.broker, stream, piped(command), client_id, qos)
        module = "bench.energrid_node" if who == "energrid" else "bench.energrid_shell"
        command = [sys.executable, "-m", module, "--houses", str(houses)]
        command += ["--consumers", str(CONSUMERS), "--mqtt-port", str(self.broker.port)]
        command += ["--no-start-broker", "--client-id", client_id]
        command += ["--stats-interval-s", str(self.size.interval_s), "--log-level", "INFO"]
        command += ["--state-dir", str(self.directory / f"state-{client_id}")]
        if who == "energrid":
            start = piped(command)
        else:
            stats = self.directory / f"{client_id}.stats"
            start = typed([*command, "--stats-file", str(stats)], stats)
        return measure(
            who, self.broker, stream, start, client_id, qos, "applied", readings_field="readings"
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


def run(size_name: str, responder: str, live_only: bool = False, peers: tuple = ()) -> dict:
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

            say("\nlive streams (subscriber connected first; publisher as fast as it can):")
            streams = bench.live_streams()
            lives: dict[str, Live] = {}
            if "node-red" in peers:
                node_red.install()
            subscribers = ("bare", "diy", "energrid", *peers)
            for qos in (0, 1):
                how = "mosquitto_pub -l" if qos == 0 else "raw writer"
                say(f" legacy batches on one topic, {how}, QoS {qos}:")
                for who in subscribers:
                    key = f"legacy_q{qos}_{who}"
                    lives[key] = bench.live(who, streams[f"legacy_q{qos}"], qos, LIVE_HOUSES)
                    say(report.live_line(lives[key]))
            say(" the same at QoS 0, with an operator typing in the shell:")
            lives["legacy_q0_typing"] = bench.live("typing", streams["legacy_q0"], 0, LIVE_HOUSES)
            say(report.live_line(lives["legacy_q0_typing"]))
            for devices in size.live_devices:
                say(f" per-device, {devices} devices, raw writer, QoS 0:")
                for who in subscribers:
                    key = f"device_{devices}_q0_{who}"
                    stream = streams[f"device_{devices}_q0"]
                    lives[key] = bench.live(who, stream, 0, devices // CONSUMERS)
                    say(report.live_line(lives[key]))
            results["live"] = {key: report.live_summary(value) for key, value in lives.items()}
            if live_only:
                figures = report.live_figures(results["live"], size)
                results["figures"] = [asdict(figure) for figure in figures]
                say(report.figures_table(figures))
                return results

            say(f"\nbacklog drains: legacy batches of ten readings, {main_devices} devices:")
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
            results["roundtrips"] = []
            for _ in range(size.roundtrip_runs):
                results["roundtrips"].append(bench.roundtrip(legacy[0], half_load, responder))
                say(report.roundtrip_line(results["roundtrips"][-1]))
            results["roundtrip"] = results["roundtrips"][0]
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
    parser.add_argument("--live-only", action="store_true", help="only the live-stream step")
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        choices=("node-red",),
        help="also measure this peer on the live streams (node-red: installed with npm ci)",
    )
    args = parser.parse_args(argv)
    results = run(args.size, args.responder, args.live_only, tuple(args.peer))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
