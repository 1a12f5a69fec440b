"""A real Mosquitto for tests: its own config, port and log, started and stopped on demand."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 5.0

# MQTT 3.1.1 CONNECT with clean session, keepalive 60 s and an empty client id; a ready
# broker answers with CONNACK "accepted" (0x20 0x02 0x00 0x00).
_CONNECT = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 0x02, 0, 60, 0, 0])
_CONNACK_ACCEPTED = bytes([0x20, 0x02, 0x00, 0x00])
_DISCONNECT = bytes([0xE0, 0x00])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mosquitto_executable() -> str:
    found = shutil.which("mosquitto")
    if found:
        return found
    if os.access("/usr/sbin/mosquitto", os.X_OK):
        return "/usr/sbin/mosquitto"
    raise RuntimeError("mosquitto is not installed (./energrid.sh installs it)")


def mqtt_handshake(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when an MQTT client can connect: CONNECT is answered by CONNACK accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(_CONNECT)
            answer = b""
            while len(answer) < len(_CONNACK_ACCEPTED):
                chunk = sock.recv(len(_CONNACK_ACCEPTED) - len(answer))
                if not chunk:
                    return False
                answer += chunk
            sock.sendall(_DISCONNECT)
            return answer == _CONNACK_ACCEPTED
    except OSError:
        return False


class MosquittoProcess:
    """One Mosquitto child on 127.0.0.1:<port>, with its files in `directory`.

    stop() and kill() keep the port and the config, so start() brings the same broker back
    (with its database, when persistence is on), as a broker restart would.
    """

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        extra_config: Sequence[str] = (),
        persistence: bool = False,
        log_all: bool = True,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "mosquitto.conf"
        self.log_path = self.directory / "mosquitto.log"
        self.config_path.write_text(self._config(extra_config, persistence, log_all))
        self._process: subprocess.Popen[bytes] | None = None

    def _config(self, extra: Sequence[str], persistence: bool, log_all: bool) -> str:
        lines = [
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "log_dest stderr",
            "log_timestamp_format %H:%M:%S",
        ]
        if persistence:
            lines += ["persistence true", f"persistence_location {self.directory.resolve()}/"]
        else:
            lines.append("persistence false")
        if log_all:
            lines.append("log_type all")
        if os.geteuid() == 0:
            # Otherwise Mosquitto drops to its own user and cannot write our temp directory.
            lines.append("user root")
        lines += list(extra)
        return "\n".join(lines) + "\n"

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def start(self) -> None:
        """Start the broker and wait until an MQTT client can connect."""
        if self.running:
            return
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                [mosquitto_executable(), "-c", str(self.config_path)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not mqtt_handshake(self.host, self.port, timeout=0.2):
            if self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start-up:\n{self.log_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"mosquitto did not accept a client:\n{self.log_text()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM (the broker saves its database), then SIGKILL after 5 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL: a crash; whatever was not saved yet is lost."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def __repr__(self) -> str:
        return f"MosquittoProcess({self.host}:{self.port}, pid={self.pid})"
