"""The command ledger without a broker: an in-memory publisher and journal, a clock moved by hand.

One record per command from typed to settled: sent at once or kept while the broker is down
(latest wins, expiry), delivered on its PUBACK, confirmed by a reading, sent again while the device
shows the other state, superseded by any newer command, journaled until acknowledged.
"""

from __future__ import annotations

import threading

import pytest
from helpers import FakeClock
from ledger_fakes import Journal, Wire

from energrid_core.commands.command import Command, Phase
from energrid_core.commands.ledger import RESTORE_SETTLE_S, Ledger
from energrid_core.events import (
    Bus,
    CommandChanged,
    ConnectionChanged,
    PublishAcknowledged,
    ReadingApplied,
    WireCommand,
)
from energrid_core.wire import CommandSeen, ConsumerReading, Decoded, SupplierReading

TOPIC = "Neighborhood/0/House/1/Consumer/1/set"
TTL_S = 120.0
CONFIRM_S = 5.0
OFFLINE_S = 30.0


class Desk:
    def __init__(self) -> None:
        self.wire, self.journal, self.clock = Wire(), Journal(), FakeClock(1000.0)
        self.bus = Bus()
        self.ledger = Ledger(
            self.wire,
            self.journal,
            self.bus,
            self.clock,
            ttl_s=TTL_S,
            confirm_timeout_s=CONFIRM_S,
            offline_after_s=OFFLINE_S,
        )
        self.events: list[CommandChanged] = []
        self.bus.subscribe(CommandChanged, self.events.append)
        # The bus as the server wires it, without the ledger's thread (tick() by hand).
        self.bus.subscribe(ConnectionChanged, self.ledger.on_connection)
        self.bus.subscribe(PublishAcknowledged, self.ledger.on_published)
        self.bus.subscribe(ReadingApplied, self.ledger.on_reading)
        self.bus.subscribe(WireCommand, self.ledger.on_wire_command)

    def submit(self, state: int, device: int = 1, heard_at: float | None = None) -> Command:
        topic = f"Neighborhood/0/House/1/Consumer/{device}/set"
        return self.ledger.submit(self.ledger.new(1, "consumer", device, state, topic), heard_at)

    def connect(self, up: bool = True) -> None:
        self.wire.connected = up
        self.bus.publish(ConnectionChanged(up, "connected" if up else "lost"))

    def ack(self, mid: int, ok: bool = True, reason: str = "") -> None:
        self.bus.publish(PublishAcknowledged(mid, ok, reason))

    def shows(self, on: bool | None, device: int = 1) -> None:
        decoded = Decoded(1, consumers=(ConsumerReading(device, 1.0, on),))
        self.bus.publish(ReadingApplied(1, decoded))

    def phases(self) -> list[tuple[str, int]]:
        return [(e.command.phase.value, e.command.state) for e in self.events]

    def notices(self) -> list[str]:
        return [str(e.notice) for e in self.events if e.notice is not None]


@pytest.fixture
def desk() -> Desk:
    return Desk()


# --- delivery -----------------------------------------------------------------------------------


def test_connected_sends_at_once_and_journals_until_the_puback(desk: Desk) -> None:
    assert desk.submit(1).phase is Phase.SENT
    assert desk.wire.sent == [(1, TOPIC, "1", 120)]
    assert list(desk.journal.rows) == [(1, "consumer", 1)]
    desk.ack(1)
    assert desk.phases() == [("sent", 1), ("delivered", 1)]
    assert desk.journal.rows == {}
    assert desk.notices() == []  # setConsumer's own line said it; nothing waited


def test_down_queues_latest_wins_and_sends_on_reconnect(desk: Desk) -> None:
    desk.connect(False)
    assert desk.submit(1).phase is Phase.QUEUED
    second = desk.submit(0)
    assert second.phase is Phase.QUEUED and str(second.detail) == "replaces the waiting 1"
    assert [c.state for c in desk.ledger.pending] == [0]
    assert desk.journal.rows[(1, "consumer", 1)].state == 0
    assert ("superseded", 1) in desk.phases()
    desk.connect()
    assert desk.wire.payloads() == ["0"]
    desk.ack(1)
    assert desk.phases()[-2:] == [("sent", 0), ("delivered", 0)]
    assert desk.ledger.pending == [] and desk.journal.rows == {}
    assert desk.notices() == [
        "[command] sending setConsumer(1, 1, 0) now that the broker is back",
        f"[command] delivered: setConsumer(1, 1, 0) to {TOPIC}",
    ]


def test_a_command_that_waits_too_long_expires_and_is_never_sent(desk: Desk) -> None:
    desk.connect(False)
    desk.submit(1)
    desk.clock.advance(119)
    desk.ledger.tick()
    assert desk.ledger.pending and ("expired", 1) not in desk.phases()
    desk.clock.advance(1)
    desk.ledger.tick()
    assert desk.phases()[-1] == ("expired", 1)
    assert desk.notices()[-1] == (
        "[command] expired, not delivered: setConsumer(1, 1, 1) (the broker stayed down)"
    )
    desk.connect()
    assert desk.wire.sent == [] and desk.journal.rows == {}


def test_the_expiry_sent_to_the_broker_is_what_is_left_of_the_ttl(desk: Desk) -> None:
    desk.connect(False)
    desk.submit(1)
    desk.clock.advance(100)
    desk.connect()
    assert desk.wire.sent[0][3] == 20


def test_an_older_command_interrupted_by_a_disconnect_goes_first(desk: Desk) -> None:
    """paho resends its unacknowledged message after the reconnect: ours must follow it."""
    desk.submit(1)  # mid 1, no PUBACK yet
    desk.connect(False)
    desk.submit(0)
    desk.connect()
    assert len(desk.wire.sent) == 1  # 0 waits for the PUBACK of 1
    assert desk.submit(0).phase is Phase.QUEUED
    desk.ack(1)
    assert desk.wire.payloads() == ["1", "0"]
    desk.ack(2)
    assert desk.ledger.pending == []
    assert desk.ledger.latest(1, "consumer", 1).phase is Phase.DELIVERED


def test_a_refusal_is_reported_and_forgotten(desk: Desk) -> None:
    desk.submit(1)
    desk.ack(1, ok=False, reason="Not authorized")
    assert desk.events[-1].command.phase is Phase.REFUSED
    assert desk.notices() == [
        "[command] not delivered: the broker refused setConsumer(1, 1, 1): Not authorized"
    ]
    assert desk.journal.rows == {}


def test_a_publish_that_fails_while_connected_is_queued(desk: Desk) -> None:
    desk.wire.fail_next = True
    assert desk.submit(1).phase is Phase.QUEUED
    desk.connect()
    assert len(desk.wire.sent) == 1


def test_removing_a_device_cancels_what_waits_for_it(desk: Desk) -> None:
    desk.connect(False)
    desk.submit(1, device=1)
    desk.submit(1, device=2)
    desk.ledger.cancel(1, "consumer", 1)
    assert [c.device for c in desk.ledger.pending] == [2]
    assert desk.phases()[-1] == ("cancelled", 1)
    assert desk.ledger.latest(1, "consumer", 1) is None
    desk.ledger.cancel(1)
    assert desk.ledger.pending == [] and desk.ledger.latest(1, "consumer", 2) is None


def test_a_puback_never_waits_for_the_lock(desk: Desk) -> None:
    """paho holds its message lock while calling on_publish, and publish() takes that lock:
    a blocking wait here would deadlock with a command being submitted."""
    desk.submit(1)
    with desk.ledger._lock:  # a command is being submitted in another thread
        ack = threading.Thread(target=desk.ack, args=(1,))
        ack.start()
        ack.join(timeout=5)
        assert not ack.is_alive()
        assert ("delivered", 1) not in desk.phases()
    assert desk.ledger.pending == []  # its next holder processes the acknowledgement
    assert desk.phases()[-1] == ("delivered", 1) and desk.journal.rows == {}


# --- confirmation and reconciliation -------------------------------------------------------------


def test_a_command_is_confirmed_by_a_reading_that_shows_it(desk: Desk) -> None:
    desk.submit(1, heard_at=desk.clock())
    desk.ack(1)
    desk.shows(None)  # says nothing about on/off
    desk.shows(True, device=2)  # another device
    assert desk.ledger.latest(1, "consumer", 1).phase.status == "pending"
    desk.clock.advance(0.75)
    desk.shows(True)
    done = desk.ledger.latest(1, "consumer", 1)
    assert done.phase is Phase.CONFIRMED
    assert desk.notices() == ["House 1 consumer 1 confirmed ON in 0.8 s"]
    desk.clock.advance(TTL_S)
    desk.ledger.tick()
    assert desk.ledger.latest(1, "consumer", 1).phase is Phase.CONFIRMED  # settled for good


def test_a_device_that_shows_the_other_state_gets_it_again_with_back_off(desk: Desk) -> None:
    desk.submit(0, heard_at=desk.clock())
    desk.ack(1)
    desk.shows(True)  # before it could act: too early to send again
    assert desk.wire.payloads() == ["0"]
    desk.clock.advance(CONFIRM_S)
    desk.shows(True)
    desk.ledger.tick()  # the ledger's thread does the resend
    assert desk.wire.payloads() == ["0", "0"]
    assert (
        desk.notices()[-1]
        == "[command] sending setConsumer(1, 1, 0) again: the device still shows ON"
    )
    desk.ack(2)
    desk.clock.advance(CONFIRM_S)  # the back-off doubled: not yet
    desk.shows(True)
    desk.ledger.tick()
    assert len(desk.wire.sent) == 2
    desk.clock.advance(CONFIRM_S)
    desk.ledger.tick()  # no new reading needed: the last one still shows ON
    assert len(desk.wire.sent) == 3
    desk.ack(3)
    desk.shows(False)
    assert desk.ledger.latest(1, "consumer", 1).phase is Phase.CONFIRMED
    assert desk.ledger.latest(1, "consumer", 1).sends == 3


def test_a_device_back_after_a_silence_gets_it_at_once(desk: Desk) -> None:
    desk.submit(0, heard_at=desk.clock())
    desk.ack(1)
    desk.clock.advance(1.0)
    desk.shows(True)
    desk.clock.advance(OFFLINE_S)  # silent: no resend while nobody listens
    desk.ledger.tick()
    assert len(desk.wire.sent) == 1
    desk.shows(True)  # back, still ON
    desk.ledger.tick()
    assert desk.wire.payloads() == ["0", "0"]
    assert desk.notices()[-1].endswith("again: the device is back and shows ON")


def test_a_device_that_never_obeys_is_unconfirmed_at_the_end_of_the_ttl(desk: Desk) -> None:
    desk.submit(0, heard_at=desk.clock())
    desk.ack(1)
    for _ in range(int(TTL_S)):
        desk.clock.advance(1.0)
        desk.shows(True)
        desk.ledger.tick()
        for mid, *_rest in desk.wire.sent:
            desk.ack(mid)
    done = desk.ledger.latest(1, "consumer", 1)
    assert done.phase is Phase.UNCONFIRMED and done.not_obeyed
    assert 3 <= done.sends <= 6  # backed off: 5, 10, 20, 40 s apart
    assert desk.notices()[-1] == (
        f"House 1 consumer 1 did not confirm OFF within 120 s "
        f"(sent {done.sends} times; it shows ON)"
    )
    sends = len(desk.wire.sent)
    desk.clock.advance(60)
    desk.shows(True)
    desk.ledger.tick()
    assert len(desk.wire.sent) == sends  # given up: nothing more


def test_a_command_seen_on_the_wire_supersedes_ours_and_is_followed(desk: Desk) -> None:
    desk.submit(1, heard_at=desk.clock())
    desk.ack(1)
    desk.bus.publish(WireCommand(1, CommandSeen(1, False, 0)))
    assert ("superseded", 1) in desk.phases()
    assert "[command] superseded: setConsumer(1, 1, 1) (a newer command from another client)" in (
        desk.notices()
    )
    desk.clock.advance(CONFIRM_S)
    desk.shows(True)  # the device shows what we asked: ours is over, nothing goes out again
    desk.ledger.tick()
    assert len(desk.wire.sent) == 1
    latest = desk.ledger.latest(1, "consumer", 1)
    assert not latest.from_server and latest.state == 0


def test_another_clients_command_is_confirmed_or_not_but_never_sent(desk: Desk) -> None:
    desk.bus.publish(WireCommand(1, CommandSeen(1, True, 1)))
    decoded = Decoded(1, suppliers=(SupplierReading(1, {}, True),))
    desk.bus.publish(ReadingApplied(1, decoded))
    assert desk.notices() == [
        "House 1 supplier 1 confirmed load ON in 0.0 s (command from another client)"
    ]
    desk.bus.publish(WireCommand(1, CommandSeen(2, False, 1)))
    desk.clock.advance(CONFIRM_S)
    desk.ledger.tick()
    assert desk.ledger.latest(1, "consumer", 2).phase is Phase.UNCONFIRMED
    assert desk.wire.sent == []


# --- after a restart ----------------------------------------------------------------------------


def journaled(desk: Desk, state: int) -> Command:
    return Command(1, "consumer", 1, state, TOPIC, desk.clock() - 10, desk.clock() + 100)


def test_a_journaled_command_goes_out_once_the_session_settled(desk: Desk) -> None:
    desk.journal.rows[(1, "consumer", 1)] = journaled(desk, 1)
    desk.ledger.restore([journaled(desk, 1)])
    desk.connect()
    assert desk.wire.sent == []  # what the broker kept for us comes first
    desk.clock.advance(RESTORE_SETTLE_S)
    desk.ledger.tick()
    assert desk.wire.payloads() == ["1"]
    desk.ack(1)
    assert desk.journal.rows == {}


def test_a_newer_command_seen_after_a_restart_wins_over_the_journaled_one(desk: Desk) -> None:
    """Issue 10, scenario 3: another client sent 0 while Energrid was down with 1 journaled."""
    desk.journal.rows[(1, "consumer", 1)] = journaled(desk, 1)
    desk.ledger.restore([journaled(desk, 1)])
    desk.connect()
    desk.bus.publish(WireCommand(1, CommandSeen(1, False, 0)))
    desk.clock.advance(RESTORE_SETTLE_S)
    desk.ledger.tick()
    assert desk.wire.sent == []
    assert desk.journal.rows == {}  # a later restart does not send it either
    assert desk.ledger.latest(1, "consumer", 1).state == 0


# --- what the shell shows of it -------------------------------------------------------------------


def test_the_commanded_column_says_what_became_of_the_command(desk: Desk) -> None:
    from energrid.shell.views import commanded_text

    def column() -> str:
        return commanded_text(1, desk.ledger.latest(1, "consumer", 1))

    assert column() == "ON"  # no command this run: the saved commanded state
    desk.connect(False)
    desk.submit(0, heard_at=desk.clock())
    assert column() == "OFF (waiting for the broker)"
    desk.connect()
    desk.ack(1)
    assert column() == "OFF (pending)"
    desk.shows(True)
    desk.clock.advance(TTL_S)
    desk.ledger.tick()
    assert column() == "OFF (device ON: not obeyed)"
    desk.submit(1)
    desk.shows(True)
    assert column() == "ON (confirmed)"


def test_a_settled_or_forgotten_command_beside_a_device_in_the_other_state_is_said(
    desk: Desk,
) -> None:
    """After a restart no record is left, and a confirmed device may be switched by hand since:
    the commanded column never shows a bare OFF beside a device that is ON."""
    from energrid.shell.views import commanded_text

    assert commanded_text(0, None, True) == "OFF (device ON)"
    assert commanded_text(0, None, False) == "OFF"
    assert commanded_text(0, None, None) == "OFF"  # not heard from yet: nothing to compare
    desk.submit(1)
    desk.ack(1)
    desk.shows(True)
    confirmed = desk.ledger.latest(1, "consumer", 1)
    assert commanded_text(1, confirmed, True) == "ON (confirmed)"
    assert commanded_text(1, confirmed, False) == "ON (device OFF)"  # switched by hand since
