"""StatePublisher without a broker: fake clocks, a recording sink, run_once() by hand."""

from __future__ import annotations

import math
import threading

import orjson
import pytest
from asyncapi_contract import Contract
from helpers import TIMEOUT_S, FakeClock, wait_for
from ledger_fakes import Journal, Wire

from energrid_core.commands.ledger import Ledger
from energrid_core.errors import BrokerUnavailableError
from energrid_core.events import Bus, PublishAcknowledged, ReadingApplied, WireCommand
from energrid_core.ingest import Ingest
from energrid_core.model import Neighborhood
from energrid_core.state import availability_sweep
from energrid_core.state import publisher as state_publisher
from energrid_core.state.publisher import StatePublisher
from energrid_core.wire import Decoder

N = 0
HOUSE = "energrid/0/state/house/1"
LAMP = "energrid/0/state/house/1/consumer/1"
FRIDGE = "energrid/0/state/house/1/consumer/2"
PANEL = "energrid/0/state/house/1/supplier/1"
HOUSE_2 = "energrid/0/state/house/2"
NEIGHBORHOOD = "energrid/0/state/neighborhood"
HOUSES = "energrid/0/state/houses"
STATUS = "energrid/0/status"


class Recorder:
    """The sink: what would have gone to the broker, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.fail_next = 0

    def __call__(self, topic: str, payload: bytes) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise BrokerUnavailableError("the broker is not connected")
        self.sent.append((topic, payload))

    def topics(self) -> list[str]:
        return [t for t, _ in self.sent]

    def count(self, topic: str) -> int:
        return sum(1 for t, _ in self.sent if t == topic)

    def last(self, topic: str) -> dict | None:
        payloads = [p for t, p in self.sent if t == topic]
        return orjson.loads(payloads[-1]) if payloads and payloads[-1] else None

    def clear(self) -> None:
        self.sent.clear()


class Rig:
    """A grid (house 1: lamp, fridge, solar panel; house 2 empty), its ingest and a publisher."""

    def __init__(
        self,
        rate_hz: float = 2.0,
        offline_after_s: float = 10.0,
        payloads_per_s: float = 3000.0,
    ) -> None:
        self.clock = FakeClock(1_000.0)
        self.grid = Neighborhood(N)
        self.lock = threading.RLock()
        house = self.grid.add_house()
        house.add_consumer("Lamp")
        house.add_consumer("Fridge")
        house.add_supplier("Solar Panel")
        self.grid.add_house()
        self.sink = Recorder()
        self.bus = Bus()
        self.wire = Wire()
        self.ledger = Ledger(
            self.wire,
            Journal(),
            self.bus,
            self.clock,
            ttl_s=5.0,
            confirm_timeout_s=5.0,
            offline_after_s=offline_after_s,
        )
        self.bus.subscribe(PublishAcknowledged, self.ledger.on_published)
        self.publisher = StatePublisher(
            self.grid,
            self.lock,
            self.sink,
            self.ledger.latest,
            mains_voltage_v=230.0,
            max_rate_hz=rate_hz,
            offline_after_s=offline_after_s,
            clock=self.clock,
            monotonic=self.clock,
            max_payloads_per_s=payloads_per_s,
        )
        self.ingest = Ingest(self.grid, Decoder(N), self.lock, self.clock, self.bus)
        self.bus.subscribe(ReadingApplied, self.ledger.on_reading)
        self.bus.subscribe(WireCommand, self.ledger.on_wire_command)
        self.publisher.follow(self.bus)  # no thread: the tests call run_once()

    def reading(self, house: int = 1, **raw: int) -> None:
        payload = orjson.dumps({k.removeprefix("c"): v for k, v in raw.items()})
        self.ingest.handle(f"Neighborhood/{N}/House/{house}/Consumer", payload)
        assert self.ingest.stats.messages_applied > 0

    def connect_and_flush(self) -> None:
        self.publisher.connection(True)
        self.publisher.run_once()


def test_first_flush_announces_then_publishes_every_topic(contract: Contract) -> None:
    rig = Rig()
    rig.connect_and_flush()
    topics = rig.sink.topics()
    assert topics[0] == STATUS
    assert topics[-1] == NEIGHBORHOOD  # after the houses it sums
    assert sorted(topics) == sorted(
        [STATUS, HOUSE, LAMP, FRIDGE, PANEL, HOUSE_2, HOUSES, NEIGHBORHOOD]
    )
    for topic, payload in rig.sink.sent:
        assert contract.error(topic, payload) is None, topic
    assert rig.sink.last(HOUSES)["houses"] == [1, 2]
    assert rig.sink.last(NEIGHBORHOOD)["house_count"] == 2
    assert rig.sink.last(HOUSE)["consumers"] == [1, 2]
    online = {"status": "online", "since_unix_s": rig.clock.now, "instance": ""}
    assert rig.sink.last(STATUS) == online


def test_nothing_goes_out_before_the_connection() -> None:
    rig = Rig()
    rig.reading(c0=2000, c1=900)
    rig.publisher.run_once()
    assert rig.sink.sent == []
    rig.connect_and_flush()
    assert rig.sink.last(LAMP)["on"] is True


def test_a_burst_is_coalesced_to_the_rate_limit() -> None:
    rig = Rig(rate_hz=2.0)
    rig.connect_and_flush()
    rig.sink.clear()
    rig.clock.advance(1.0)
    for raw in range(900, 1900):  # 1000 readings at once
        rig.reading(c1=raw)
    rig.publisher.run_once()
    assert rig.sink.count(HOUSE) == 1
    assert rig.sink.count(LAMP) == 1
    assert rig.sink.last(LAMP)["current_a"] == pytest.approx((1899 - 850) * 30 / 1700)
    for raw in range(100, 200):  # more within the same half second: held back
        rig.clock.advance(0.004)
        rig.reading(c1=raw + 1000)
        rig.publisher.run_once()
    assert rig.sink.count(LAMP) == 1
    rig.clock.advance(0.1)  # 0.5 s after the first flush: one more, with the latest value
    rig.publisher.run_once()
    assert rig.sink.count(LAMP) == 2
    assert rig.sink.last(LAMP)["current_a"] == pytest.approx((1199 - 850) * 30 / 1700)
    assert rig.publisher.stats.changes_marked >= 1100


def test_unchanged_payloads_are_not_published_again() -> None:
    rig = Rig()
    rig.connect_and_flush()
    rig.sink.clear()
    rig.publisher.mark_house(2)  # nothing changed in house 2
    rig.clock.advance(1.0)
    rig.publisher.run_once()
    assert rig.sink.sent == []


def test_a_silent_device_goes_offline_and_comes_back_with_its_next_reading() -> None:
    rig = Rig(offline_after_s=10.0)
    rig.reading(c1=900)
    rig.connect_and_flush()
    assert rig.sink.last(LAMP)["online"] is True
    assert rig.sink.last(HOUSE)["online"] is True
    assert rig.sink.last(FRIDGE)["online"] is False  # never heard from
    rig.clock.advance(9.0)
    rig.publisher.run_once()
    assert rig.sink.last(LAMP)["online"] is True
    rig.clock.advance(1.5)  # 10.5 s without a reading
    rig.publisher.run_once()
    assert rig.sink.last(LAMP)["online"] is False
    assert rig.sink.last(HOUSE)["online"] is False
    assert rig.sink.last(NEIGHBORHOOD)["houses_online"] == 0
    rig.clock.advance(0.5)
    rig.reading(c1=901)
    rig.publisher.run_once()
    assert rig.sink.last(LAMP)["online"] is True
    assert rig.sink.last(NEIGHBORHOOD)["houses_online"] == 1


def test_removing_a_house_clears_it_and_all_its_devices() -> None:
    rig = Rig()
    rig.connect_and_flush()
    rig.sink.clear()
    with rig.lock:
        house = rig.grid.rm_house(1)
    rig.publisher.house_removed(house)
    rig.publisher.run_once()  # clears go out at once, whatever the rate limit
    cleared = {t for t, p in rig.sink.sent if p == b""}
    assert cleared == {HOUSE, LAMP, FRIDGE, PANEL}
    rig.clock.advance(1.0)
    rig.publisher.run_once()
    assert rig.sink.last(HOUSES)["houses"] == [2]
    assert rig.sink.last(NEIGHBORHOOD)["house_count"] == 1


def test_removing_a_device_clears_only_it() -> None:
    rig = Rig()
    rig.connect_and_flush()
    rig.sink.clear()
    with rig.lock:
        rig.grid.house(1).rm_consumer(2)
    rig.publisher.device_removed(1, "consumer", 2)
    rig.clock.advance(1.0)
    rig.publisher.run_once()
    assert [t for t, p in rig.sink.sent if p == b""] == [FRIDGE]
    assert rig.sink.last(HOUSE)["consumers"] == [1]
    assert rig.sink.last(NEIGHBORHOOD)["device_count"] == 2


def test_a_removal_is_cleared_and_a_new_house_gets_a_new_number() -> None:
    """A removed house's topic is cleared; the next house does not take its number."""
    rig = Rig()
    rig.connect_and_flush()
    rig.sink.clear()
    with rig.lock:
        old = rig.grid.rm_house(2)
    rig.publisher.house_removed(old)
    with rig.lock:
        new = rig.grid.add_house()
    assert new.identifier == 3
    rig.publisher.mark_house(3)
    rig.clock.advance(1.0)
    rig.publisher.run_once()
    assert [p for t, p in rig.sink.sent if t == HOUSE_2] == [b""]
    assert rig.sink.last("energrid/0/state/house/3")["house"] == 3


def test_a_reconnect_republishes_everything() -> None:
    rig = Rig()
    rig.connect_and_flush()
    first = sorted(rig.sink.topics())
    rig.sink.clear()
    rig.publisher.connection(False)
    rig.publisher.connection(True)
    rig.publisher.run_once()
    assert sorted(rig.sink.topics()) == first


def test_clears_wait_for_the_broker_and_are_not_lost() -> None:
    rig = Rig()
    rig.connect_and_flush()
    with rig.lock:
        house = rig.grid.rm_house(1)
    rig.publisher.house_removed(house)
    rig.sink.clear()
    rig.sink.fail_next = 1
    rig.publisher.run_once()
    assert rig.publisher.stats.publish_failures == 1
    rig.publisher.run_once()
    assert {t for t, p in rig.sink.sent if p == b""} == {HOUSE, LAMP, FRIDGE, PANEL}


def test_a_non_finite_value_is_published_as_null() -> None:
    rig = Rig()
    with rig.lock:
        lamp = rig.grid.house(1).consumer(1)
        lamp.current_a.update(rig.clock.now, math.nan)
        rig.grid.house(1).meter_a.update(rig.clock.now, math.inf)
    rig.connect_and_flush()
    for topic, payload in rig.sink.sent:
        assert b"NaN" not in payload and b"Infinity" not in payload, topic
        orjson.loads(payload)  # strict JSON
    assert rig.sink.last(LAMP)["current_a"] is None
    assert rig.sink.last(HOUSE)["consumption_a"] is None
    assert rig.sink.last(NEIGHBORHOOD)["net_w"] is None


def command(rig: Rig, kind: str, state: int) -> None:
    topic = f"Neighborhood/0/House/1/{kind.title()}/1/set"
    rig.ledger.submit(rig.ledger.new(1, kind, 1, state, topic), rig.clock())
    rig.bus.publish(PublishAcknowledged(len(rig.wire.sent), True, ""))


def test_a_command_is_confirmed_by_a_reading_that_shows_it() -> None:
    rig = Rig()
    rig.connect_and_flush()
    rig.clock.advance(1.0)
    command(rig, "consumer", 1)
    rig.publisher.run_once()
    assert rig.sink.last(LAMP)["command"]["status"] == "pending"
    rig.clock.advance(0.25)
    rig.reading(c1=800)  # still OFF: not yet
    rig.clock.advance(0.25)
    rig.reading(c1=1200)  # ON
    rig.clock.advance(1.0)
    rig.publisher.run_once()
    assert rig.sink.last(LAMP)["command"] == {
        "state": 1,
        "status": "confirmed",
        "phase": "confirmed",
        "sent_unix_s": 1001.0,
        "resolved_unix_s": 1001.5,
        "timeout_s": 5.0,
        "source": "server",
        "client": None,
        "sends": 1,
        "device_shows": 1,
        "obeyed": True,
    }


def test_a_command_not_shown_within_its_time_to_live_is_shown_not_obeyed() -> None:
    rig = Rig()
    rig.connect_and_flush()
    command(rig, "consumer", 0)
    rig.clock.advance(1.0)
    rig.reading(c1=1200)  # ON
    rig.clock.advance(4.1)
    rig.ledger.tick()
    rig.publisher.run_once()
    shown = rig.sink.last(LAMP)["command"]
    assert (shown["status"], shown["device_shows"], shown["obeyed"]) == ("unconfirmed", 1, False)


def test_over_the_budget_houses_wait_with_their_latest_values() -> None:
    rig = Rig(payloads_per_s=4.0)  # house 1 alone costs 4 payloads (house and 3 devices)
    rig.connect_and_flush()
    first = rig.sink.topics()
    assert "energrid/0/state/house/1" in first and "energrid/0/state/house/2" not in first
    assert rig.publisher.stats.deferred == 1
    rig.clock.advance(1.0)  # one more second of budget
    rig.publisher.run_once()
    assert "energrid/0/state/house/2" in rig.sink.topics()


class FullWindow:
    """The client's count of our unacknowledged messages, full until the test frees it."""

    def __init__(self, window: int) -> None:
        self.unacked = window
        self.asked_while_full = threading.Event()

    def __call__(self) -> int:
        if self.unacked >= state_publisher.STATE_WINDOW:
            self.asked_while_full.set()
        return self.unacked


def flush_against_a_full_window(rig: Rig) -> tuple[FullWindow, threading.Thread]:
    """Connect and flush in a thread of its own, once it is waiting for room in the window."""
    window = FullWindow(state_publisher.STATE_WINDOW)
    rig.publisher.backlog = window
    thread = threading.Thread(target=rig.connect_and_flush, daemon=True)
    thread.start()
    wait_for(window.asked_while_full.is_set, "the publisher to look at the window")
    return window, thread


def test_state_waits_for_a_free_slot_in_the_send_window() -> None:
    rig = Rig()
    window, flushing = flush_against_a_full_window(rig)
    assert rig.sink.sent == []  # nothing handed to the client while the window is full
    window.unacked = 0
    rig.publisher.on_published(
        PublishAcknowledged(1, True, "")
    )  # the acknowledgement that freed a slot
    flushing.join(TIMEOUT_S)
    assert not flushing.is_alive()
    assert {STATUS, HOUSE, LAMP, NEIGHBORHOOD} <= set(rig.sink.topics())


def test_a_connection_lost_while_waiting_for_the_window_keeps_the_state_marked() -> None:
    rig = Rig()
    window, flushing = flush_against_a_full_window(rig)
    rig.publisher.connection(False)
    flushing.join(TIMEOUT_S)
    assert not flushing.is_alive() and rig.sink.sent == []
    assert rig.publisher.stats.publish_failures == 1 and not rig.publisher.idle()
    window.unacked = 0
    rig.connect_and_flush()  # the reconnect: announced and everything published
    assert {STATUS, HOUSE, LAMP, NEIGHBORHOOD} <= set(rig.sink.topics())


def test_a_large_grid_is_swept_a_slice_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(availability_sweep, "SWEEP_HOUSES", 1)  # two houses: one a sweep
    rig = Rig(offline_after_s=10.0)
    rig.reading(c1=900)
    rig.connect_and_flush()  # its sweep looked at house 1
    rig.clock.advance(10.5)  # the lamp of house 1 is now silent past the limit
    rig.publisher.run_once()  # this sweep looks at house 2 only
    assert rig.sink.last(LAMP)["online"] is True
    rig.clock.advance(1.0)
    rig.publisher.run_once()  # and this one at house 1 again
    assert rig.sink.last(LAMP)["online"] is False


def test_over_the_budget_every_house_and_the_totals_get_their_turn() -> None:
    """A grid busier than the budget: each cycle starts after the last house flushed, and the
    neighborhood goes out at its own rate instead of waiting behind houses that never run out."""
    rig = Rig(payloads_per_s=4.0)  # house 1 alone costs the whole budget of a second
    rig.connect_and_flush()
    for second in range(4):
        rig.reading(1, c0=1200 + 100 * second)  # house 1's meter changes every second
        rig.publisher.mark_house(2)  # and house 2 is busy too
        rig.clock.advance(1.0)
        rig.publisher.run_once()
    assert rig.sink.count("energrid/0/state/house/2") >= 1
    assert rig.sink.count("energrid/0/state/neighborhood") >= 3


def test_houses_online_counts_what_the_house_topics_say() -> None:
    """The neighborhood is rebuilt after a house's own deadline passed but before the sweep
    republished that house: houses_online still agrees with the houses' `online` flags."""
    rig = Rig(offline_after_s=10.0)
    rig.reading(1, c0=1200)
    rig.reading(2, c0=1200)
    rig.connect_and_flush()
    rig.clock.advance(9.9)
    rig.reading(2, c0=1300)  # house 2 stays online
    rig.publisher.run_once()  # a sweep: house 1 is still online
    rig.clock.advance(0.6)  # past house 1's deadline and house 2's rate limit, before the sweep
    rig.reading(2, c0=1400)
    rig.publisher.run_once()  # house 2 and the neighborhood go out, house 1 waits for a sweep
    flags = [rig.sink.last(f"energrid/0/state/house/{h}")["online"] for h in (1, 2)]
    assert rig.sink.last("energrid/0/state/neighborhood")["houses_online"] == sum(flags)


def test_the_house_list_changes_only_with_the_houses() -> None:
    """A headset builds its scene from the house list: readings never resend it, a new house
    does. Without setHouse, no house has a place of its own: the automatic layout."""
    rig = Rig()
    rig.connect_and_flush()
    assert rig.sink.last(HOUSES) == {
        "neighborhood": 0,
        "houses": [1, 2],
        "layout_spacing_m": 14.0,
        "places": [],
    }
    for second in range(3):
        rig.clock.advance(1.0)
        rig.reading(1, c0=1200 + 100 * second)
        rig.publisher.run_once()
    assert rig.sink.count(HOUSES) == 1 and rig.sink.count(NEIGHBORHOOD) == 4
    with rig.lock:
        rig.grid.add_house()
    rig.publisher.mark_house(3)
    rig.clock.advance(1.0)
    rig.publisher.run_once()
    assert rig.sink.last(HOUSES)["houses"] == [1, 2, 3]


def with_bulk_sink(rig: Rig, queued: list[int]) -> Recorder:
    """Give the rig's publisher a bulk sink (the server's QoS 0 one) and a client queue length."""
    bulk = Recorder()
    rig.publisher.bulk_sink = lambda messages: [bulk(topic, payload) for topic, payload in messages]
    rig.publisher.queued = lambda: queued[0]
    return bulk


def test_the_republish_after_a_connect_goes_in_bulk_whatever_the_budget() -> None:
    rig = Rig(payloads_per_s=4.0)  # house 1 alone costs 4 payloads (house and 3 devices)
    bulk = with_bulk_sink(rig, [0])
    rig.connect_and_flush()
    assert {HOUSE, LAMP, FRIDGE, PANEL, HOUSE_2} <= set(bulk.topics())
    assert rig.publisher.stats.deferred == 0
    assert set(rig.sink.topics()) == {STATUS, HOUSES, NEIGHBORHOOD}  # these stay at QoS 1
    bulk.clear()
    rig.clock.advance(1.0)
    rig.reading(c1=1200)  # a change after the republish: the QoS 1 sink, in the budget
    rig.publisher.run_once()
    assert bulk.sent == [] and LAMP in rig.sink.topics()


def test_bulk_messages_wait_while_the_client_queue_is_full() -> None:
    rig = Rig()
    queued = [state_publisher.BULK_WINDOW]
    bulk = with_bulk_sink(rig, queued)
    flushing = threading.Thread(target=rig.connect_and_flush, daemon=True)
    flushing.start()
    wait_for(lambda: STATUS in rig.sink.topics(), "the announcement")
    assert bulk.sent == []  # the queue is full: nothing more handed over
    queued[0] = 0  # the network thread wrote its queue to the socket
    flushing.join(TIMEOUT_S)
    assert not flushing.is_alive()
    assert {HOUSE, LAMP, HOUSE_2} <= set(bulk.topics())


def test_over_the_budget_the_next_cycle_rests_until_a_share_of_it_is_back() -> None:
    """Each cycle costs O(marked houses): over the budget, cycling at 50 a second to flush a
    house or two each time took a fifth of a core from the ingest at 10,000 houses."""
    rig = Rig(payloads_per_s=4.0)
    rig.connect_and_flush()  # house 1 took the whole budget; house 2 waits
    publisher = rig.publisher
    with publisher._cond:
        wait = publisher._refill_wait_s(rig.clock.now)
    assert wait == pytest.approx(state_publisher.REFILL_SHARE - publisher._tokens / 4.0)
    assert wait > 0
    rig.clock.advance(wait)
    with publisher._cond:
        assert publisher._refill_wait_s(rig.clock.now) == pytest.approx(0.0)
    publisher.run_once()  # house 2 goes out: nothing is left for lack of budget
    with publisher._cond:
        assert publisher._refill_wait_s(rig.clock.now) == 0.0


def test_a_rest_ends_at_once_for_a_connect_but_not_for_marks() -> None:
    rig = Rig()
    publisher = rig.publisher
    ended = threading.Event()

    def rest() -> None:
        with publisher._cond:
            publisher._rest_until(rig.clock.now + 3600.0)  # the fake clock never gets there
        ended.set()

    resting = threading.Thread(target=rest, daemon=True)
    resting.start()
    rig.reading(c0=2000, c1=900)  # a mark notifies the thread: the rest goes on
    assert not ended.wait(0.2)
    publisher.connection(True)  # a connect republishes: the rest ends
    assert ended.wait(TIMEOUT_S)
    resting.join(TIMEOUT_S)


def test_a_full_window_is_waited_on_until_it_has_drained_to_half() -> None:
    """One free slot does not wake the publisher for one message: it waits for ROOM_LOW."""
    rig = Rig()
    window, flushing = flush_against_a_full_window(rig)
    window.unacked = state_publisher.STATE_WINDOW - 1
    rig.publisher.on_published(PublishAcknowledged(1, True, ""))
    flushing.join(0.3)  # it polls the window meanwhile: still above ROOM_LOW
    assert flushing.is_alive() and rig.sink.sent == []
    window.unacked = state_publisher.ROOM_LOW
    rig.publisher.on_published(PublishAcknowledged(2, True, ""))
    flushing.join(TIMEOUT_S)
    assert not flushing.is_alive()
    assert {STATUS, HOUSE, LAMP, NEIGHBORHOOD} <= set(rig.sink.topics())
