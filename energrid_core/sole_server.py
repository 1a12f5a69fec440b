"""One server per neighborhood per broker: a server starting up looks before it announces itself.

Two servers on one neighborhood would both command the same boards and overwrite each other's
retained state. So a server first reads the neighborhood's retained status; when it says `online`
from another instance (another state directory), this one refuses to start, in one line. The
status of a server that went away is `offline` (its last will), so only a running server, or one
whose broker kept its status over a crash, stops another; `--takeover` is for the deliberate case.
"""

from __future__ import annotations

import logging
from datetime import datetime

import orjson

from energrid_core.errors import AnotherServerError
from energrid_core.mqtt.client import ClientOptions
from energrid_core.mqtt.probe import read_retained
from energrid_core.state.topics import status_topic

log = logging.getLogger("energrid.server")

CHECK_WAIT_S = 1.5  # the whole look, connection included: a refusal comes within 2 s


def check_alone(
    options: ClientOptions, neighborhood: int, instance: str, wait_s: float = CHECK_WAIT_S
) -> None:
    """Raise AnotherServerError when another instance's status says it serves the neighborhood.

    Skipped with a broker account: brokers such as the secure profile's name a connection after
    its account (use_username_as_clientid), so a look with the server's account would close the
    running server's connection, which is what this check is there to avoid.
    """
    if options.username:
        return
    topic = status_topic(neighborhood)
    try:
        payload = read_retained(options, topic, wait_s)
    except TimeoutError as exc:  # the broker is not there yet: the connection says why
        log.debug("could not look at %s before connecting: %s", topic, exc)
        return
    other = other_server(payload, instance)
    if other is None:
        return
    since = other.get("since_unix_s")
    when = ""
    if isinstance(since, int | float):
        when = f", online since {datetime.fromtimestamp(since).strftime('%Y-%m-%d %H:%M:%S')}"
    raise AnotherServerError(
        f"another Energrid (instance {other.get('instance') or '?'}{when}) serves neighborhood "
        f"{neighborhood} on the broker at {options.host}:{options.port}; stop it, or start this "
        f"one with --takeover if it is gone"
    )


def other_server(payload: bytes | None, instance: str) -> dict | None:
    """The status payload when it says online from an instance other than `instance`."""
    if not payload:
        return None
    try:
        status = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(status, dict) or status.get("status") != "online":
        return None
    if status.get("instance") == instance:  # our own, left by a crash: we are back
        return None
    return status
