"""The Mosquitto configuration Energrid runs: the operator's file with its ports and files moved."""

from __future__ import annotations

import os
from pathlib import Path

from energrid_core.errors import BrokerUnavailableError

DEFAULT_MQTT_PORT = 1883


def runtime_config(
    source: str,
    mqtt_port: int,
    ws_port: int,
    broker_dir: Path,
    credentials_dir: Path | None = None,
) -> str:
    """The broker configuration Energrid runs: `source` with its ports and files moved.

    The websockets listener moves to ws_port and the MQTT listener on 1883 to mqtt_port (bind
    addresses are kept); persistence_location becomes broker_dir; a relative password_file or
    acl_file (the secure profile's) is taken in credentials_dir. When run as root, the broker
    stays root so it can write the state directory (Mosquitto otherwise drops to its own user).
    """
    lines = source.splitlines()
    if credentials_dir is not None:
        lines = [_credentials_path(line, credentials_dir) for line in lines]
    listeners: list[int] = []
    websockets: set[int] = set()
    for number, line in enumerate(lines):
        words = line.split()
        if words[:1] == ["listener"]:
            listeners.append(number)
        elif words[:2] == ["protocol", "websockets"] and listeners:
            websockets.add(listeners[-1])
    moved_mqtt = False
    for number in listeners:
        words = lines[number].split()
        if len(words) < 2:
            continue
        if number in websockets:
            words[1] = str(ws_port)
        elif words[1] == str(DEFAULT_MQTT_PORT) and not moved_mqtt:
            words[1] = str(mqtt_port)
            moved_mqtt = True
        lines[number] = " ".join(words)
    if not moved_mqtt:
        raise BrokerUnavailableError(
            f"The broker configuration has no `listener {DEFAULT_MQTT_PORT}` line "
            f"for Energrid to move to port {mqtt_port}."
        )
    lines = [line for line in lines if line.split()[:1] != ["persistence_location"]]
    lines += ["", "# Added by Energrid when it started this broker.", ""]
    lines.append(f"persistence_location {broker_dir}/")
    if os.geteuid() == 0 and not any(line.split()[:1] == ["user"] for line in lines):
        lines.append("user root")
    return "\n".join(lines) + "\n"


_CREDENTIAL_FILES = ("password_file", "acl_file")


def _credentials_path(line: str, credentials_dir: Path) -> str:
    words = line.split()
    if len(words) == 2 and words[0] in _CREDENTIAL_FILES and not Path(words[1]).is_absolute():
        return f"{words[0]} {credentials_dir / words[1]}"
    return line


def missing_credential_files(config: str) -> list[str]:
    """The password_file / acl_file paths a configuration names that do not exist."""
    missing = []
    for line in config.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in _CREDENTIAL_FILES and not Path(words[1]).exists():
            missing.append(words[1])
    return missing


def listens_on(config: str, port: int) -> bool:
    """Whether a configuration has a listener on port."""
    return any(
        line.split()[:1] == ["listener"] and line.split()[1:2] == [str(port)]
        for line in config.splitlines()
    )
