"""Broker start-up: use the MQTT broker that answers, or run Mosquitto as a child process."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from energrid_core.auth import credentials_dir
from energrid_core.config import Settings
from energrid_core.errors import BrokerUnavailableError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 5.0
PID_FILE = "mosquitto.pid"
STOP_TIMEOUT_S = 5.0
DEFAULT_MQTT_PORT = 1883
# Debian installs the broker in /usr/sbin, which is often not on a normal user's PATH.
DEBIAN_MOSQUITTO = Path("/usr/sbin/mosquitto")
_TIMESTAMP = re.compile(r"^(\d+|\d{4}-\d\d-\d\dT[\d:]+): ")
NOT_INSTALLED = (
    "Mosquitto is not installed: run `sudo apt install mosquitto mosquitto-clients` "
    "(or ./energrid.sh, which installs it)."
)


def broker_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts a TCP connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def find_mosquitto() -> str | None:
    """Path of the mosquitto executable, or None when it is not installed."""
    found = shutil.which("mosquitto")
    if found:
        return found
    if os.access(DEBIAN_MOSQUITTO, os.X_OK):
        return str(DEBIAN_MOSQUITTO)
    return None


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def managed_broker_pid(state_dir: Path) -> int | None:
    """The pid of the Mosquitto Energrid runs for state_dir, if one runs now.

    Read from <state_dir>/broker/mosquitto.pid and checked against the process's command line,
    so that a stale file never leads to signalling another program.
    """
    directory = Path(state_dir) / "broker"
    try:
        pid = int((directory / PID_FILE).read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    config = directory / "runtime.conf"
    expected = {str(config).encode(), str(config.resolve()).encode()}
    is_ours = command[0].endswith(b"mosquitto") and bool(expected & set(command))
    return pid if is_ours else None


class ManagedBroker:
    """Mosquitto run by Energrid, with its config, log and database in <state_dir>/broker."""

    def __init__(self, settings: Settings, executable: str | None = None) -> None:
        self.settings = settings
        self.executable = executable or find_mosquitto()
        self.directory = Path(settings.state_dir) / "broker"
        self.config_path = self.directory / "runtime.conf"
        self.log_path = self.directory / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """Process id of the running broker, None when it is not running."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self) -> None:
        """Write the runtime config, start Mosquitto and wait until it accepts connections."""
        if self.running:
            return
        if self.executable is None:
            raise BrokerUnavailableError(NOT_INSTALLED)
        host, port = self.settings.mqtt_host, self.settings.mqtt_port
        source = Path(self.settings.broker_config)
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise BrokerUnavailableError(f"Cannot read {source}: {exc.strerror}.") from None
        self.directory.mkdir(parents=True, exist_ok=True)
        credentials = credentials_dir(self.settings.state_dir).resolve()
        config = runtime_config(
            text, port, self.settings.ws_port, self.directory.resolve(), credentials
        )
        missing = missing_credential_files(config)
        if missing:
            raise BrokerUnavailableError(
                f"{source.name} needs broker accounts and there are none yet ({missing[0]} is "
                "missing): run `energrid credentials add server` first"
            )
        self.config_path.write_text(config, encoding="utf-8")
        # Mosquitto opens its MQTT listeners before the websockets one: wait for all of them.
        ports = [port]
        if any(line.split()[:2] == ["protocol", "websockets"] for line in config.splitlines()):
            ports.append(self.settings.ws_port)
        if self.log_path.exists():
            self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
        with open(self.log_path, "wb") as log_file:
            # A session of its own: the operator's Ctrl-C reaches the shell, which then stops
            # the broker in order (after the server has said goodbye), not both at once.
            self._process = subprocess.Popen(
                [self.executable, "-c", str(self.config_path)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                status, self._process = self._process.returncode, None
                raise BrokerUnavailableError(
                    f"Mosquitto stopped at start-up (exit status {status}): {self.failure_reason()}"
                )
            if all(broker_reachable(host, each, timeout=0.2) for each in ports):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerUnavailableError(
                    f"Mosquitto did not open {host} ports {ports} in {START_TIMEOUT_S:g} s; "
                    f"see {self.log_path}."
                )
            time.sleep(0.05)
        (self.directory / PID_FILE).write_text(f"{self._process.pid}\n")
        log.info(
            "Started Mosquitto (pid %d) at %s:%d, log in %s", self.pid, host, port, self.log_path
        )

    def stop(self) -> None:
        """SIGTERM (Mosquitto then saves its database), SIGKILL if it is still there after 5 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        (self.directory / PID_FILE).unlink(missing_ok=True)
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("Mosquitto (pid %d) ignored SIGTERM; killing it", process.pid)
            process.kill()
            process.wait()

    def failure_reason(self) -> str:
        """The broker's last "Error:" log line (else its last line), without the timestamp."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        lines = [_TIMESTAMP.sub("", line.strip()) for line in text.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("Error:")]
        return (errors or lines or ["(empty log)"])[-1]

    def __enter__(self) -> ManagedBroker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def ensure_broker(settings: Settings) -> ManagedBroker | None:
    """Make sure a broker answers at settings.mqtt_host:mqtt_port.

    Returns None when one already does, or the ManagedBroker it started; the caller stops it.
    """
    host, port = settings.mqtt_host, settings.mqtt_port
    if broker_reachable(host, port):
        return None
    if not settings.start_broker:
        raise BrokerUnavailableError(
            f"No MQTT broker answers at {host}:{port}, and starting one is turned off "
            "(--no-start-broker or ENERGRID_START_BROKER=false)."
        )
    if not is_loopback(host):
        raise BrokerUnavailableError(
            f"No MQTT broker answers at {host}:{port}; Energrid starts its own broker only "
            "on this machine (mqtt_host 127.0.0.1)."
        )
    executable = find_mosquitto()
    if executable is None:
        raise BrokerUnavailableError(NOT_INSTALLED)
    broker = ManagedBroker(settings, executable)
    broker.start()
    return broker
