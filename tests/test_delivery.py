"""Commands: sent at once, or kept until the broker is back (latest wins, expiry), never lost
silently. Unit tests on Delivery with an in-memory publisher, then against a real Mosquitto."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from grid_helpers import Peer, running, server_settings
from helpers import wait_for

from energrid.commands import ShellCommands
from energrid_core.delivery import Command, CommandEvent, Delivery, Key, Outcome
from energrid_core.errors import BrokerUnavailableError
from energrid_core.server import GridServer

TOPIC = "Neighborhood/0/House/1/Consumer/1/set"


class Wire:
    """Stands for GridClient: records what was handed over, raises when 'down'."""

    def __init__(self) -> None:
        self.connected = True
        self.fail_next = False
        self.sent: list[tuple[int, str, str, int | None]] = []

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
        prompt: bool = False,
    ) -> int:
        if not self.connected or self.fail_next:
            self.fail_next = False
            raise BrokerUnavailableError("not connected")
        mid = len(self.sent) + 1
        self.sent.append((mid, topic, payload, expiry_s))
        return mid


class Journal:
    def __init__(self) -> None:
        self.rows: dict[Key, Command] = {}

    def save(self, command: Command) -> None:
        self.rows[command.key] = command

    def forget(self, key: Key) -> None:
        self.rows.pop(key, None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def desk() -> tuple[Delivery, Wire, Journal, Clock, list[CommandEvent]]:
    wire, journal, clock = Wire(), Journal(), Clock()
    delivery = Delivery(wire, journal, clock, ttl_s=120.0)
    events: list[CommandEvent] = []
    delivery.listeners.append(events.append)
    return delivery, wire, journal, clock, events


def command(delivery: Delivery, state: int, device: int = 1) -> Command:
    topic = f"Neighborhood/0/House/1/Consumer/{device}/set"
    return delivery.command(1, "consumer", device, state, topic)


def outcomes(events: list[CommandEvent]) -> list[tuple[str, int, bool]]:
    return [(e.outcome.value, e.command.state, e.waited) for e in events]


def test_connected_sends_at_once_and_journals_until_the_puback(desk) -> None:  # noqa: ANN001
    delivery, wire, journal, _clock, events = desk
    event = delivery.submit(command(delivery, 1))
    assert event.outcome is Outcome.SENT
    assert wire.sent == [(1, TOPIC, "1", 120)]
    assert list(journal.rows) == [(1, "consumer", 1)]
    delivery.on_published(1, True, "")
    assert outcomes(events) == [("sent", 1, False), ("delivered", 1, False)]
    assert journal.rows == {}


def test_down_queues_latest_wins_and_sends_on_reconnect(desk) -> None:  # noqa: ANN001
    delivery, wire, journal, _clock, events = desk
    wire.connected = False
    assert delivery.submit(command(delivery, 1)).outcome is Outcome.QUEUED
    second = delivery.submit(command(delivery, 0))
    assert second.outcome is Outcome.QUEUED and second.detail == "replaces the waiting 1"
    assert [c.state for c in delivery.pending] == [0]
    assert journal.rows[(1, "consumer", 1)].state == 0
    wire.connected = True
    delivery.on_connection(True, "connected")
    assert [payload for _mid, _topic, payload, _exp in wire.sent] == ["0"]
    delivery.on_published(1, True, "")
    assert outcomes(events)[-2:] == [("sent", 0, True), ("delivered", 0, True)]
    assert delivery.pending == [] and journal.rows == {}


def test_a_command_that_waits_too_long_expires_and_is_never_sent(desk) -> None:  # noqa: ANN001
    delivery, wire, journal, clock, events = desk
    wire.connected = False
    delivery.submit(command(delivery, 1))
    clock.now += 119
    delivery.expire()
    assert delivery.pending and not any(e.outcome is Outcome.EXPIRED for e in events)
    clock.now += 1
    delivery.expire()
    assert outcomes(events)[-1] == ("expired", 1, True)
    wire.connected = True
    delivery.on_connection(True, "connected")
    assert wire.sent == [] and journal.rows == {}


def test_the_expiry_sent_to_the_broker_is_what_is_left_of_the_ttl(desk) -> None:  # noqa: ANN001
    delivery, wire, _journal, clock, _events = desk
    wire.connected = False
    delivery.submit(command(delivery, 1))
    clock.now += 100
    wire.connected = True
    delivery.on_connection(True, "connected")
    assert wire.sent[0][3] == 20


def test_an_older_command_interrupted_by_a_disconnect_goes_first(desk) -> None:  # noqa: ANN001
    """paho resends its unacknowledged message after the reconnect: ours must follow it."""
    delivery, wire, _journal, _clock, events = desk
    delivery.submit(command(delivery, 1))  # mid 1, no PUBACK yet
    delivery.on_connection(False, "lost")
    wire.connected = False
    delivery.submit(command(delivery, 0))
    wire.connected = True
    delivery.on_connection(True, "connected")
    assert len(wire.sent) == 1  # 0 waits for the PUBACK of 1
    assert delivery.submit(command(delivery, 0)).outcome is Outcome.QUEUED
    delivery.on_published(1, True, "")
    assert [payload for _mid, _topic, payload, _exp in wire.sent] == ["1", "0"]
    assert ("delivered", 1, True) in outcomes(events)
    delivery.on_published(2, True, "")
    assert delivery.pending == []


def test_a_refusal_is_reported_and_forgotten(desk) -> None:  # noqa: ANN001
    delivery, _wire, journal, _clock, events = desk
    delivery.submit(command(delivery, 1))
    delivery.on_published(1, False, "Not authorized")
    assert events[-1].outcome is Outcome.REFUSED and events[-1].detail == "Not authorized"
    assert journal.rows == {}


def test_a_publish_that_fails_while_connected_is_queued(desk) -> None:  # noqa: ANN001
    delivery, wire, _journal, _clock, _events = desk
    wire.fail_next = True
    assert delivery.submit(command(delivery, 1)).outcome is Outcome.QUEUED
    delivery.on_connection(True, "connected")
    assert len(wire.sent) == 1


def test_removing_a_device_cancels_what_waits_for_it(desk) -> None:  # noqa: ANN001
    delivery, wire, _journal, _clock, events = desk
    wire.connected = False
    delivery.submit(command(delivery, 1, device=1))
    delivery.submit(command(delivery, 1, device=2))
    delivery.cancel(1, "consumer", 1)
    assert [c.device for c in delivery.pending] == [2]
    assert outcomes(events)[-1] == ("cancelled", 1, True)


def test_a_puback_never_waits_for_the_lock(desk) -> None:  # noqa: ANN001
    """paho holds its message lock while calling on_publish, and publish() takes that lock:
    a blocking wait here would deadlock with a command being submitted."""
    delivery, _wire, journal, _clock, events = desk
    delivery.submit(command(delivery, 1))
    with delivery._lock:  # a command is being submitted in another thread
        ack = threading.Thread(target=delivery.on_published, args=(1, True, ""))
        ack.start()
        ack.join(timeout=5)
        assert not ack.is_alive()
        assert not any(e.outcome is Outcome.DELIVERED for e in events)
    delivery.expire()  # the next holder of the lock processes the acknowledgement
    assert events[-1].outcome is Outcome.DELIVERED and journal.rows == {}


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
        wait_for(lambda: server.delivery.counts[Outcome.DELIVERED] == 1, "the PUBACK")
        message = device.received.get(timeout=10)
        assert (message.topic, message.payload) == (TOPIC, b"0")
        assert server.grid.house(1).consumer(1).commanded == 0
        assert server.delivery.counts[Outcome.SENT] == 1
        assert server.store.pending(0) == []
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
        assert server.set_consumer(1, 1, 1).outcome is Outcome.QUEUED
    broker.start()
    server = GridServer(server_settings(broker.port, tmp_path / "state"))
    delivered: list[CommandEvent] = []
    server.delivery.listeners.append(delivered.append)
    try:
        server.start(10)
        wait_for(lambda: any(e.outcome is Outcome.DELIVERED for e in delivered), "delivery")
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
        wait_for(lambda: server.delivery.counts[Outcome.DELIVERED] == 1, "the marker's PUBACK")
        assert server.store.pending(0) == []
    device.close()
