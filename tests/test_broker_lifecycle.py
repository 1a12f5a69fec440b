"""The Mosquitto Energrid starts: restarted (and said) when it dies while Energrid runs, and
adopted by the next Energrid when a kill -9 of the last one left it running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import free_port, mqtt_handshake
from test_broker import local_settings

from energrid.app import running_server
from energrid.broker.process import pid_alive
from energrid.broker.start import ManagedBroker, ensure_broker
from energrid.broker.watch import BrokerWatch

ROOT = Path(__file__).resolve().parent.parent


def test_a_broker_that_dies_is_restarted_and_the_server_carries_on(tmp_path: Path) -> None:
    settings = local_settings(tmp_path / "state", client_id="lifecycle")
    notices: list[str] = []
    with running_server(settings, lambda _up, text: notices.append(text)) as server:
        assert server.client.connected
        broker_pid = int((tmp_path / "state" / "broker" / "mosquitto.pid").read_text().split()[0])
        os.kill(broker_pid, signal.SIGKILL)
        wait_for(lambda: any("restarted it" in text for text in notices), "the restart notice")
        wait_for(lambda: server.client.connected, "the server to reconnect")
    said = next(text for text in notices if "restarted it" in text)
    log = tmp_path / "state" / "broker" / "mosquitto.log"
    pattern = (
        rf"the broker Energrid started \(pid {broker_pid}\) was killed by SIGKILL; restarted it "
        rf"\(pid \d+, 1 of 3 within 600 s\); its log is {re.escape(str(log))}"
    )
    assert re.fullmatch(pattern, said), said
    assert log.read_text().count(" starting") == 2  # one log for both: the one that was said
    assert not mqtt_handshake("127.0.0.1", settings.mqtt_port), "the broker outlived the server"


def test_restarts_are_bounded_and_the_last_death_is_said(tmp_path: Path) -> None:
    broker = ensure_broker(local_settings(tmp_path / "state"))
    assert isinstance(broker, ManagedBroker)
    reports: list[str] = []
    watch = BrokerWatch(broker, reports.append, period_s=0.05, max_restarts=1)
    watch.start()
    try:
        first = broker.pid
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: reports, "the first report")
        second = broker.pid
        assert second is not None and second != first
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: len(reports) == 2, "the second report")
    finally:
        watch.stop()
        broker.stop()
    assert reports[1] == (
        f"the broker Energrid started (pid {second}) was killed by SIGKILL again: not restarting "
        f"it (1 restart within 600 s); its log is {broker.log_path}"
    )
    assert watch.gave_up and not broker.running


class Headless:
    """`energrid --headless` starting its own broker, its output read line by line."""

    def __init__(self, state_dir: Path, port: int, ws_port: int) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "energrid", "--headless", "--mqtt-port", str(port)]
        argv += ["--ws-port", str(ws_port), "--state-dir", str(state_dir)]
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self, text: str) -> str | None:
        return next((line for line in list(self.lines) if text in line), None)

    def wait_said(self, text: str) -> str:
        wait_for(lambda: self.said(text) or self.process.poll() is not None, repr(text))
        found = self.said(text)
        assert found, "".join(self.lines)
        return found


def test_the_next_energrid_adopts_the_broker_a_kill_9_left_running(tmp_path: Path) -> None:
    port, ws_port = free_port(), free_port()
    runs = [Headless(tmp_path, port, ws_port)]
    broker_pid = None
    try:
        started = runs[0].wait_said("Started Mosquitto (pid ")
        broker_pid = int(started.split("(pid ")[1].split(")")[0])
        runs[0].wait_said("running headless")
        runs[0].process.kill()  # kill -9: no goodbye, no broker stop
        assert runs[0].process.wait(TIMEOUT_S) == -signal.SIGKILL
        assert pid_alive(broker_pid), "Mosquitto runs in a session of its own"

        runs.append(Headless(tmp_path, port, ws_port))
        adopted = runs[1].wait_said("Adopted the Mosquitto")
        assert f"(pid {broker_pid})" in adopted
        runs[1].wait_said("running headless")
        assert runs[1].said("Started Mosquitto") is None
        runs[1].process.send_signal(signal.SIGTERM)
        assert runs[1].process.wait(TIMEOUT_S) == 0
        wait_for(lambda: not pid_alive(broker_pid), "the adopted broker to stop with Energrid")
    finally:
        for run in runs:
            if run.process.poll() is None:
                run.process.kill()
        if broker_pid is not None and pid_alive(broker_pid):
            os.kill(broker_pid, signal.SIGKILL)


def orphan(broker: ManagedBroker) -> None:
    """Make the pid file say that the Energrid which started the broker is gone."""
    done = subprocess.Popen(["true"])
    done.wait()
    pid_file = broker.directory / "mosquitto.pid"
    pid_file.write_text(f"{broker.pid}\n{done.pid}\n")


def test_a_left_broker_with_another_configuration_is_replaced_not_adopted(
    tmp_path: Path,
) -> None:
    settings = local_settings(tmp_path / "state")
    left = ensure_broker(settings)
    assert isinstance(left, ManagedBroker)
    old_pid = left.pid
    orphan(left)
    assert ensure_broker(settings).pid == old_pid  # same settings: adopted as it is
    settings.ws_port = free_port()  # now another configuration, chosen by the operator
    settings.explicit.add("ws_port")
    replaced = ensure_broker(settings)
    try:
        assert replaced is not None and replaced.pid not in (None, old_pid)
        wait_for(lambda: not pid_alive(old_pid), "the old broker to stop")
        assert mqtt_handshake("127.0.0.1", settings.mqtt_port)
        assert f"listener {settings.ws_port}" in replaced.config_path.read_text()
    finally:
        replaced.stop()
        left.stop()


def test_a_left_broker_keeps_its_websockets_port_unless_one_is_chosen(tmp_path: Path) -> None:
    """The websockets port of a broker Energrid started follows what was free: the next
    Energrid on the same state directory adopts the broker with that port."""
    settings = local_settings(tmp_path / "state")
    left = ensure_broker(settings)
    assert isinstance(left, ManagedBroker)
    try:
        orphan(left)
        again = local_settings(tmp_path / "state", mqtt_port=settings.mqtt_port)
        adopted = ensure_broker(again)
        assert adopted is not None and adopted.pid == left.pid
        assert again.ws_port == adopted.ws_port == settings.ws_port
    finally:
        left.stop()
