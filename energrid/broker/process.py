"""The Mosquitto Energrid runs, as a process: found by its pid file, alive or not, stopped in
order, and how it ended. Works for a process that is not Energrid's child (one adopted from an
Energrid that was killed), which cannot be waited for."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from energrid.shell.words import english
from energrid_core.notes import NoteText

log = logging.getLogger("energrid.broker")

PID_FILE = "mosquitto.pid"
RUNTIME_CONFIG = "runtime.conf"


def write_pid_file(directory: Path, broker_pid: int) -> None:
    """<directory>/mosquitto.pid: the broker's pid, then the pid of the Energrid that runs it."""
    (directory / PID_FILE).write_text(f"{broker_pid}\n{os.getpid()}\n")


def broker_owner(state_dir: Path) -> int | None:
    """The pid of the Energrid that started the broker of state_dir (None if not recorded)."""
    try:
        lines = (Path(state_dir) / "broker" / PID_FILE).read_text().split()
        return int(lines[1])
    except (OSError, ValueError, IndexError):
        return None


def managed_broker_pid(state_dir: Path) -> int | None:
    """The pid of the Mosquitto Energrid runs for state_dir, if one runs now.

    Read from <state_dir>/broker/mosquitto.pid and checked against the process's command line,
    so that a stale file never leads to signalling another program.
    """
    directory = Path(state_dir) / "broker"
    try:
        pid = int((directory / PID_FILE).read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return None
    config = directory / RUNTIME_CONFIG
    expected = {str(config).encode(), str(config.resolve()).encode()}
    is_ours = command[0].endswith(b"mosquitto") and bool(expected & set(command))
    return pid if is_ours and pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    """True while the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[:1]
    return state not in (["Z"], ["X"], [])


def stop_pid(pid: int, timeout_s: float) -> None:
    """SIGTERM (Mosquitto then saves its database), SIGKILL if still there after timeout_s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while pid_alive(pid):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        else:
            return
        if sig is signal.SIGTERM:
            log.warning("%s", english("broker.ignored SIGTERM", pid=pid))


def ended_text(returncode: int | None) -> NoteText:
    """'exited with status 1', 'was killed by SIGKILL', or 'exited' when it is not known."""
    if returncode is None:
        return english("broker.exited")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return english("broker.killed", signal=name)
    return english("broker.exit status", status=returncode)
