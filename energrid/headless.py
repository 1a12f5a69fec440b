"""`energrid --headless`: the server without the shell, until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from energrid.app import running_server, setup_logging
from energrid.shell.stats_report import StatsReporter
from energrid_core.commands.command import Phase
from energrid_core.config import Settings
from energrid_core.events import CommandChanged
from energrid_core.manage.alarms import AlarmChanged
from energrid_core.server import GridServer

log = logging.getLogger("energrid")


def run_headless(
    settings: Settings,
    stop: threading.Event | None = None,
    prepare: Callable[[GridServer], None] | None = None,
) -> int:
    """Serve until `stop` is set or a signal comes; prepare(server) runs before connecting."""
    setup_logging(settings.log_level, timestamps=True)
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # The connection's lines read [broker] as in the shell (README: one form, `[broker] text`).
    broker_log = logging.getLogger("energrid.broker")
    on_connection = lambda _up, text: broker_log.info("%s", text)  # noqa: E731

    reporters: list[StatsReporter] = []

    def before_connecting(server: GridServer) -> None:
        # Commands settled right after the connection (journaled by an earlier run) are logged.
        server.bus.subscribe(CommandChanged, _log_command_event)
        server.bus.subscribe(AlarmChanged, _log_alarm_event)
        if prepare is not None:
            prepare(server)
        if settings.stats_interval_s > 0:  # its first line comes before what the connect brings
            reporters.append(StatsReporter(server, settings.stats_interval_s).start())

    try:
        status = _serve(settings, stop, on_connection, before_connecting, reporters)
    finally:
        for reporter in reporters:
            reporter.stop()
    return status


def _serve(
    settings: Settings,
    stop: threading.Event,
    on_connection: Callable[[bool, str], None],
    before_connecting: Callable[[GridServer], None],
    reporters: list[StatsReporter],
) -> int:
    """Run until stopped or failed; the stats reporter (started before the connect) stops
    before the last line, so that its last line comes before "stopped"."""
    status = 0
    with running_server(settings, on_connection, before_connecting) as server:
        server.notice_rejections_every(10.0)  # a service's log says why readings are refused
        log.info(
            "Energrid running headless on neighborhood %s; SIGINT or SIGTERM stops it",
            settings.neighborhood,
        )
        while not stop.wait(0.2):
            if server.failed.is_set():
                log.error("stopping: %s", server.failure)
                status = 1
                break
            if server.connection_status().gave_up is not None:  # said already, in one line
                status = 2
                break
        for reporter in reporters:
            reporter.stop()
        stats = server.stats_snapshot()
        log.info(
            "stopped: messages received %s, readings applied %s, messages rejected %s",
            stats.messages_received,
            stats.readings_applied,
            stats.rejected_total,
        )
    return status


def _log_command_event(event: CommandChanged) -> None:
    if event.notice is not None:
        bad = event.command.phase in (Phase.EXPIRED, Phase.REFUSED, Phase.UNCONFIRMED)
        level = logging.WARNING if bad else logging.INFO
        log.log(level, "%s", event.notice)


def _log_alarm_event(event: AlarmChanged) -> None:
    """Each raise, clear and shedding action once, in English, as the shell prints it: a
    service's log is where its operator learns the grid went over a limit and what was shed."""
    tag = "alarm" if event.event in ("raised", "cleared") else "shedding"
    level = logging.WARNING if event.event == "raised" else logging.INFO
    logging.getLogger(f"energrid.{tag}").log(level, "%s", str(event.note))
