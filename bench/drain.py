"""One throughput measurement: a subscriber process drains a backlog the broker holds for it.

The figure is the steady drain rate: the subscriber prints (uptime, count) samples every
interval; the rate is the count gained between the first sample past the warm-up (a load's
first round, in which every device sends its first reading) and the last sample before the
backlog is empty, divided by the time between those two samples. Start-up, connection, first
readings and the last partial interval are outside the window; both ends are exact samples.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.broker import BenchBroker
from bench.subscribers import prime_session

REPO = Path(__file__).resolve().parent.parent
_FIELD = re.compile(r"(\w+)=([\d.]+)")
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Sample:
    uptime_s: float
    counts: dict[str, float]


@dataclass(frozen=True)
class Drain:
    """What one subscriber did with one backlog."""

    name: str
    messages: int
    rate: float  # messages per second over the window
    readings_rate: float  # readings per second (Energrid), else the message rate
    cpu_us: float  # CPU time of the subscriber process per message, over the window
    rss_bytes: int  # resident memory of the subscriber process once it had every message
    window_s: float
    samples: list[Sample]
    final: dict[str, float]
    pid: int
    settled: bool = False  # the window starts after the subscriber's own start-up work


def parse_sample(line: str) -> Sample | None:
    if not line.startswith("stats ") and " stats uptime_s=" not in line:
        return None
    fields = {name: float(value) for name, value in _FIELD.findall(line)}
    if "uptime_s" not in fields or "received" not in fields:
        return None
    uptime = fields.pop("uptime_s")
    return Sample(uptime, fields)


def window(samples: Sequence[Sample], total: int, warmup: int = 0) -> tuple[Sample, Sample] | None:
    """The first sample past the warm-up messages and the last one before all `total` had come.

    A window must see messages come (two samples of one count in a pause measure nothing).
    """
    busy = [s for s in samples if warmup < s.counts["received"] < total]
    if not _grows(busy):  # a tiny backlog: fall back to the first sample that saw it all
        busy = [s for s in samples if s.counts["received"] > 0][:1]
        busy += [s for s in samples if s.counts["received"] >= total][:1]
    if not _grows(busy):
        # Faster than the samples: from the last sample before the load to the first after it.
        busy = [s for s in samples if s.counts["received"] <= warmup][-1:]
        busy += [s for s in samples if s.counts["received"] >= total][:1]
    if not _grows(busy):
        return None
    return busy[0], busy[-1]


def _grows(busy: Sequence[Sample]) -> bool:
    return (
        len(busy) >= 2
        and busy[-1].uptime_s > busy[0].uptime_s
        and busy[-1].counts["received"] > busy[0].counts["received"]
    )


def per_second(first: Sample, last: Sample, field: str) -> float:
    return (last.counts.get(field, 0) - first.counts.get(field, 0)) / (
        last.uptime_s - first.uptime_s
    )


def publish_backlog(broker: BenchBroker, load_file: Path) -> None:
    command = [sys.executable, "-m", "bench.loadgen", "publish", str(load_file)]
    command += ["--port", str(broker.port)]
    subprocess.run(command, check=True, capture_output=True, timeout=300, cwd=REPO)


def drain(
    name: str,
    broker: BenchBroker,
    load_file: Path,
    total: int,
    command: Sequence[str],
    client_id: str,
    qos: int = 1,
    rate_field: str = "received",
    readings_field: str | None = None,
    timeout_s: float = 300.0,
    warmup: int = 0,
    settled_field: str | None = None,
) -> Drain:
    """Prime a session, publish the backlog into it, run `command` until it has every message.

    settled_field: a counter the subscriber's stats lines carry that turns 1 once its start-up
    work is done (Energrid: `republishes`, its state republished after the connect); the window
    then starts past it when the drain lasts long enough, so that the rate is the readings'.
    """
    prime_session(broker.host, broker.port, client_id, qos)
    publish_backlog(broker, load_file)
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=REPO,
    )
    samples: list[Sample] = []
    log: list[str] = []
    rss = 0
    deadline = time.monotonic() + timeout_s
    try:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            sample = parse_sample(line)
            if sample is not None:
                samples.append(sample)
                if sample.counts["received"] >= total:
                    rss = rss_of(process.pid)
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: no end after {timeout_s} s:\n{''.join(log[-20:])}")
    finally:
        _stop(process)
    if not samples or samples[-1].counts["received"] < total:
        raise RuntimeError(f"{name} stopped early:\n{''.join(log[-20:])}")
    settled = [s for s in samples if settled_field and s.counts.get(settled_field, 0) >= 1]
    ends = window(settled, total, warmup) if settled else None
    after = ends is not None and settled[0] is not samples[0]
    ends = ends or window(samples, total, warmup)
    if ends is None:
        raise RuntimeError(f"{name}: too few samples to measure a rate")
    first, last = ends
    rate = per_second(first, last, rate_field)
    readings = per_second(first, last, readings_field) if readings_field else rate
    cpu_us = per_second(first, last, "cpu_s") / rate * 1e6 if rate > 0 else 0.0
    span = last.uptime_s - first.uptime_s
    return Drain(
        name,
        total,
        rate,
        readings,
        cpu_us,
        rss,
        span,
        samples,
        samples[-1].counts,
        process.pid,
        after,
    )


def rss_of(pid: int) -> int:
    """Resident set size of a process, in bytes (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
