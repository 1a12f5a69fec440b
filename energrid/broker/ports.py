"""The ports a broker Energrid starts will listen on, checked before it starts.

Two Energrids side by side differ by their MQTT port (`ENERGRID_MQTT_PORT=18830 ./energrid.sh`);
the websockets port then follows: when the default one is taken, the broker gets the next free
one and says so. A port the operator chose, or one written in the broker configuration, is never
moved: the error names the setting or the line to change.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from energrid.shell.words import english
from energrid_core.config import Settings
from energrid_core.errors import BrokerUnavailableError
from energrid_core.notes import NoteText

log = logging.getLogger("energrid.broker")

SEARCH = 100  # ports tried after a taken websockets port before asking the system for one


@dataclass(frozen=True)
class Listener:
    """One `listener PORT [ADDRESS]` line of a Mosquitto configuration."""

    port: int
    address: str  # an IP address, an interface name ('lo'), or '' for every interface
    websockets: bool
    line: str


def listeners(config: str) -> list[Listener]:
    """The listeners of a configuration, in order, each with its protocol."""
    found: list[tuple[int, str, str]] = []
    websockets: set[int] = set()
    for text in config.splitlines():
        words = text.split()
        if words[:1] == ["listener"] and len(words) >= 2 and words[1].isdigit():
            found.append((int(words[1]), words[2] if len(words) > 2 else "", text.strip()))
        elif words[:2] == ["protocol", "websockets"] and found:
            websockets.add(len(found) - 1)
    return [Listener(p, a, i in websockets, line) for i, (p, a, line) in enumerate(found)]


def _bind_address(address: str) -> tuple[socket.AddressFamily, str]:
    """Where to try binding for a listener's address: an interface name counts as loopback
    (the configurations here name only 'lo'), no address as every interface."""
    if not address:
        return socket.AF_INET, "0.0.0.0"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return socket.AF_INET, "127.0.0.1"
    return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), str(ip)


def port_free(port: int, address: str = "127.0.0.1") -> bool:
    """True when a listener could bind port on address now (as Mosquitto does, SO_REUSEADDR:
    a port some closed connection still holds in TIME_WAIT counts as free)."""
    family, host = _bind_address(address)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port_after(port: int, address: str, taken: set[int]) -> int:
    """The first free port after `port` (not in taken), else any port the system has free."""
    for candidate in range(port + 1, min(port + 1 + SEARCH, 65536)):
        if candidate not in taken and port_free(candidate, address):
            return candidate
    family, host = _bind_address(address)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def choose_ws_port(source: str, settings: Settings) -> int:
    """The websockets port for a broker started from configuration `source`: settings.ws_port
    when it is free or was chosen by the operator, else the next free one (said in the log)."""
    wanted = settings.ws_port
    for listener in listeners(source):
        if not listener.websockets or port_free(wanted, listener.address):
            continue
        if "ws_port" in settings.explicit:
            raise BrokerUnavailableError(english("broker.ws port taken", port=wanted))
        chosen = free_port_after(wanted, listener.address, {settings.mqtt_port})
        log.info("%s", english("broker.ws port moved", port=wanted, chosen=chosen))
        return chosen
    return wanted


def check_ports(config: str, settings: Settings, ws_port: int) -> None:
    """BrokerUnavailableError naming what to change when a port of the runtime configuration
    is taken: the MQTT port's setting, the websockets port's, or the configuration's line."""
    source = Path(settings.broker_config).name
    for listener in listeners(config):
        if port_free(listener.port, listener.address):
            continue
        if listener.port == settings.mqtt_port and not listener.websockets:
            setting = english("broker.mqtt port setting")
        elif listener.websockets and listener.port == ws_port:
            setting = english("broker.ws port setting")
        else:
            setting = english("broker.config line", line=listener.line, source=source)
        raise BrokerUnavailableError(
            english("broker.port taken", port=listener.port, setting=setting)
        )


def port_setting(reason: str, settings: Settings, ws_port: int) -> NoteText | str:
    """What to change when Mosquitto's own start-up error names one of our ports ('' if not)."""
    if f"port {ws_port}" in reason:
        return english("broker.choose ws port")
    if f"port {settings.mqtt_port}" in reason:
        return english("broker.choose mqtt port")
    return ""
