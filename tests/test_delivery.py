"""Commands against a real Mosquitto: sent at once, or kept until the broker is back (latest wins,
expiry), never lost silently. The ledger's own rules are tested without a broker in test_ledger."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from grid_helpers import Peer, running, server_settings
from helpers import wait_for

from energrid.shell.commands import ShellCommands
from energrid_core.commands.command import Phase
from energrid_core.events import CommandChanged
from energrid_core.server import GridServer

TOPIC = "Neighborhood/0/House/1/Consumer/1/set"


# --- against a real broker --------------------------------------------------------------------


def board(port: int) -> Peer:
    """House 1's board: a durable session subscribed to its commands."""
    peer = Peer(port, client_id="board-house-1", durable=True).wait_connected()
    peer.subscribe("Neighborhood/0/House/1/Consumer/+/set")
    return peer


def test_a_command_typed_while_the_broker_is_down_is_delivered_when_it_returns(
    make_broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = make_broker(persistence=True)
    device = board(broker.port)
    with running(server_settings(broker.port, tmp_path / "state")) as server:
        shell = ShellCommands(server)
        shell.newHouse()
        shell.newConsumer(1, 2, "Lamp")
        broker.stop()
        wait_for(lambda: not server.client.connected, "the server to notice")
        shell.setConsumer(1, 1, 1)
        shell.setConsumer(1, 1, 0)  # latest wins: only 0 goes out
        printed = capsys.readouterr().out
        assert "Queued: the broker is not connected; 1 (ON)" in printed
        assert "will be sent when it is back, if within 120 s" in printed
        assert server.grid.house(1).consumer(1).commanded is None  # nothing went out yet
        broker.start()
        wait_for(lambda: server.ledger.counts[Phase.DELIVERED] == 1, "the PUBACK")
        message = device.received.get(timeout=10)
        assert (message.topic, message.payload) == (TOPIC, b"0")
        assert server.grid.house(1).consumer(1).commanded == 0
        assert server.ledger.counts[Phase.SENT] == 1
        assert server.store.pending() == []
        printed = capsys.readouterr().out
        assert "[command] sending setConsumer(1, 1, 0) now that the broker is back" in printed
        assert f"[command] delivered: setConsumer(1, 1, 0) to {TOPIC}" in printed
    device.close()


def test_a_waiting_command_survives_a_restart_of_energrid(make_broker, tmp_path: Path) -> None:
    broker = make_broker(persistence=True)
    device = board(broker.port)
    settings = server_settings(broker.port, tmp_path / "state")
    with running(settings) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        broker.stop()
        wait_for(lambda: not server.client.connected, "the server to notice")
        assert server.set_consumer(1, 1, 1).phase is Phase.QUEUED
    broker.start()
    server = GridServer(server_settings(broker.port, tmp_path / "state"))
    delivered: list[CommandChanged] = []
    server.bus.subscribe(CommandChanged, delivered.append)
    try:
        server.start(10)
        wait_for(lambda: any(e.command.phase is Phase.DELIVERED for e in delivered), "delivery")
        message = device.received.get(timeout=10)
        assert (message.topic, message.payload) == (TOPIC, b"1")
        assert server.grid.house(1).consumer(1).commanded == 1
    finally:
        server.stop()
        device.close()


class Later:
    """The wall clock, moved forward when the test says so."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_an_expired_command_is_reported_and_never_sent(
    make_broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = make_broker(persistence=True)
    device = board(broker.port)
    clock = Later()
    settings = server_settings(broker.port, tmp_path / "state", command_ttl_s=30.0)
    with running(settings, clock=clock) as server:
        shell = ShellCommands(server)
        server.new_houses(1)
        server.new_consumers(1, 2, "Lamp")
        broker.stop()
        wait_for(lambda: not server.client.connected, "the server to notice")
        shell.setConsumer(1, 1, 1)
        clock.offset = 31.0
        server.housekeeping()
        assert "[command] expired, not delivered: setConsumer(1, 1, 1)" in capsys.readouterr().out
        broker.start()
        wait_for(lambda: server.client.connected, "the reconnect")
        server.set_consumer(1, 2, 1)  # a marker sent after the reconnect
        message = device.received.get(timeout=10)
        assert message.topic == "Neighborhood/0/House/1/Consumer/2/set"  # nothing before it
        assert server.grid.house(1).consumer(1).commanded is None
        wait_for(lambda: server.ledger.counts[Phase.DELIVERED] == 1, "the marker's PUBACK")
        assert server.store.pending() == []
    device.close()
