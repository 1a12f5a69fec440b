"""The command round trip: setConsumer -> broker -> simulated board -> reading -> model.

    python -m bench.roundtrip --port P --houses 10000 --consumers 10 --samples 300 \\
        [--load-file F --load-rate R] [--responder 'python -m bench.responder --port {port}']

This process is the server (GridServer and the shell's commands, as in the shell). A sample is
the time from just before setConsumer(h, c, state) is called until an Ingest listener sees a
reading of that consumer with that state applied to the model. Consumer c is the house's last
one, which the legacy load (keys "0".."9") never touches, so only the board's answer confirms.
With --load-file, the same number of samples is taken again while bench.loadgen publishes that
file (legacy batches, one a house per round) at --load-rate messages a second, starting once
every house has sent one batch. Idle samples start once the server has published the state of
its whole grid, as it does after every connect. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import io
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.scratch import scratch_state_dir
from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.events import ReadingApplied
from energrid_core.server import GridServer

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESPONDER = f"{sys.executable} -m bench.responder --port {{port}}"
CONFIRM_TIMEOUT_S = 2.0
LOAD_WARMUP_S = 1.0
SETTLE_TIMEOUT_S = 300.0


class Confirmation:
    """An Ingest listener that notes when the awaited (house, consumer, state) reading applies."""

    def __init__(self) -> None:
        self.target: tuple[int, int, bool] | None = None
        self.confirmed_at = 0.0
        self.event = threading.Event()

    def expect(self, house: int, consumer: int, on: bool) -> None:
        self.event.clear()
        self.target = (house, consumer, on)

    def __call__(self, event: ReadingApplied) -> None:
        target = self.target
        if target is None or event.house != target[0]:
            return
        for reading in event.decoded.consumers:
            if reading.device == target[1] and reading.on is target[2]:
                self.confirmed_at = time.monotonic()
                self.target = None
                self.event.set()
                return


def summary(samples_s: list[float], timeouts: int) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples_s)
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) > 1 else ms[0]
    return {
        "samples": len(ms),
        "timeouts": timeouts,
        "median_ms": statistics.median(ms),
        "p99_ms": p99,
        "max_ms": ms[-1],
    }


@dataclass(frozen=True)
class Traced:
    """One confirmed sample's times (time.monotonic(), one clock for every process)."""

    house: int
    consumer: int
    start: float
    returned: float  # setConsumer() returned
    confirmed: float


def take_samples(
    server: GridServer,
    commands: ShellCommands,
    confirmation: Confirmation,
    count: int,
    seed: int,
    traced: list[Traced] | None = None,
) -> dict[str, float]:
    rng = random.Random(seed)
    houses = sorted(server.grid.houses)
    samples: list[float] = []
    timeouts = 0
    for _ in range(count):
        house = server.grid.houses[rng.choice(houses)]
        consumer = max(house.consumers)
        wanted = 0 if house.consumers[consumer].on else 1
        confirmation.expect(house.identifier, consumer, bool(wanted))
        start = time.monotonic()
        with contextlib.redirect_stdout(io.StringIO()):
            commands.setConsumer(house.identifier, consumer, wanted)
        returned = time.monotonic()
        if confirmation.event.wait(CONFIRM_TIMEOUT_S):
            samples.append(confirmation.confirmed_at - start)
            if traced is not None:
                done = confirmation.confirmed_at
                traced.append(Traced(house.identifier, consumer, start, returned, done))
        else:
            timeouts += 1
        time.sleep(rng.uniform(0.001, 0.005))
    if not samples:
        raise RuntimeError("no command was confirmed: is the responder running?")
    return summary(samples, timeouts)


def start_responder(template: str, port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        shlex.split(template.format(port=port)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the responder did not say `ready`")
    return process


def run(args: argparse.Namespace) -> dict[str, object]:
    settings = Settings(
        mqtt_port=args.port,
        client_id="bench-roundtrip",
        start_broker=False,
        state_dir=scratch_state_dir(),
    )
    server = GridServer(settings)
    server.new_houses(args.houses)
    for house in range(1, args.houses + 1):
        server.new_consumers(house, args.consumers, "LED")
    commands = ShellCommands(server)
    confirmation = Confirmation()
    server.bus.subscribe(ReadingApplied, confirmation)
    if not server.start(10.0):
        raise RuntimeError(f"cannot connect to the broker on port {args.port}")
    template = args.responder
    if args.trace is not None:
        args.trace.unlink(missing_ok=True)
        template += f" --log {shlex.quote(str(args.trace))}"
    responder = start_responder(template, args.port)
    result: dict[str, object] = {}
    idle: list[Traced] = []
    loaded: list[Traced] = []
    try:
        result["state_settled_s"] = wait_until_idle(server)
        result["idle"] = take_samples(server, commands, confirmation, args.samples, 1, idle)
        if args.load_file is not None:
            result["loaded"] = loaded_samples(server, commands, confirmation, args, loaded)
        if args.trace is not None:
            answered = answer_times(args.trace)
            result["idle_steps"] = steps(idle, answered)
            if loaded:
                result["loaded_steps"] = steps(loaded, answered)
    finally:
        responder.kill()
        responder.wait()
        server.stop()
    return result


def wait_until_idle(server: GridServer) -> float:
    """Wait while the server publishes its grid's state after connecting; returns how long.

    A server that just connected republishes every house's retained state (110,000 messages
    for 10,000 houses of 10 consumers, within its payload budget): idle means after that.
    """
    start = time.monotonic()
    while not (server.state.idle() and server.client.unacked_publishes == 0):
        if time.monotonic() - start > SETTLE_TIMEOUT_S:
            raise RuntimeError(f"the state was still being published after {SETTLE_TIMEOUT_S} s")
        time.sleep(0.05)
    return time.monotonic() - start


def answer_times(log: Path) -> dict[tuple[int, int], list[float]]:
    """(house, consumer) -> sorted times the responder received a command for it."""
    times: dict[tuple[int, int], list[float]] = {}
    for line in log.read_text().splitlines():
        at, topic = line.split(" ", 1)
        parts = topic.split("/")  # Neighborhood/n/House/h/Consumer/c/set
        times.setdefault((int(parts[3]), int(parts[5])), []).append(float(at))
    for found in times.values():
        found.sort()
    return times


def steps(samples: list[Traced], answered: dict[tuple[int, int], list[float]]) -> dict:
    """Median, p90 and p99 in ms of each step of the traced samples."""
    parts: dict[str, list[float]] = {"command_returned": [], "to_board": [], "answer_applied": []}
    for sample in samples:
        times = answered.get((sample.house, sample.consumer), [])
        index = bisect.bisect_left(times, sample.start)
        if index == len(times):
            continue
        board = times[index]
        parts["command_returned"].append(sample.returned - sample.start)
        parts["to_board"].append(board - sample.start)
        parts["answer_applied"].append(sample.confirmed - board)
    return {name: spread(values) for name, values in parts.items() if values}


def spread(values_s: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values_s)
    return {
        "median_ms": statistics.median(ms),
        "p90_ms": ms[min(len(ms) - 1, int(len(ms) * 0.9))],
        "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
    }


def loaded_samples(
    server: GridServer,
    commands: ShellCommands,
    confirmation: Confirmation,
    args: argparse.Namespace,
    traced: list[Traced],
) -> dict[str, object]:
    command = [sys.executable, "-m", "bench.loadgen", "publish", str(args.load_file)]
    command += ["--port", str(args.port), "--rate", str(args.load_rate), "--duration-s", "600"]
    load = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=REPO)
    try:
        # Samples start once every house has sent its first batch (its first readings allocate
        # the history rings and fill the topic cache) and the energy sweep has integrated it
        # (a device's first integration makes its counter): the steady state, as for throughput.
        sweep_s = server.settings.energy_sweep_s
        time.sleep(LOAD_WARMUP_S + args.houses / args.load_rate + sweep_s)
        applied_before, start = server.stats.messages_applied, time.monotonic()
        cpu_before = thread_cpu_s()
        samples = take_samples(server, commands, confirmation, args.samples, 2, traced)
        applied = server.stats.messages_applied - applied_before
        elapsed = time.monotonic() - start
        cpu = thread_cpu_s()
    finally:
        load.terminate()
        load.wait()
    shares = {
        name: round(100 * (spent - cpu_before.get(name, 0.0)) / elapsed, 1)
        for name, spent in sorted(cpu.items(), key=lambda item: -item[1])
    }
    return {
        **samples,
        "load_rate": args.load_rate,
        "applied_rate": applied / elapsed,
        "threads_cpu_percent": {name: share for name, share in shares.items() if share >= 0.5},
    }


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds of each of this process's threads by name (Linux /proc; empty elsewhere):
    which part of the server took the CPU while the loaded samples were taken."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return {}
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    spent: dict[str, float] = {}
    for task in tasks.iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        name = names.get(int(task.name), "other")
        spent[name] = spent.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="python -m bench.run starts a broker and a load file and runs this for you; run "
        "alone, it needs a broker on 127.0.0.1 (for example bench.broker.BenchBroker, or "
        "mosquitto -p PORT) and, for --load-file, a file from bench.loadgen.write_load_file.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--port", type=int, required=True, help="the broker's port on 127.0.0.1")
    parser.add_argument("--houses", type=int, default=10_000, help="houses of the grid")
    parser.add_argument("--consumers", type=int, default=10, help="consumers per house")
    parser.add_argument("--samples", type=int, default=300, help="samples idle, then loaded")
    parser.add_argument("--load-file", type=Path, help="legacy load to publish while sampling")
    parser.add_argument("--load-rate", type=float, default=0.0, help="messages per second")
    parser.add_argument(
        "--responder", default=DEFAULT_RESPONDER, help="the board's command; {port} is filled"
    )
    parser.add_argument(
        "--trace",
        type=Path,
        help="also time each step: the responder (given `--log FILE`) notes when each command "
        "reached it; prints median, p90 and p99 of setConsumer() returning, the command "
        "reaching the board, and the board's answer being applied",
    )
    args = parser.parse_args(argv)
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
