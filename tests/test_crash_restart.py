"""As an operator would: build 100 houses in a shell, kill -9 it while readings pour in, start it
again and find the same grid (reliability matrix A9, with a real process and SIGKILL)."""

from __future__ import annotations

import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
from grid_helpers import Peer
from helpers import TIMEOUT_S, wait_for

REPO = Path(__file__).resolve().parent.parent


class ShellProcess:
    """`python -i start_server.py` (the seed's way in) fed through a pipe."""

    def __init__(self, port: int, state_dir: Path, **env: str) -> None:
        self.output: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-i", str(REPO / "start_server.py"), "--mqtt-port", str(port),
             "--state-dir", str(state_dir), "--no-start-broker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        self.expect(r"Type help\(\) for the commands")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.put(line)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def run(self, command: str, answer: str) -> str:
        """Type a command; return the first line matching `answer` (a regex)."""
        self.send(command)
        return self.expect(answer)

    def run_until(self, command: str, answer: str) -> str:
        """Type a command again and again until a line of its output matches `answer`."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            self.send(f"{command}; print('-- end of output --')")
            lines = []
            while not (line := self.expect("")).startswith("-- end of output --"):
                lines.append(line)
            found = [line for line in lines if re.search(answer, line)]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"{command}: nothing matches {answer!r}"
            time.sleep(0.2)

    def expect(self, pattern: str) -> str:
        regex = re.compile(pattern)
        while True:
            try:
                line = self.output.get(timeout=TIMEOUT_S)
            except queue.Empty:
                seen = "".join(self.seen)
                raise AssertionError(f"no line matching {pattern!r}; got:\n{seen}") from None
            self.seen.append(line)
            while line.startswith(">>> "):  # the interpreter's prompts, on standard error
                line = line[4:]
            if regex.search(line):
                return line

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(TIMEOUT_S) == -signal.SIGKILL

    def quit(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()  # end of input: Python leaves, Energrid stops cleanly
        return self.process.wait(TIMEOUT_S)


class Feeder:
    """Boards of houses 3..100 publishing legacy batches until stopped, like `energrid sim`."""

    def __init__(self, port: int) -> None:
        self.peer = Peer(port, client_id="feeder").wait_connected()
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            house = 3 + self.sent % 98
            self.peer.publish(f"Neighborhood/0/House/{house}/Consumer", b'{"0": 1200}')
            self.sent += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peer.close()


def saved_reading_houses(state_dir: Path) -> set[int]:
    db = sqlite3.connect(state_dir / "grid.sqlite3")
    try:
        return {row[0] for row in db.execute("SELECT house FROM readings")}
    finally:
        db.close()


def test_kill_9_while_fed_then_the_same_grid_comes_back(make_broker, tmp_path: Path) -> None:
    broker = make_broker()
    state = tmp_path / "state"
    first = ShellProcess(broker.port, state, ENERGRID_SNAPSHOT_INTERVAL_S="0.5")
    feeder = Feeder(broker.port)
    try:
        first.run("newHouse(100)", r"Created houses 1\.\.100\.")
        first.run("newConsumer(1, 3, 'LED')", r"Created consumers 1\.\.3 \(LED\) in house 1\.")
        first.run("newSupplier(2, 'Solar Panel')", r"Created supplier 1 \(Solar Panel\) in house 2")
        first.run("setConsumer(1, 2, 1)", r"Sent 1 \(ON\) to Neighborhood/0/House/1/Consumer/2/set")
        wait_for(lambda: len(saved_reading_houses(state)) > 10, "a periodic snapshot")
        first.kill()
        # While it is dead: a reading for house 1 waits in its session at the broker.
        board = Peer(broker.port, client_id="board-1").wait_connected()
        board.wait_acked(
            board.publish("Neighborhood/0/House/1/Consumer/3", orjson.dumps({"current_a": 4.2}))
        )
        board.close()
    finally:
        feeder.stop()
        if first.process.poll() is None:
            first.kill()
    assert feeder.sent > 50
    snapshot_houses = saved_reading_houses(state)

    second = ShellProcess(broker.port, state)
    try:
        second.run("showHouses()", r"Neighborhood 0: 100 houses, 4 devices")
        # The backlog of the dead server's session arrives: the board's reading among it.
        second.run_until("showConsumers(1)", r"^\s+3\s+LED\s+online\s+ON\s+4\.20 A")
        line = second.run("showConsumers(1, 2)", r"^\s+2\s+LED\s")
        assert re.search(r"\bON\b\s+never$", line.rstrip()), line  # commanded ON, no reading
        second.run("showSuppliers(2)", r"^\s+1\s+Solar Panel\s")
        house = min(snapshot_houses - {1, 2})
        line = second.run(
            f"showHouse({house})", rf"^House {house} \((online|OFFLINE)\): consumption"
        )
        assert "last reading never" not in line  # statistics from the snapshot before the kill
        second.run("newHouse()", r"Created house 101\.")
    finally:
        status = second.quit()
    assert status == 0
