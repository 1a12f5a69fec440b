"""The ingest path without a broker: what is applied, what is rejected and changes nothing."""

from __future__ import annotations

import copy
import threading

import pytest

from energrid_core.events import ReadingApplied
from energrid_core.ingest import Ingest
from energrid_core.model import Neighborhood
from energrid_core.wire import Decoder


def snapshot(grid: Neighborhood) -> str:
    """Everything the model holds, as text: equal snapshots mean nothing changed."""
    parts = []
    for h in grid.houses.values():
        parts.append(repr((h.identifier, h.meter_a, h.meter_a.history())))
        for c in h.consumers.values():
            parts.append(repr((c, c.commanded, c.raw, c.current_a.history())))
        for s in h.suppliers.values():
            parts.append(repr((s, s.commanded, s.last_seen)))
    return "\n".join(parts)


@pytest.fixture
def ingest() -> Ingest:
    grid = Neighborhood()
    house = grid.add_house()
    house.add_consumer("LED")
    house.add_consumer("Lamp")
    house.add_supplier("Solar Panel")
    clock = iter(float(t) for t in range(1000))
    return Ingest(grid, Decoder(), threading.RLock(), clock=lambda: next(clock))


def test_a_legacy_batch_is_applied(ingest: Ingest) -> None:
    ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 2320, "1": 785, "2": 1700}')
    house = ingest.grid.house(1)
    assert house.meter_a.last == pytest.approx(25.941, abs=1e-3)
    assert house.consumer(1).current_a.last == 0.0
    assert house.consumer(1).on is False
    assert house.consumer(2).current_a.last == pytest.approx(15.0)
    assert house.consumer(2).on is True
    assert house.consumer(2).raw == 1700
    assert ingest.stats.messages_applied == 1
    assert ingest.stats.readings_applied == 3


def test_unknown_devices_in_a_batch_are_skipped_and_counted(ingest: Ingest) -> None:
    ingest.handle("Neighborhood/0/House/1/Consumer", b'{"1": 900, "7": 900}')
    assert ingest.stats.readings_applied == 1
    assert ingest.stats.skipped_readings["unknown_device"] == 1
    assert 7 not in ingest.grid.house(1).consumers


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("Neighborhood/0/House/9/Consumer", b'{"1": 900}', "unknown_house"),
        ("Neighborhood/0/House/1/Consumer", b'{"8": 900}', "unknown_device"),
        ("Neighborhood/0/House/1/Consumer/8", b'{"current_a": 1}', "unknown_device"),
        ("Neighborhood/0/House/1/Supplier/4", b'{"load_current_a": 1}', "unknown_device"),
        ("Neighborhood/0/House/1/Consumer/5/set", b"1", "unknown_device"),
        ("Neighborhood/0/House/1/Consumer", b'{"1": NaN}', "non_finite"),
        ("Neighborhood/0/House/1/Consumer", b'{"1": 900, "2": true}', "type"),
    ],
)
def test_a_rejected_message_changes_nothing(
    ingest: Ingest, topic: str, payload: bytes, reason: str
) -> None:
    ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 900, "1": 900, "2": 900}')
    before = snapshot(ingest.grid)
    houses_before = copy.copy(ingest.grid.houses)
    ingest.handle(topic, payload)
    assert snapshot(ingest.grid) == before
    assert ingest.grid.houses == houses_before
    assert ingest.stats.rejected == {reason: 1}
    (last,) = ingest.stats.recent
    assert (last.topic, last.reason) == (topic, reason)


def test_commands_seen_record_the_commanded_state(ingest: Ingest) -> None:
    ingest.handle("Neighborhood/0/House/1/Consumer/2/set", b"1")
    ingest.handle("Neighborhood/0/House/1/Supplier/1/booleanLoad", b"0")
    assert ingest.grid.house(1).consumer(2).commanded == 1
    assert ingest.grid.house(1).supplier(1).commanded == 0
    assert ingest.stats.commands_seen == 2


@pytest.mark.allow_callback_errors
def test_a_bug_costs_one_message_not_the_caller(ingest: Ingest) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    undo = ingest.bus.subscribe(ReadingApplied, broken)
    ingest.handle("Neighborhood/0/House/1/Consumer", b'{"1": 900}')  # must not raise
    assert ingest.bus.handler_errors == 1
    undo()
    ingest.handle("Neighborhood/0/House/1/Consumer", b'{"1": 901}')
    assert ingest.stats.messages_applied == 2


def test_recent_rejections_are_bounded(ingest: Ingest) -> None:
    for _ in range(100):
        ingest.handle("Neighborhood/0/House/1/Consumer", b"garbage")
    assert ingest.stats.rejected["json"] == 100
    assert len(ingest.stats.recent) == ingest.stats.recent_len
