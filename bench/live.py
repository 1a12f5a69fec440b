"""Live streams: each subscriber in turn takes the same load while it is being published.

A drain (bench/drain.py) measures a backlog handed over by the broker at the pace of its QoS 1
in-flight window; here the subscriber is connected first and the publisher writes the whole load
as fast as it can, so the subscriber's own cost per message sets the rate.

For each subscriber: a session with the subscription is left on the broker (so nothing is lost
between its connect and its SUBACK), the subscriber starts and says it is connected, then the
publisher starts: `mosquitto_pub -l` (the C client, one payload per line of a file written once)
for a load on one topic, or bench.loadgen's raw writer of ready-encoded packets (one write of a
file, as cheap as the C client) for a load over many topics. The subscriber prints its counters
every interval; the rate is measured as in a drain, between the first sample past the warm-up
and the last sample before it had everything. At QoS 0 the broker may drop what a slow subscriber
cannot take: the figure then counts what it received, and `lost` says how many were dropped.

"Operator typing" runs the shell (bench/energrid_shell.py) in a pty driven by pexpect: one
keystroke every TYPING_INTERVAL_S (`showHouses()` then Enter, over and over) while the stream runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.broker import BenchBroker
from bench.drain import REPO, Sample, parse_sample, per_second, rss_of, window
from bench.subscribers import prime_session

READY_TIMEOUT_S = 180.0  # a 10,000-house grid is built before the connect
STALL_S = 2.0  # after the publisher is done, this long without a new message ends a run
TYPING_INTERVAL_S = 0.2
TYPED = "showHouses()\r"


@dataclass(frozen=True)
class Live:
    """What one subscriber did with one live stream."""

    name: str
    published: int
    received: int
    rate: float  # messages per second over the window (Energrid: messages applied)
    readings_rate: float
    cpu_us: float  # CPU time of the subscriber per message over the window
    window_s: float
    rss_bytes: int
    keystrokes: int = 0
    samples: list[Sample] = field(default_factory=list, repr=False)

    @property
    def lost(self) -> int:
        return max(0, self.published - self.received)


@dataclass(frozen=True)
class Stream:
    """A load ready to publish: `command` reads `stdin` (or nothing) and publishes all of it."""

    command: list[str]
    stdin: Path | None
    messages: int
    warmup: int  # the first round, in which every sender sends its first message


def mosquitto_pub(broker: BenchBroker, lines: Path, topic: str, qos: int, count: int) -> Stream:
    executable = shutil.which("mosquitto_pub") or "mosquitto_pub"
    command = [executable, "-h", broker.host, "-p", str(broker.port), "-q", str(qos)]
    command += ["-t", topic, "-l", "-i", f"bench-pub-{os.getpid()}"]
    return Stream(command, lines, count, 1)


def raw_writer(broker: BenchBroker, packets: Path, qos: int, count: int, warmup: int) -> Stream:
    command = [sys.executable, "-m", "bench.loadgen", "publish", str(packets)]
    command += ["--port", str(broker.port), "--qos", str(qos)]
    return Stream(command, None, count, warmup)


class _Watched:
    """Lines of a subscriber's output: samples, readiness, the last lines for an error."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.tail: deque[str] = deque(maxlen=30)
        self.ready = threading.Event()

    def feed(self, line: str) -> None:
        self.tail.append(line)
        if "connected to the broker" in line or "Connected to broker" in line:  # (Node-RED)
            self.ready.set()
        sample = parse_sample(line.strip())
        if sample is not None:
            self.samples.append(sample)

    def received(self) -> float:
        return self.samples[-1].counts["received"] if self.samples else 0.0


class _Piped:
    """A subscriber whose stdout carries both the connect line and the stats lines."""

    def __init__(self, command: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.watched = _Watched()
        self.keystrokes = 0
        self.process = subprocess.Popen(
            list(command),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            cwd=REPO,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.watched.feed(line)

    def begin(self) -> None:
        """The stream is about to start."""

    def stop(self) -> None:
        _terminate(self.process)


class _Typed:
    """The shell in a pty: its screen says when it is connected, a file gets its stats lines."""

    def __init__(self, command: Sequence[str], stats_file: Path) -> None:
        import pexpect

        self.watched = _Watched()
        self.keystrokes = 0
        self.stats_file = stats_file
        stats_file.write_text("")
        self.child = pexpect.spawn(
            command[0],
            list(command[1:]),
            cwd=str(REPO),
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TERM": "xterm"},
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(50, 160),
        )
        self._done = threading.Event()
        self._threads = [
            threading.Thread(target=self._read_screen, daemon=True),
            threading.Thread(target=self._tail_stats, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def pid(self) -> int:
        return self.child.pid

    def _read_screen(self) -> None:
        """Keep the pty drained (a full pty would block the shell) and watch for the connect."""
        import pexpect

        pending = ""
        while not self._done.is_set():
            try:
                pending += self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError):
                return
            if not self.watched.ready.is_set() and "connected to the broker" in pending:
                self.watched.ready.set()
            pending = pending[-200:]

    def _tail_stats(self) -> None:
        with self.stats_file.open() as stats:
            partial = ""
            while not self._done.is_set():
                chunk = stats.readline()
                if not chunk:
                    time.sleep(0.02)
                    continue
                partial += chunk
                if partial.endswith("\n"):
                    self.watched.feed(partial)
                    partial = ""

    def begin(self) -> None:
        """The operator is typing when the stream starts (the first keystroke is sent)."""
        threading.Thread(target=self._type, daemon=True).start()
        deadline = time.monotonic() + 5.0
        while self.keystrokes == 0 and time.monotonic() < deadline:
            time.sleep(0.01)

    def _type(self) -> None:
        while not self._done.wait(TYPING_INTERVAL_S):
            try:
                self.child.send(TYPED[self.keystrokes % len(TYPED)])
            except OSError:
                return
            self.keystrokes += 1

    def stop(self) -> None:
        self._done.set()
        self.child.terminate(force=True)
        self.child.close()


def measure(
    name: str,
    broker: BenchBroker,
    stream: Stream,
    start: Callable[[], _Piped | _Typed],
    client_id: str,
    qos: int,
    rate_field: str = "received",
    readings_field: str | None = None,
    timeout_s: float = 600.0,
) -> Live:
    """Start the subscriber, wait for its connect, publish the stream, measure its rate."""
    prime_session(broker.host, broker.port, client_id, qos)
    subscriber = start()
    watched = subscriber.watched
    publisher: subprocess.Popen[bytes] | None = None
    rss = 0
    try:
        if not watched.ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"{name}: not connected:\n{''.join(watched.tail)}")
        subscriber.begin()
        stdin = stream.stdin.open("rb") if stream.stdin is not None else subprocess.DEVNULL
        publisher = subprocess.Popen(
            stream.command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO
        )
        if stream.stdin is not None:
            stdin.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout_s
        last_count, last_change = -1.0, time.monotonic()
        while watched.received() < stream.messages:
            time.sleep(0.05)
            now = time.monotonic()
            count = watched.received()
            if count != last_count:
                last_count, last_change = count, now
            elif publisher.poll() is not None and now - last_change > STALL_S:
                break  # QoS 0: the broker dropped the rest
            if now > deadline:
                raise RuntimeError(f"{name}: no end after {timeout_s} s")
        rss = rss_of(subscriber.pid)
        time.sleep(0.3)  # one more sample past the end
    finally:
        subscriber.stop()
        if publisher is not None:
            _terminate(publisher)
    samples = list(watched.samples)
    if not samples:
        raise RuntimeError(f"{name}: no stats lines:\n{''.join(watched.tail)}")
    received = int(samples[-1].counts["received"])
    ends = window(samples, received, stream.warmup)
    if ends is None:
        raise RuntimeError(f"{name}: too few samples to measure a rate")
    first, last = ends
    rate = per_second(first, last, rate_field)
    readings = per_second(first, last, readings_field) if readings_field else rate
    cpu_us = per_second(first, last, "cpu_s") / rate * 1e6 if rate > 0 else 0.0
    return Live(
        name,
        stream.messages,
        received,
        rate,
        readings,
        cpu_us,
        last.uptime_s - first.uptime_s,
        rss,
        subscriber.keystrokes,
        samples,
    )


def piped(command: Sequence[str], env: dict[str, str] | None = None) -> Callable[[], _Piped]:
    return lambda: _Piped(command, env)


def typed(command: Sequence[str], stats_file: Path) -> Callable[[], _Typed]:
    return lambda: _Typed(command, stats_file)


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
