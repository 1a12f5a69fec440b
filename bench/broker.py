"""The benchmark's own Mosquitto: loopback only, no persistence, room for a whole backlog."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from energrid.broker.start import find_mosquitto

START_TIMEOUT_S = 5.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mosquitto_version() -> str:
    executable = find_mosquitto()
    if executable is None:
        return "not installed"
    result = subprocess.run([executable, "-h"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).splitlines()[:1]
    return first[0].strip() if first else "unknown"


class BenchBroker:
    """Mosquitto with default limits except the queue: a whole backlog must fit in a session.

    max_queued_messages 0 lifts the per-client queue limit (default 1000) so that every
    message published while a subscriber is away waits for it; everything else, including
    max_inflight_messages (20), stays at Mosquitto's defaults.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = "127.0.0.1"
        self._process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        lines = [
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "persistence false",
            "max_queued_messages 0",
            "queue_qos0_messages true",
            "set_tcp_nodelay true",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if os.geteuid() == 0:  # else Mosquitto drops to its own user
            lines.append("user root")
        return "\n".join(lines) + "\n"

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> None:
        executable = find_mosquitto()
        if executable is None:
            raise RuntimeError("mosquitto is not installed (./energrid.sh installs it)")
        config_path = self.directory / "mosquitto.conf"
        config_path.write_text(self.config())
        log = open(self.directory / "mosquitto.log", "ab")  # noqa: SIM115 - kept by the child
        self._process = subprocess.Popen(
            [executable, "-c", str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start-up; see {self.directory}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("mosquitto did not open its port") from None
                time.sleep(0.02)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> BenchBroker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
