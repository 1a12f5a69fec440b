"""A periodic one-line summary of the ingest counters, for operators and for the benchmark.

`energrid --headless --stats-interval-s 10` logs, every 10 s:

    stats uptime_s=3600.012 received=123456 applied=123400 readings=1234000 rejected=56
          republishes=1 rate=34.2 cpu_s=12.5            (one line in the log)

uptime_s counts from the server's start (a monotonic clock, so the differences between two lines
are exact); received/applied are messages, readings the sensor readings applied, rejected the
messages refused whatever the reason (showStats() breaks them down), republishes how many times
the state of the whole grid was published (once after each connect), rate the messages received
per second since the previous line, cpu_s the CPU time the process has used (user + system).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from energrid_core.server import GridServer

log = logging.getLogger("energrid.stats")


def counters(server: GridServer) -> dict[str, int]:
    """received, applied, readings, rejected: one consistent reading of the ingest counters;
    republishes: the whole-grid state republishes done (one after each connect)."""
    stats = server.stats_snapshot()
    return {
        "received": stats.messages_received,
        "applied": stats.messages_applied,
        "readings": stats.readings_applied,
        "rejected": stats.rejected_total,
        "republishes": server.state_counts().republishes,
    }


def stats_line(counts: dict[str, int], uptime_s: float, rate: float) -> str:
    fields = " ".join(f"{name}={value}" for name, value in counts.items())
    return f"stats uptime_s={uptime_s:.4f} {fields} rate={rate:.1f} cpu_s={time.process_time():.4f}"


class StatsReporter:
    """Logs stats_line() every interval_s seconds from a daemon thread until stop()."""

    def __init__(
        self,
        server: GridServer,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.server = server
        self.interval_s = interval_s
        self.clock = clock
        self.started_at = clock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="energrid-stats", daemon=True)

    def start(self) -> StatsReporter:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, after logging one last line."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        """A line at once (where the counts start from), then one every interval_s."""
        last_time, last_received = self.started_at, 0
        stopping = False
        while True:
            now = self.clock()
            counts = counters(self.server)
            received = counts["received"]
            rate = (received - last_received) / (now - last_time) if now > last_time else 0.0
            log.info("%s", stats_line(counts, now - self.started_at, rate))
            last_time, last_received = now, received
            if stopping:
                return
            stopping = self._stop.wait(self.interval_s)
