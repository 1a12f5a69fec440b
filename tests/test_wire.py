"""The wire formats: (topic, bytes) -> readings, or one rejection reason. No broker needed."""

from __future__ import annotations

import pytest

from energrid_core.config import Calibration
from energrid_core.wire import Decoder, Rejected, legacy

BATCH = "Neighborhood/0/House/1/Consumer"
SUPPLIERS = "Neighborhood/0/House/1/Supplier"


@pytest.fixture
def decoder() -> Decoder:
    return Decoder()


def test_demonstrator_conversion_of_raw_values(decoder: Decoder) -> None:
    decoded = decoder.decode(BATCH, b'{"0": 2320, "1": 850, "2": 1700, "3": 0, "4": 870, "5": 871}')
    amps = {r.device: round(r.current_a, 3) for r in decoded.consumers}
    assert amps == {0: 25.941, 1: 0.0, 2: 15.0, 3: 0.0, 4: 0.353, 5: 0.371}
    on = {r.device: r.on for r in decoded.consumers}
    assert on[4] is False and on[5] is True  # ON means raw > 870
    assert decoded.house == 1


def test_calibration_is_per_installation() -> None:
    decoder = Decoder(
        calibration=Calibration(zero_raw=2048, amps_per_raw=0.01, on_threshold_raw=2100)
    )
    (reading,) = decoder.decode(BATCH, b'{"1": 2148}').consumers
    assert reading.current_a == pytest.approx(1.0)
    assert reading.on is True


def test_calibration_inverse_round_trips() -> None:
    calibration = Calibration()
    for amps in (0.0, 0.5, 7.25, 15.0):
        raw = calibration.amps_to_raw(amps)
        assert calibration.raw_to_amps(raw) == pytest.approx(amps, abs=calibration.amps_per_raw)


def test_supplier_batch_with_every_sensor_and_the_draft_spelling(decoder: Decoder) -> None:
    payload = (
        b'{"1": {"pvvoltage": 18.2, "pvcurrent": 1.3, "lvoltage": 12.1, "lcurrent": 0.8,'
        b' "bvoltage": 12.6, "bcurrent": 0.4, "bremaining": 87}, "2": {"pvoltage": 20}}'
    )
    first, second = decoder.decode(SUPPLIERS, payload).suppliers
    assert first.values == {
        "pv_voltage_v": 18.2,
        "pv_current_a": 1.3,
        "load_voltage_v": 12.1,
        "load_current_a": 0.8,
        "battery_voltage_v": 12.6,
        "battery_current_a": 0.4,
        "battery_remaining_pct": 87.0,
    }
    assert first.load_on is True
    assert second.values == {"pv_voltage_v": 20.0}
    assert second.load_on is None


def test_per_device_formats(decoder: Decoder) -> None:
    consumer = decoder.decode("Neighborhood/0/House/3/Consumer/2", b'{"current_a": 0.42}')
    assert consumer.house == 3
    assert consumer.consumers[0].device == 2
    assert consumer.consumers[0].current_a == 0.42
    assert consumer.consumers[0].on is True
    off = decoder.decode("Neighborhood/0/House/3/Consumer/2", b'{"current_a": 0.42, "on": false}')
    assert off.consumers[0].on is False
    meter = decoder.decode("Neighborhood/0/House/3/Consumer/0", b'{"current_a": 3}')
    assert meter.consumers[0].device == 0
    supplier = decoder.decode(
        "Neighborhood/0/House/3/Supplier/1", b'{"load_voltage_v": 12, "load_current_a": 0.0}'
    )
    assert supplier.suppliers[0].load_on is False
    assert supplier.suppliers[0].values == {"load_voltage_v": 12.0, "load_current_a": 0.0}


def test_commands_from_other_clients_are_traffic(decoder: Decoder) -> None:
    seen = decoder.decode("Neighborhood/0/House/2/Consumer/1/set", b"1")
    assert seen.command is not None
    assert (seen.command.device, seen.command.supplier, seen.command.state) == (1, False, 1)
    load = decoder.decode("Neighborhood/0/House/2/Supplier/1/booleanLoad", b"0")
    assert load.command is not None and load.command.supplier and load.command.state == 0


BAD_MESSAGES = [
    ("topic", "Neighborhood/0/House/1/Battery", b"{}"),
    ("topic", "Neighborhood/0/House/0/Consumer", b'{"1": 900}'),
    ("topic", "Neighborhood/0/House/x/Consumer", b'{"1": 900}'),
    ("topic", "Neighborhood/1/House/1/Consumer", b'{"1": 900}'),
    ("topic", "Neighborhood/0/House/1/Consumer/1/2/3", b'{"1": 900}'),
    ("oversize", BATCH, b'{"1": ' + b" " * 20000 + b"900}"),
    ("encoding", BATCH, b"\xff\xfe\x00"),
    ("json", BATCH, b"hello"),
    ("json", BATCH, b""),
    ("json", BATCH, b'{"1": 9'),
    ("non_finite", BATCH, b'{"1": NaN}'),
    ("non_finite", BATCH, b'{"1": Infinity}'),
    ("non_finite", BATCH, b'{"1": -Infinity}'),
    ("non_finite", BATCH, b'{"1": 1e400}'),
    ("depth", BATCH, b"[" * 5000),
    ("shape", BATCH, b"[1, 2]"),
    ("shape", BATCH, b'"text"'),
    ("shape", BATCH, b"{}"),
    ("shape", SUPPLIERS, b'{"1": 5}'),
    ("id", BATCH, b'{"+": 900}'),
    ("id", BATCH, b'{"#": 900}'),
    ("id", BATCH, b'{"a/b": 900}'),
    ("id", BATCH, b'{"1.5": 900}'),
    ("id", BATCH, b'{"-1": 900}'),
    ("id", SUPPLIERS, b'{"0": {"lcurrent": 1}}'),
    ("id", BATCH, b'{"01": 900}'),
    ("json", BATCH, b'{"2": 900, "note": "NaN"'),
    ("range", SUPPLIERS, b'{"1": {"lcurrent": -5}}'),
    ("topic", "Neighborhood/0/House/01/Consumer", b'{"1": 900}'),
    ("type", BATCH, b'{"1": "900"}'),
    ("type", BATCH, b'{"1": true}'),
    ("type", BATCH, b'{"1": null}'),
    ("type", BATCH, b'{"1": [900]}'),
    ("range", BATCH, b'{"1": -5}'),
    ("range", BATCH, b'{"1": 70000}'),
    ("range", SUPPLIERS, b'{"1": {"bremaining": 150}}'),
    ("field", SUPPLIERS, b'{"1": {"temperature": 20}}'),
    ("field", "Neighborhood/0/House/1/Consumer/1", b'{"on": true}'),
    ("field", "Neighborhood/0/House/1/Consumer/1", b'{"current_a": 1, "volts": 3}'),
    ("type", "Neighborhood/0/House/1/Consumer/1", b'{"current_a": 1, "on": 1}'),
    ("range", "Neighborhood/0/House/1/Consumer/1", b'{"current_a": 5000}'),
    ("field", "Neighborhood/0/House/1/Supplier/1", b'{"load_on": true}'),
    ("id", "Neighborhood/0/House/1/Supplier/0", b'{"load_current_a": 1}'),
    ("command", "Neighborhood/0/House/1/Consumer/1/set", b"ON"),
    ("command", "Neighborhood/0/House/1/Supplier/1/booleanLoad", b"2"),
]


@pytest.mark.parametrize(("reason", "topic", "payload"), BAD_MESSAGES)
def test_each_bad_message_has_its_reason(
    decoder: Decoder, reason: str, topic: str, payload: bytes
) -> None:
    with pytest.raises(Rejected) as caught:
        decoder.decode(topic, payload)
    assert caught.value.reason == reason
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("topic", "payload"), [(BATCH, b'{"1": 900}'), ("Neighborhood/0/House/1/Consumer/1/set", b"1")]
)
def test_a_retained_reading_or_command_is_stale(
    decoder: Decoder, topic: str, payload: bytes
) -> None:
    with pytest.raises(Rejected) as caught:
        decoder.decode(topic, payload, retained=True)
    assert caught.value.reason == "retained"


def test_one_bad_value_rejects_the_whole_batch(decoder: Decoder) -> None:
    with pytest.raises(Rejected):
        decoder.decode(BATCH, b'{"1": 900, "2": "x", "3": 900}')


def test_a_reading_made_before_is_shared_but_never_for_a_boolean() -> None:
    decoder = Decoder(0)
    first = decoder.decode(BATCH, b'{"1": 1, "2": 1200}')
    again = decoder.decode(BATCH, b'{"1": 1, "2": 1200}')
    assert again.consumers[1] is first.consumers[1]  # made once, looked up after
    assert again.consumers[1].current_a == pytest.approx((1200 - 850) * 30 / 1700)
    with pytest.raises(Rejected) as caught:  # True == 1: must not find raw 1's reading
        decoder.decode(BATCH, b'{"1": true}')
    assert caught.value.reason == "type"


def test_the_readings_made_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legacy, "READINGS_MADE_MAX", 4)
    decoder = Decoder(0)
    for raw in range(900, 950):
        decoder.decode(BATCH, b'{"1": %d}' % raw)
    assert len(decoder._readings) <= 4
