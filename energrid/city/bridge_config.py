"""The Mosquitto bridge section that joins a neighborhood's broker (the edge) to the city broker.

Pure: options in, configuration text out. What crosses the bridge, and why:

- out: `energrid/<n>/#`, the neighborhood's state topics, all retained. Mosquitto re-sends every
  retained message of an `out` pattern each time the bridge connects, so a city broker that was
  away (or lost its database) is whole again at once, with the latest values.
- in: the command topics of the neighborhood's devices, both kinds (`.../Consumer/<c>/set` and
  `.../Supplier/<s>/booleanLoad`). Nothing else of `Neighborhood/<n>/...` crosses: readings stay
  on the edge, and a reading published on the city broker reaches no server.
- No topic goes both ways, so nothing can loop; try_private tells a Mosquitto city broker that
  this is a bridge (it then keeps the retained flag and never echoes a message back).
- cleansession false: the city broker keeps the bridge's subscriptions and queues the commands
  published there while this edge is away. local_cleansession true: while the city broker is
  away the edge does not queue superseded state for it (a queue that fills up would drop the
  newest values and could drop the retained re-send too); the re-send on reconnect carries the
  latest of everything instead.
- The state goes out at QoS 0. With the edge's session clean, QoS 1 would add nothing across a
  reconnect (the re-send covers it), and it reorders: a live update that finds a free in-flight
  slot overtakes the older re-sent copy of the same topic still waiting in the queue, which then
  lands last and stays on the city broker until the topic changes again (bench.city saw one such
  topic in 22,004 after an outage). QoS 0 messages are written in the order they come.
- max_queued_messages: at each connect Mosquitto queues the whole retained state for the bridge
  at once, and drops what does not fit one client's queue (10,000 messages in mosquitto.conf: a
  neighborhood of 1,000 houses of 10 devices has 11,002 state topics). The section raises the
  limit, for every client of the edge broker since the option is global.
- MQTT 3.1.1, not 5: Mosquitto 2.0.11 sends an MQTT 5 bridge's CONNECT without a session expiry,
  which makes its session as short-lived as a clean one.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

from energrid.city.topics import bridge_topic
from energrid_core.errors import BadArgumentError
from energrid_core.state.topics import root_filter
from energrid_core.topics import MAX_ID, house_topic

CONNECTION_NAME = "energrid-city"
STATE_QOS = 0  # see the module's docstring: the re-send at connect is what loses nothing
COMMAND_QOS = 1  # the city broker keeps a command for a bridge that is away
KEEPALIVE_S = 30
MAX_QUEUED_MESSAGES = 200_000  # the state topics of 18,000 houses of 10 devices (11 each)
# Reconnect after a jittered delay from 1 s, growing up to 10 s: the city is whole again at most
# about 10 s after its broker is back (Mosquitto's default grows to 30 s).
RESTART_TIMEOUT = "1 10"
_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}")


@dataclass(frozen=True)
class BridgeOptions:
    neighborhood: int
    city_host: str
    city_port: int = 1883
    bridge_id: str = ""  # the bridge's client id on the city broker; default_bridge_id()
    account: str = ""  # the bridge's account on the city broker (remote_username)
    password: str = ""
    cafile: str = ""  # the city broker's CA certificate: TLS


def default_bridge_id(neighborhood: int, hostname: str | None = None) -> str:
    """Stable across restarts (the city keeps its session) and unique in the city."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", hostname or socket.gethostname()).strip("-")
    return f"energrid-bridge-{neighborhood}-{host or 'edge'}"[:64]


def command_patterns(neighborhood: int) -> list[str]:
    """Every command topic of a neighborhood's devices, in both of the boards' forms."""
    house = house_topic(neighborhood, 0).rsplit("/", 1)[0] + "/+"
    return [f"{house}/Consumer/+/set", f"{house}/Supplier/+/booleanLoad"]


def check_account(account: str) -> None:
    if account and not _CLIENT_ID.fullmatch(account):
        raise BadArgumentError(
            f"--account takes letters, digits, '.', '_' and '-' (64 at most), not {account!r}"
        )


def check(options: BridgeOptions) -> None:
    """BadArgumentError, one line, for anything Mosquitto would refuse or misread."""
    if not 0 <= options.neighborhood <= MAX_ID:
        raise BadArgumentError(f"--neighborhood must be from 0 to {MAX_ID}")
    if not _HOST.fullmatch(options.city_host):
        raise BadArgumentError(
            f"--city-host must be a host name or address, not {options.city_host!r}"
        )
    if not 1 <= options.city_port <= 65535:
        raise BadArgumentError(f"--city-port must be from 1 to 65535, not {options.city_port}")
    if options.bridge_id and not _CLIENT_ID.fullmatch(options.bridge_id):
        raise BadArgumentError(
            "--bridge-id takes letters, digits, '.', '_' and '-' (64 at most), "
            f"not {options.bridge_id!r}"
        )
    check_account(options.account)
    password = options.password
    if password and (not password.isprintable() or any(ch.isspace() for ch in password)):
        raise BadArgumentError("the password must be one word of printable characters")
    if options.password and not options.account:
        raise BadArgumentError("a password needs --account")
    if options.cafile and not Path(options.cafile).is_absolute():
        raise BadArgumentError(f"--cafile must be an absolute path, not {options.cafile}")


def section(options: BridgeOptions) -> str:
    """The bridge section, ready to append to the edge broker's configuration."""
    check(options)
    n = options.neighborhood
    bridge_id = options.bridge_id or default_bridge_id(n)
    where = f"{options.city_host}:{options.city_port}"
    lines = [
        f"# --- Energrid: neighborhood {n} bridged to the city broker at {where} ---",
        "# Made by `energrid bridge`; see docs/scale-out.md. Append it to this neighborhood's",
        "# broker configuration (a copy of mosquitto.conf), or put it in a file of the broker's",
        "# include_dir. Bridges are read at start-up only: restart the broker after a change.",
        f"connection {CONNECTION_NAME}",
        f"address {where}",
        "bridge_protocol_version mqttv311",
        "try_private true",
        f"remote_clientid {bridge_id}",
        f"local_clientid {bridge_id}.local",
        "cleansession false",
        "local_cleansession true",
        "start_type automatic",
        f"restart_timeout {RESTART_TIMEOUT}",
        f"keepalive_interval {KEEPALIVE_S}",
        "# 1 while bridged, 0 (its last will on the city broker) when the link is down.",
        "notifications true",
        f"notification_topic {bridge_topic(n)}",
    ]
    if options.account:
        lines += [f"remote_username {options.account}"]
        if options.password:
            lines += [f"remote_password {options.password}"]
    if options.cafile:
        lines += [
            f"bridge_cafile {options.cafile}",
            "bridge_insecure false",
            "bridge_tls_version tlsv1.2",
        ]
    lines += [
        "# Every retained state topic is queued for the bridge at once when it connects: the",
        "# queue must hold them all (about 12 per house; a broker left at Mosquitto's default",
        "# of 1,000 does not hold 100 houses). The shipped mosquitto.conf says the same; a global",
        "# option: it applies to every client of this broker.",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        "# The neighborhood's state, out to the city (retained, re-sent at every connect).",
        f"topic {root_filter(n)} out {STATE_QOS}",
        "# Commands for its devices, in from the city.",
        *(f"topic {pattern} in {COMMAND_QOS}" for pattern in command_patterns(n)),
    ]
    return "\n".join(lines) + "\n"
