"""Issue 10's scenarios against a real Mosquitto: a command is the device's desired state.

2. Broker stopped, setConsumer(1, 1, 0) typed, broker back, the board subscribes again 3 s later:
   the board gets the command and showConsumers(1, 1) shows it confirmed, nothing typed again.
3. A command journaled before a kill -9, then another client's newer command: after the restart
   the device ends OFF and the shell says OFF.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
import pytest
from grid_helpers import Peer, running, server_settings
from helpers import wait_for
from paho.mqtt.enums import CallbackAPIVersion

from energrid import headless
from energrid.shell.commands import ShellCommands
from energrid_core.commands.command import Phase
from energrid_core.server import GridServer

SET = "Neighborhood/0/House/1/Consumer/{}/set"
REPORT_S = 0.2  # how often the simulated board reports
LONG_S = 30.0  # deadline of a scenario (it takes about 6 s)


class LampBoard:
    """House 1's board, lamps switched by their /set topics, reporting them every REPORT_S.

    After a reconnect it subscribes again only `resubscribe_after_s` later, as a board busy
    with its own start-up does: what is published meanwhile on its /set topics is lost to it.
    """

    def __init__(self, port: int, lamps: dict[int, bool], resubscribe_after_s: float) -> None:
        self.lamps = dict(lamps)
        self.received: list[tuple[int, bytes]] = []
        self.resubscribe_after_s = resubscribe_after_s
        self.connects = 0
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"lamp-board-{uuid.uuid4().hex[:6]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: self.subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self._reporter = threading.Thread(target=self._report, daemon=True)
        self._reporter.start()

    def _on_connect(self, client, _u, _f, reason, _p) -> None:  # noqa: ANN001
        if reason.is_failure:
            return
        self.connects += 1
        self.subscribed.clear()
        delay = 0.0 if self.connects == 1 else self.resubscribe_after_s
        threading.Timer(delay, client.subscribe, (SET.format("+"), 1)).start()

    def _on_message(self, _c, _u, message) -> None:  # noqa: ANN001
        lamp = int(message.topic.split("/")[-2])
        self.received.append((lamp, message.payload))
        self.lamps[lamp] = message.payload == b"1"

    def _report(self) -> None:
        while not self._stop.wait(REPORT_S):
            for lamp, on in list(self.lamps.items()):
                payload = orjson.dumps({"current_a": 0.4 if on else 0.0, "on": on})
                self.client.publish(f"Neighborhood/0/House/1/Consumer/{lamp}", payload, qos=1)

    def close(self) -> None:
        self._stop.set()
        self._reporter.join()
        self.client.disconnect()
        self.client.loop_stop()


def shown(server: GridServer, consumer: int) -> bool | None:
    with server.lock:
        return server.grid.house(1).consumer(consumer).on


def test_a_command_typed_while_the_broker_is_down_reaches_a_board_that_subscribes_late(
    make_broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = make_broker()
    with running(server_settings(broker.port, tmp_path / "state")) as server:
        shell = ShellCommands(server)
        shell.newHouse()
        shell.newConsumer(1, "Lamp")
        board = LampBoard(broker.port, {1: True}, resubscribe_after_s=3.0)
        try:
            wait_for(lambda: shown(server, 1) is True, "the lamp's first reading")
            broker.stop()
            wait_for(lambda: not server.client.connected, "the server to notice")
            shell.setConsumer(1, 1, 0)
            assert "Queued: the broker is not connected" in capsys.readouterr().out
            broker.start()
            wait_for(lambda: board.connects == 2, "the board's reconnect")
            wait_for(lambda: board.lamps[1] is False, "the board to switch off", LONG_S)
            wait_for(lambda: shown(server, 1) is False, "a reading showing it off")
            wait_for(
                lambda: server.ledger.latest(1, "consumer", 1).phase is Phase.CONFIRMED,
                "the confirmation",
            )
            capsys.readouterr()
            shell.showConsumers(1, 1)
            table = capsys.readouterr().out
            assert "OFF (confirmed)" in table, table
            latest = server.ledger.latest(1, "consumer", 1)
            assert latest.sends >= 2  # the first went out before the board listened again
        finally:
            board.close()


def test_a_newer_command_from_another_client_wins_over_one_journaled_before_a_crash(
    make_broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = make_broker(persistence=True)
    settings = server_settings(broker.port, tmp_path / "state")
    with running(settings) as server:
        server.new_houses(1)
        server.new_consumers(1, 2, "Lamp")
    board = LampBoard(broker.port, {2: False}, resubscribe_after_s=0.0)
    other = Peer(broker.port).wait_connected()
    try:
        board.subscribed.wait(10)
        # Energrid's command 1 is in its journal, as when it was killed before the PUBACK ...
        server = GridServer(settings)
        server.store.save_pending((1, "consumer", 2, 1, server.clock(), server.clock() + 120))
        server.store.close()
        # ... and while it is away, another client switches the lamp off.
        other.wait_acked(other.publish(SET.format(2), b"0"))
        with running(settings) as server:
            wait_for(lambda: server.store.pending() == [], "the journaled command to be settled")
            wait_for(lambda: shown(server, 2) is False, "a reading of the lamp")
            server.set_consumer(1, 1, 1)  # a marker: whatever Energrid sent before arrived first
            wait_for(lambda: (1, b"1") in board.received, "the marker")
            assert (2, b"1") not in board.received  # the stale 1 never went out
            assert server.grid.house(1).consumer(2).commanded == 0
            latest = server.ledger.latest(1, "consumer", 2)
            assert not latest.from_server and latest.state == 0
            ShellCommands(server).showConsumers(1, 2)
            assert "OFF (" in capsys.readouterr().out
        assert board.lamps[2] is False
    finally:
        other.close()
        board.close()


@pytest.mark.usefixtures("headless_leaves_no_trace")
def test_headless_says_a_journaled_command_was_superseded_right_after_connecting(
    make_broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = make_broker(persistence=True)
    settings = server_settings(broker.port, tmp_path / "state")
    with running(settings) as server:  # the grid, and Energrid's session at the broker
        server.new_houses(1)
        server.new_consumers(1, 2, "Lamp")
    server = GridServer(settings)
    server.store.save_pending((1, "consumer", 2, 1, server.clock(), server.clock() + 120))
    server.store.close()
    other = Peer(broker.port).wait_connected()
    other.wait_acked(other.publish(SET.format(2), b"0"))
    other.close()
    stop = threading.Event()

    def watch(started: GridServer) -> None:
        def settled() -> None:
            wait_for(lambda: started.store.pending() == [], "the journaled command settled")
            stop.set()

        threading.Thread(target=settled, daemon=True).start()

    try:
        assert headless.run_headless(settings, stop, watch) == 0
    finally:
        stop.set()
    printed = capsys.readouterr().out
    assert "[command] superseded: setConsumer(1, 2, 1) (a newer command from another" in printed
