"""Property-based tests of the ingest path: random topics and payloads never raise, never touch
the model when rejected, and every rejection is counted by reason."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from energrid_core.ingest import Ingest
from energrid_core.model import Neighborhood
from energrid_core.persistence import snapshot
from energrid_core.persistence.store import Store
from energrid_core.topics import consumer_command_topic, supplier_command_topic
from energrid_core.wire import Decoded, Decoder, Rejected

REASONS = {
    "topic",
    "oversize",
    "encoding",
    "json",
    "non_finite",
    "depth",
    "shape",
    "id",
    "type",
    "range",
    "field",
    "retained",
    "command",
    "unknown_house",
    "unknown_device",
}

SEGMENTS = [
    "Neighborhood", "0", "1", "2", "3", "House", "Consumer", "Supplier", "set", "booleanLoad",
    "+", "#", "", "00", "999999", "1000000", "-1", "١", "x", "\x00", "$SYS", " 1",
]  # fmt: skip
KEYS = [
    "0", "1", "2", "3", "9", "current_a", "on", "load_on", "lvoltage", "lcurrent", "pvvoltage",
    "pvoltage", "bremaining", "load_current_a", "battery_remaining_pct", "x", "+", "#", "a/b",
    "1.5", "-1", "",
]  # fmt: skip
SPECIAL = [
    b"NaN", b'{"0": NaN}', b'{"1": {"lvoltage": Infinity}}', b'{"0": 1e400}', b'{"0": -1e400}',
    b"[" * 5000, b'{"0": ' + b"9" * 5000 + b"}", b"\xff\xfe{}", b"", b"1", b"0", b" 1 ",
    b'{"0": 900, "0": 2000}', b'{"current_a": true}', b'{"1": {}}', b"x" * 20000,
]  # fmt: skip

topics = st.one_of(
    st.lists(st.sampled_from(SEGMENTS) | st.text(max_size=6), max_size=8).map("/".join),
    st.builds(
        lambda h, kind, tail: f"Neighborhood/0/House/{h}/{kind}{tail}",
        st.sampled_from(["1", "2", "3", "0", "01", "x"]),
        st.sampled_from(["Consumer", "Supplier"]),
        st.sampled_from(["", "/0", "/1", "/2", "/7", "/1/set", "/1/booleanLoad", "/x", "/1/2"]),
    ),
    st.text(max_size=40),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=20,
)
# Close to valid readings, so that the applied path is exercised as much as the rejections.
numbers = st.integers(-10, 70000) | st.floats(-10, 2000, allow_nan=False)
plausible = st.one_of(
    st.dictionaries(st.sampled_from(["0", "1", "2", "3", "9"]), numbers, min_size=1, max_size=4),
    st.fixed_dictionaries({"current_a": numbers}, optional={"on": st.booleans() | st.just(1)}),
    st.dictionaries(
        st.sampled_from(["0", "1", "2"]),
        st.dictionaries(st.sampled_from(["lvoltage", "lcurrent", "bremaining", "x"]), numbers),
        min_size=1,
        max_size=2,
    ),
)
known_topics = st.builds(
    lambda h, tail: f"Neighborhood/0/House/{h}/{tail}",
    st.sampled_from(["1", "2", "3"]),
    st.sampled_from(
        ["Consumer", "Consumer/0", "Consumer/1", "Supplier", "Supplier/1", "Consumer/2/set"]
    ),
)
plausible_payloads = plausible.map(lambda value: json.dumps(value).encode()) | st.sampled_from(
    [b"1", b"0"]
)
payloads = st.one_of(
    plausible_payloads,
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=100),
    st.sampled_from(SPECIAL),
)


def grid_with_devices() -> Neighborhood:
    grid = Neighborhood(0, history_len=4)
    for _ in range(2):
        house = grid.add_house()
        house.add_consumer("LED")
        house.add_consumer("Lamp")
        house.add_supplier("Solar")
    return grid


def model_state(grid: Neighborhood) -> tuple:
    commanded = [
        (h.identifier, d.identifier, d.commanded)
        for h in grid.houses.values()
        for d in [*h.consumers.values(), *h.suppliers.values()]
    ]
    return (snapshot.export(grid), commanded)


DECODER = Decoder(max_payload_bytes=16384)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(topic=topics, payload=payloads, retained=st.booleans())
def test_the_decoder_returns_or_rejects_with_a_known_reason(
    topic: str, payload: bytes, retained: bool
) -> None:
    try:
        decoded = DECODER.decode(topic, payload, retained)
    except Rejected as rejected:
        assert rejected.reason in REASONS
        return
    assert isinstance(decoded, Decoded)
    assert decoded.house >= 1
    assert decoded.command is not None or decoded.reading_count > 0


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    messages=st.lists(
        st.tuples(topics, payloads, st.booleans())
        | st.tuples(known_topics, plausible_payloads, st.just(False)),
        min_size=1,
        max_size=6,
    )
)
def test_ingest_never_raises_and_a_rejected_message_changes_nothing(
    messages: list[tuple[str, bytes, bool]],
) -> None:
    grid = grid_with_devices()
    ingest = Ingest(grid, DECODER, threading.RLock(), clock=lambda: 1000.0)
    stats = ingest.stats
    for topic, payload, retained in messages:
        before = model_state(grid)
        rejected_before = stats.rejected_total
        ingest.handle(topic, payload, retained)
        if stats.rejected_total == rejected_before + 1:
            assert model_state(grid) == before, (topic, payload)
            assert stats.recent[-1].reason in REASONS
        else:
            assert stats.rejected_total == rejected_before
    event(f"applied {min(stats.messages_applied + stats.commands_seen, 1)}")
    assert stats.callback_errors == 0
    assert stats.messages_received == len(messages)
    accounted = stats.messages_applied + stats.commands_seen + stats.rejected_total
    assert accounted == stats.messages_received
    assert set(stats.rejected) <= REASONS
    assert sum(stats.rejected.values()) == stats.rejected_total


def test_every_reason_is_reachable_and_counted_once() -> None:
    grid = grid_with_devices()
    ingest = Ingest(grid, DECODER, threading.RLock())
    cases = {
        "topic": ("Neighborhood/0/House/1/Meter", b"{}"),
        "oversize": ("Neighborhood/0/House/1/Consumer", b" " * 20000),
        "encoding": ("Neighborhood/0/House/1/Consumer", b'{"0": "\xff"}'),
        "json": ("Neighborhood/0/House/1/Consumer", b"{"),
        "non_finite": ("Neighborhood/0/House/1/Consumer", b'{"0": 1e400}'),
        "depth": ("Neighborhood/0/House/1/Consumer", b"[" * 5000),
        "shape": ("Neighborhood/0/House/1/Consumer", b"[1]"),
        "id": ("Neighborhood/0/House/1/Consumer", b'{"+": 1}'),
        "type": ("Neighborhood/0/House/1/Consumer", b'{"1": true}'),
        "range": ("Neighborhood/0/House/1/Consumer", b'{"1": -5}'),
        "field": ("Neighborhood/0/House/1/Consumer/1", b'{"current_a": 1, "volts": 2}'),
        "command": ("Neighborhood/0/House/1/Consumer/1/set", b"2"),
        "unknown_house": ("Neighborhood/0/House/9/Consumer", b'{"1": 900}'),
        "unknown_device": ("Neighborhood/0/House/1/Consumer", b'{"7": 900}'),
    }
    for topic, payload in cases.values():
        ingest.handle(topic, payload)
    ingest.handle("Neighborhood/0/House/1/Consumer", b'{"1": 900}', retained=True)
    assert dict(ingest.stats.rejected) == {reason: 1 for reason in REASONS}
    assert ingest.stats.messages_applied == 0


device_types = st.text(min_size=1, max_size=100)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(types=st.lists(device_types, min_size=1, max_size=4))
def test_any_device_type_round_trips_and_never_reaches_a_topic(types: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "grid.sqlite3", 0)
        try:
            grid = Neighborhood(0)
            house = grid.add_house()
            store.add_houses([1])
            made = [house.add_consumer(t) for t in types]
            store.add_devices(1, "consumer", [(c.identifier, c.type) for c in made])
            store.add_devices(1, "supplier", [(1, types[0])])
            loaded = Neighborhood(0)
            store.load_grid(loaded)
        finally:
            store.close()
    assert [c.type for c in loaded.house(1).consumers.values()] == types
    assert loaded.house(1).supplier(1).type == types[0]
    for consumer in loaded.house(1).consumers.values():
        topic = consumer_command_topic(0, 1, consumer.identifier)
        assert topic == f"Neighborhood/0/House/1/Consumer/{consumer.identifier}/set"
    assert supplier_command_topic(0, 1, 1) == "Neighborhood/0/House/1/Supplier/1/booleanLoad"
