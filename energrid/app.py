"""Starting and stopping a server the way every entry point does: broker first, then the client."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from energrid.broker import ManagedBroker, ensure_broker
from energrid_core.config import Settings
from energrid_core.server import GridServer

log = logging.getLogger("energrid")

CONNECT_WAIT_S = 5.0


def setup_logging(level: str, stream: TextIO | None = None) -> None:
    """One handler on the 'energrid' logger; call it after patch_stdout in the shell."""
    logger = logging.getLogger("energrid")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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

    prepare(server), when given, runs before the connection (to build a grid, for example).
    """
    broker: ManagedBroker | None = ensure_broker(settings)
    server = GridServer(settings)
    if on_connection is not None:
        server.client.connection_listeners.append(on_connection)
    try:
        if prepare is not None:
            prepare(server)
        if broker is not None:
            log.info(
                "started Mosquitto (pid %s) on %s:%s",
                broker.pid,
                settings.mqtt_host,
                settings.mqtt_port,
            )
        if not server.start(CONNECT_WAIT_S):
            log.warning(
                "the broker at %s:%s does not answer yet; retrying in the background",
                settings.mqtt_host,
                settings.mqtt_port,
            )
        yield server
    finally:
        server.stop()
        if broker is not None:
            broker.stop()
