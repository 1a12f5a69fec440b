"""`energrid --headless`: the server without the shell, until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from energrid.app import running_server, setup_logging
from energrid.stats_report import StatsReporter
from energrid_core.config import Settings
from energrid_core.server import GridServer

log = logging.getLogger("energrid")


def run_headless(
    settings: Settings,
    stop: threading.Event | None = None,
    prepare: Callable[[GridServer], None] | None = None,
) -> int:
    """Serve until `stop` is set or a signal comes; prepare(server) runs before connecting."""
    setup_logging(settings.log_level)
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with running_server(settings, lambda _up, text: log.info("%s", text), prepare) as server:
        log.info(
            "Energrid running headless on neighborhood %s; SIGINT or SIGTERM stops it",
            settings.neighborhood,
        )
        reporter = None
        if settings.stats_interval_s > 0:
            reporter = StatsReporter(server, settings.stats_interval_s).start()
        while not stop.wait(1.0):
            pass
        if reporter is not None:
            reporter.stop()
        stats = server.stats
        log.info(
            "stopped: %s messages received, %s readings applied, %s rejected",
            stats.messages_received,
            stats.readings_applied,
            stats.rejected_total,
        )
    return 0
