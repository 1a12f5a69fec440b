"""A program on a pseudo-terminal, as an operator's terminal runs it: the real shell, typed at."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from mosquitto_fixture import free_port

ROOT = Path(__file__).resolve().parent.parent
ENERGRID = [sys.executable, "-m", "energrid"]


def environment(port: int, state_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ENERGRID_MQTT_PORT=str(port),
        ENERGRID_STATE_DIR=str(state_dir),
        ENERGRID_CLIENT_ID=f"entry-{port}-{time.monotonic_ns()}",
        ENERGRID_WS_PORT=str(free_port()),
        **extra,
    )
    return env


class Terminal:
    """A program on a pseudo-terminal, as an operator's terminal would run it."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.chdir(ROOT)
            os.execvpe(argv[0], argv, env)
        self.screen = ""

    def read_until(self, text: str, timeout: float = 15.0, start: int = 0) -> str:
        """The screen once text is on it (at or after offset start), or AssertionError."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[start:]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:
                    break
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def close(self) -> None:
        """Kill the program if it still runs (a test that failed half-way)."""
        try:
            if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                os.kill(self.pid, signal.SIGTERM)
                self.wait()
        except (ChildProcessError, AssertionError):
            pass
        os.close(self.fd)

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:  # keep draining the terminal so the program never blocks on output
                if select.select([self.fd], [], [], 0.05)[0]:
                    self.screen += os.read(self.fd, 65536).decode(errors="replace")
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the program did not exit")
