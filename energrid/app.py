"""Starting and stopping a server the way every entry point does: broker first, then the client."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from energrid.broker import ManagedBroker, ensure_broker
from energrid.broker_watch import BrokerWatch
from energrid_core.config import Settings
from energrid_core.server import GridServer

log = logging.getLogger("energrid")

CONNECT_WAIT_S = 5.0


def setup_logging(level: str, stream: TextIO | None = None, timestamps: bool = True) -> None:
    """One handler on the 'energrid' logger; call it after patch_stdout in the shell."""
    logger = logging.getLogger("energrid")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    layout = (
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
        if timestamps
        else "[%(name)s] %(message)s"
    )
    handler.setFormatter(logging.Formatter(layout))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


@contextmanager
def running_server(
    settings: Settings,
    on_connection: Callable[[bool, str], None] | None = None,
    prepare: Callable[[GridServer], None] | None = None,
) -> Iterator[GridServer]:
    """A connected (or retrying) server, with a Mosquitto child started if none answers.

    The grid is opened first: a state directory another Energrid uses, or a damaged database,
    is reported before any broker is started. prepare(server), when given, runs before the
    connection (to build a grid, for example).
    """
    server = GridServer(settings)
    try:
        broker: ManagedBroker | None = ensure_broker(settings)
    except BaseException:
        server.stop()
        raise
    if on_connection is not None:
        server.follow_connection(on_connection)
    watch = None
    if broker is not None:  # restarted if it dies, and said: a broker gone for good is not silent
        watch = BrokerWatch(broker, server.announce)
        watch.start()
    try:
        if prepare is not None:
            prepare(server)
        if not server.start(CONNECT_WAIT_S) and server.connection_status().refusal is None:
            # (A refusal was said already, with what to check: the broker does answer.)
            log.warning(
                "the broker at %s:%s does not answer yet; retrying in the background",
                settings.mqtt_host,
                settings.mqtt_port,
            )
        yield server
    finally:
        if watch is not None:
            watch.stop()
        server.stop()
        if broker is not None:
            broker.stop()
