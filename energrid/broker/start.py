"""Broker start-up: use the MQTT broker that answers, or run Mosquitto as a child process."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from energrid.broker.config import listens_on, missing_credential_files, runtime_config
from energrid.broker.ports import check_ports, choose_ws_port, listeners, port_setting
from energrid.broker.process import (
    PID_FILE,
    RUNTIME_CONFIG,
    broker_owner,
    ended_text,
    managed_broker_pid,
    pid_alive,
    stop_pid,
    write_pid_file,
)
from energrid.shell.words import english
from energrid_core.auth import credentials_dir
from energrid_core.config import Settings
from energrid_core.errors import BrokerUnavailableError
from energrid_core.notes import NoteText
from energrid_core.private_files import private_directory, private_file

log = logging.getLogger("energrid.broker")  # every broker line reads [broker] (README)

START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0
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


class ManagedBroker:
    """Mosquitto run by Energrid, with its config, log and database in <state_dir>/broker.

    Its own child, or adopted: a broker an earlier Energrid started for the same state directory
    and left running when it was killed (see adopt_broker).
    """

    def __init__(self, settings: Settings, executable: str | None = None) -> None:
        self.settings = settings
        self.executable = executable or find_mosquitto()
        self.directory = Path(settings.state_dir) / "broker"
        self.config_path = self.directory / RUNTIME_CONFIG
        self.log_path = self.directory / "mosquitto.log"
        self.ws_port = settings.ws_port  # another one when that is taken (choose_ws_port)
        self._process: subprocess.Popen[bytes] | None = None
        self._adopted: int | None = None
        self.last_pid: int | None = None  # the broker's pid, also once it has ended
        self._lock = threading.RLock()  # start, restart and stop, from two threads

    @property
    def pid(self) -> int | None:
        """Process id of the running broker, None when it is not running."""
        process, adopted = self._process, self._adopted
        if process is not None:
            return process.pid if process.poll() is None else None
        return adopted if adopted is not None and pid_alive(adopted) else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def ended(self) -> NoteText:
        """How the last broker ended ('was killed by SIGKILL'); 'exited' for an adopted one."""
        process = self._process
        return ended_text(process.poll() if process is not None else None)

    def source_text(self) -> str:
        """The operator's broker configuration (--broker-config)."""
        source = Path(self.settings.broker_config)
        try:
            return source.read_text(encoding="utf-8")
        except OSError as exc:
            raise BrokerUnavailableError(f"Cannot read {source}: {exc.strerror}.") from None

    def runtime_text(self) -> str:
        """The configuration this broker runs with (ports and files moved into the state dir)."""
        source = Path(self.settings.broker_config)
        text = self.source_text()
        credentials = credentials_dir(self.settings.state_dir).resolve()
        config = runtime_config(
            text,
            self.settings.mqtt_port,
            self.ws_port,
            self.directory.resolve(),
            credentials,
        )
        missing = missing_credential_files(config)
        if missing:
            raise BrokerUnavailableError(
                f"{source.name} needs broker accounts and there are none yet ({missing[0]} is "
                "missing): run `energrid credentials add server` first"
            )
        return config

    def adopt(self, pid: int, ws_port: int | None = None) -> None:
        """Take over a broker an earlier Energrid started for this state directory; ws_port:
        its websockets port, kept unless the operator chose one."""
        with self._lock:
            self._process, self._adopted, self.last_pid = None, pid, pid
            if ws_port is not None and "ws_port" not in self.settings.explicit:
                self._use_ws_port(ws_port)

    def _use_ws_port(self, port: int) -> None:
        # The settings follow, so that whatever tells clients the websockets port says this one.
        self.ws_port = self.settings.ws_port = port

    def start(self, rotate_log: bool = True) -> None:
        """Write the runtime config, start Mosquitto and wait until it accepts connections.

        rotate_log: keep the last log as mosquitto.log.1; a restart appends to it instead, so
        that the log of the broker that died stays where it was said to be.
        """
        with self._lock:
            if self.running:
                return
            if self.executable is None:
                raise BrokerUnavailableError(NOT_INSTALLED)
            self._use_ws_port(choose_ws_port(self.source_text(), self.settings))
            config = self.runtime_text()
            check_ports(config, self.settings, self.ws_port)
            private_directory(self.directory)  # its log names every client
            self.config_path.write_text(config, encoding="utf-8")
            if rotate_log and self.log_path.exists():
                self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
            private_file(self.log_path)
            self._spawn(config, "wb" if rotate_log else "ab")

    def restart(self) -> None:
        """Start a new broker after this one ended (BrokerWatch)."""
        with self._lock:
            self._process = self._adopted = None
            self.start(rotate_log=False)

    def _spawn(self, config: str, log_mode: str) -> None:
        host, port = self.settings.mqtt_host, self.settings.mqtt_port
        # Mosquitto opens its MQTT listeners before the websockets one: wait for all of them.
        ports = [port]
        if any(line.split()[:2] == ["protocol", "websockets"] for line in config.splitlines()):
            ports.append(self.ws_port)
        with open(self.log_path, log_mode) as log_file:
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
        self._adopted, self.last_pid = None, self._process.pid
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                status, self._process = self._process.returncode, None
                reason = self.failure_reason()
                hint = port_setting(reason, self.settings, self.ws_port)
                raise BrokerUnavailableError(
                    english("broker.stopped at start-up", status=status, reason=reason, hint=hint)
                )
            if all(broker_reachable(host, each, timeout=0.2) for each in ports):
                break
            if time.monotonic() > deadline:
                self.stop()
                said = english(
                    "broker.ports not open",
                    host=host,
                    ports=ports,
                    timeout_s=START_TIMEOUT_S,
                    log=self.log_path,
                )
                raise BrokerUnavailableError(said)
            time.sleep(0.05)
        write_pid_file(self.directory, self._process.pid)
        # A restart (log appended) is said by the BrokerWatch that made it, in one line.
        level = logging.INFO if log_mode == "wb" else logging.DEBUG
        where = f"{host}:{port}"
        log.log(level, "%s", english("broker.started", pid=self.pid, at=where, log=self.log_path))

    def stop(self) -> None:
        """SIGTERM (Mosquitto then saves its database), SIGKILL if it is still there after 5 s."""
        with self._lock:
            process, self._process = self._process, None
            adopted, self._adopted = self._adopted, None
            if process is not None and process.poll() is None:
                (self.directory / PID_FILE).unlink(missing_ok=True)
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    log.warning("%s", english("broker.ignored SIGTERM", pid=process.pid))
                    process.kill()
                    process.wait()
            elif adopted is not None and pid_alive(adopted):
                (self.directory / PID_FILE).unlink(missing_ok=True)
                stop_pid(adopted, STOP_TIMEOUT_S)

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


def adopt_broker(settings: Settings) -> ManagedBroker | None:
    """The broker answering on our port, when an earlier Energrid started it for this state
    directory and was killed before stopping it (its own session outlives it); None otherwise.

    Recognised by the pid file, checked against the process's command line (runtime.conf's
    path) and the runtime configuration's listener. One with another configuration than the
    settings now ask for is restarted with theirs.
    """
    pid = managed_broker_pid(settings.state_dir)
    owner = broker_owner(settings.state_dir)
    if pid is None or (owner is not None and pid_alive(owner)):
        return None  # none, or its Energrid still runs (it will stop it)
    broker = ManagedBroker(settings)
    try:
        running = broker.config_path.read_text(encoding="utf-8")
    except OSError:
        return None
    if not listens_on(running, settings.mqtt_port):
        return None  # ours, but another broker answers on this port
    websockets = [each.port for each in listeners(running) if each.websockets]
    broker.adopt(pid, websockets[0] if websockets else None)
    if running != broker.runtime_text():
        log.info(
            "The Mosquitto an earlier Energrid left running for this state directory (pid %d) "
            "has another configuration: restarting it with this one",
            pid,
        )
        broker.stop()
        broker.start()
        return broker
    log.info(
        "Adopted the Mosquitto an earlier Energrid started for this state directory and left "
        "running (pid %d); it stops with Energrid. Log in %s",
        pid,
        broker.log_path,
    )
    return broker


def ensure_broker(settings: Settings) -> ManagedBroker | None:
    """Make sure a broker answers at settings.mqtt_host:mqtt_port.

    Returns None when one already does, or the ManagedBroker it started (or adopted from an
    earlier Energrid for this state directory); the caller stops it.
    """
    host, port = settings.mqtt_host, settings.mqtt_port
    if broker_reachable(host, port):
        return adopt_broker(settings) if settings.start_broker else None
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
