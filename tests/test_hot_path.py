"""The ingest hot path after its optimisation: same answers, same rejections, bounded caches."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from energrid_core.data import Data
from energrid_core.server import GridServer
from energrid_core.wire import Decoder, Rejected
from energrid_core.wire import decode as decode_module

BATCH = "Neighborhood/0/House/1/Consumer"
DEVICE = "Neighborhood/0/House/1/Consumer/2"


def reason(decoder: Decoder, topic: str, payload: bytes) -> str:
    with pytest.raises(Rejected) as caught:
        decoder.decode(topic, payload)
    return caught.value.reason


def test_legacy_batch_converts_each_raw_value() -> None:
    decoded = Decoder().decode(BATCH, b'{"0": 2320, "1": 850, "2": 871, "7": 0}')
    by_device = {r.device: r for r in decoded.consumers}
    assert by_device[0].current_a == pytest.approx((2320 - 850) * 30 / 1700)
    assert by_device[1].current_a == 0.0 and by_device[1].on is False
    assert by_device[2].on is True and by_device[2].raw == 871.0
    assert by_device[7].current_a == 0.0  # negative amps read as 0 A


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"1": true}', "type"),
        (b'{"1": "900"}', "type"),
        (b'{"1": null}', "type"),
        (b'{"1": -1}', "range"),
        (b'{"1": 65536}', "range"),
        (b'{"+": 900}', "id"),
        (b'{"1.5": 900}', "id"),
        (b'{"1000000": 900}', "id"),
        (b"{}", "shape"),
        (b"[1]", "shape"),
    ],
)
def test_legacy_batch_rejections(payload: bytes, expected: str) -> None:
    assert reason(Decoder(), BATCH, payload) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"on": true}', "field"),
        (b'{"current_a": 1, "x": 1}', "field"),
        (b'{"current_a": 1, "on": true, "x": 1}', "field"),
        (b'{"current_a": 1, "on": 1}', "type"),
        (b'{"current_a": true}', "type"),
        (b'{"current_a": 2000}', "range"),
    ],
)
def test_device_reading_rejections(payload: bytes, expected: str) -> None:
    assert reason(Decoder(), DEVICE, payload) == expected


def test_device_reading_on_follows_current_when_absent() -> None:
    decoder = Decoder(on_threshold_a=0.05)
    assert decoder.decode(DEVICE, b'{"current_a": 0.06}').consumers[0].on is True
    assert decoder.decode(DEVICE, b'{"current_a": 0.04}').consumers[0].on is False
    assert decoder.decode(DEVICE, b'{"current_a": 3, "on": false}').consumers[0].on is False


def test_a_cached_topic_still_checks_every_payload_and_retain_flag() -> None:
    decoder = Decoder()
    assert decoder.decode(BATCH, b'{"1": 900}').house == 1
    assert reason(decoder, BATCH, b'{"1": true}') == "type"
    with pytest.raises(Rejected, match="retained"):
        decoder.decode(BATCH, b'{"1": 900}', retained=True)


def test_only_valid_topics_are_cached_and_the_cache_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoder = Decoder()
    for bad in ("Neighborhood/0/House/0/Consumer", "Neighborhood/0/House/x/Consumer", "a/b"):
        assert reason(decoder, bad, b"{}") == "topic"
    assert decoder._topics == {}
    monkeypatch.setattr(decode_module, "TOPIC_CACHE_MAX", 3)
    for house in range(1, 8):
        decoder.decode(f"Neighborhood/0/House/{house}/Consumer", b'{"1": 900}')
        assert len(decoder._topics) <= 3


@pytest.mark.parametrize("size", [1, 3, 60])
def test_history_ring_keeps_the_last_readings_oldest_first(size: int) -> None:
    data = Data(size)
    for i in range(7):
        data.update(float(i), float(10 * i))
    expected = [(float(i), float(10 * i)) for i in range(7)][-size:]
    assert data.history() == expected
    assert (data.count, data.min, data.max, data.last) == (7, 0.0, 60.0, 60.0)
    assert data.mean == pytest.approx(30.0)


def test_no_history_when_history_len_is_zero() -> None:
    data = Data(0)
    data.update(1.0, 2.0)
    assert data.history() == [] and data.count == 1


def test_ingest_applies_known_devices_and_counts_the_rest(
    make_offline_server: Callable[..., GridServer],
) -> None:
    server = make_offline_server(clock=lambda: 100.0)
    server.new_houses(1)
    server.new_consumers(1, 2, "LED")
    server.ingest.handle(BATCH, b'{"0": 1700, "1": 900, "2": 800, "9": 900}')
    stats = server.stats
    assert (stats.messages_applied, stats.readings_applied) == (1, 3)
    assert stats.skipped_readings["unknown_device"] == 1
    house = server.grid.houses[1]
    assert house.meter_a.last == pytest.approx(15.0)
    assert house.consumers[1].on is True and house.consumers[2].on is False
    server.ingest.handle(BATCH, b'{"9": 900}')
    assert stats.rejected["unknown_device"] == 1
