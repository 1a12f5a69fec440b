"""Starting and stopping a server the way every entry point does: broker first, then the client."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from energrid.broker.start import ManagedBroker, ensure_broker
from energrid.broker.watch import BrokerWatch
from energrid.shell import words
from energrid.shell.invocation import pasteable
from energrid_core.config import Settings
from energrid_core.integrations.ha_discovery import HaDiscovery
from energrid_core.metrics import MetricsEndpoint
from energrid_core.notes import NoteText
from energrid_core.server import GridServer

log = logging.getLogger("energrid")

CONNECT_WAIT_S = 5.0


class LogFormat(logging.Formatter):
    """Energrid's one log line, in the shell, under debug(True), in `python -i start_server.py`
    and (with the time in front) in a service's log: `[broker] warning: text`. The tag is
    the part after 'energrid.', as in the shell's own notices ([broker], [command], [debug]);
    the level is said only from WARNING up. A line logged as a note (notes.NoteText) and the
    level are in the shell's language: English but in a shell set to another."""

    def __init__(self, timestamps: bool = False) -> None:
        super().__init__()
        self.timestamps = timestamps

    def format(self, record: logging.LogRecord) -> str:
        tag = record.name.removeprefix("energrid.")
        level = f"{_level(record)}: " if record.levelno >= logging.WARNING else ""
        text = f"[{tag}] {level}{pasteable(worded(record))}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return f"{self.formatTime(record)} {text}" if self.timestamps else text


def _level(record: logging.LogRecord) -> str:
    name = record.levelname.lower()
    return words.w(f"log.{name}") if f"log.{name}" in words.ENGLISH else name


def worded(record: logging.LogRecord) -> str:
    """The record's message (getMessage()), the notes in it in the shell's language."""
    msg, args = record.msg, record.args
    if isinstance(msg, NoteText):
        msg = words.say(msg)
    if isinstance(args, tuple):
        args = tuple(words.say(a) if isinstance(a, NoteText) else a for a in args)
    return str(msg) % args if args else str(msg)


def setup_logging(level: str, stream: TextIO | None = None, timestamps: bool = False) -> None:
    """One handler on the 'energrid' logger; call it after patch_stdout in the shell.

    timestamps: for a service (--headless), whose log is read later."""
    logger = logging.getLogger("energrid")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(LogFormat(timestamps))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


@contextmanager
def running_server(
    settings: Settings,
    on_connection: Callable[[bool, str], None] | None = None,
    prepare: Callable[[GridServer], None] | None = None,
    on_broker: Callable[[ManagedBroker | None], None] | None = None,
) -> Iterator[GridServer]:
    """A connected (or retrying) server, with a Mosquitto child started if none answers.

    The grid is opened first: a state directory another Energrid uses, or a damaged database,
    is reported before any broker is started. prepare(server), when given, runs before the
    connection (to build a grid, for example); on_broker(broker) learns the Mosquitto started
    (None when a broker answered already), for a banner. Leaving says what it stopped.
    """
    server = GridServer(settings)
    try:
        broker: ManagedBroker | None = ensure_broker(settings)
    except BaseException:
        server.stop()
        raise
    if on_broker is not None:
        on_broker(broker)
    if on_connection is not None:
        server.follow_connection(on_connection)
    started = False  # a refusal (another server, say) stopped nothing: nothing to say of it
    watch = None
    metrics = None
    discovery = None
    if broker is not None:  # restarted if it dies, and said: a broker gone for good is not silent
        watch = BrokerWatch(broker, server.announce)
        watch.start()
    try:
        if settings.metrics_port:
            metrics = MetricsEndpoint(
                server, settings.metrics_host, settings.metrics_port, settings.metrics_per_house
            )
            metrics.start()
        if settings.ha_discovery:
            discovery = HaDiscovery(server, settings.ha_prefix)
            discovery.start()
        if prepare is not None:
            prepare(server)
        connected = server.start(CONNECT_WAIT_S)
        started = True
        if not connected:
            link = server.connection_status()
            if not link.explained:  # (a refusal or a failed attempt was said, with its cause)
                log.warning("%s", link.problem)
        yield server
    finally:
        if discovery is not None:
            discovery.stop()
        if metrics is not None:
            metrics.stop()
        if watch is not None:
            watch.stop()
        server.stop()
        if broker is None and started:
            address = server.connection_status().address
            log.info("%s", words.english("broker.server stopped", address=address))
        elif broker is not None:
            pid = broker.last_pid
            broker.stop()
            said = "broker.both stopped" if started else "broker.stopped"
            log.info("%s", words.english(said, port=settings.mqtt_port, pid=pid))
