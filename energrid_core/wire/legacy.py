"""The legacy batch messages of the 2019-2020 boards (one JSON object per house and device kind)."""

from __future__ import annotations

from energrid_core.config import Calibration
from energrid_core.wire.readings import ConsumerReading, Rejected, SupplierReading
from energrid_core.wire.values import device_id, json_object, number

RAW_MAX = 65535
READINGS_MADE_MAX = 1 << 14

# Board sensor name -> canonical name, with the early draft's misspelling accepted.
LEGACY_SUPPLIER_FIELDS = {
    "pvvoltage": "pv_voltage_v",
    "pvoltage": "pv_voltage_v",
    "pvcurrent": "pv_current_a",
    "lvoltage": "load_voltage_v",
    "lcurrent": "load_current_a",
    "bvoltage": "battery_voltage_v",
    "bcurrent": "battery_current_a",
    "bremaining": "battery_remaining_pct",
}

FIELD_LIMITS = {
    "pv_voltage_v": (0.0, 1000.0),
    "pv_current_a": (0.0, 1000.0),  # produced: positive, like every supply
    "load_voltage_v": (0.0, 1000.0),
    "load_current_a": (0.0, 1000.0),  # delivered to the house: positive
    "battery_voltage_v": (0.0, 1000.0),
    "battery_current_a": (-1000.0, 1000.0),
    "battery_remaining_pct": (0.0, 100.0),
}


def decode_consumer_batch(
    obj: object, calibration: Calibration, made: dict | None = None
) -> tuple[ConsumerReading, ...]:
    """{"0": 2320, "1": 785, ...}: raw ADC values per consumer, key "0" the house meter.

    The hot path of the legacy boards: Calibration.raw_to_amps and number() are inlined here.
    `made` (the decoder's) keeps the reading made for each (key, integer raw value): boards send
    integers in a narrow range, so nearly every reading is a look-up instead of a conversion and
    a new object (readings are never modified once made). It is emptied when it reaches
    READINGS_MADE_MAX entries, so made-up values cost bounded memory.
    """
    batch = json_object(obj, "consumer batch")
    readings = []
    append = readings.append
    if made is None:
        made = {}
    threshold = calibration.on_threshold_raw
    zero, amps_per_raw = calibration.zero_raw, calibration.amps_per_raw
    for key, value in batch.items():
        if type(value) is int:  # never a bool here: True == 1 would find raw 1's reading
            reading = made.get((key, value))
            if reading is not None:
                append(reading)
                continue
        elif type(value) is not float:
            number(value, f"consumer {key}", 0, RAW_MAX)  # raises: not a number
        if not 0 <= value <= RAW_MAX:
            number(value, f"consumer {key}", 0, RAW_MAX)  # raises: out of range
        device = device_id(key)
        raw = float(value)
        amps = (raw - zero) * amps_per_raw
        reading = ConsumerReading(device, amps if amps > 0.0 else 0.0, raw > threshold, raw)
        if type(value) is int:
            if len(made) >= READINGS_MADE_MAX:
                made.clear()
            made[(key, value)] = reading
        append(reading)
    return tuple(readings)


def supplier_values(sensors: dict, names: dict[str, str], what: str) -> dict[str, float]:
    """Check and rename one supplier's sensors; an unknown sensor name rejects the message."""
    values: dict[str, float] = {}
    for name, value in sensors.items():
        canonical = names.get(name)
        if canonical is None:
            raise Rejected("field", f"{what}: unknown sensor {str(name)[:20]!r}")
        low, high = FIELD_LIMITS[canonical]
        values[canonical] = number(value, f"{what}.{name}", low, high)
    return values


def load_on_from(values: dict[str, float], on_threshold_a: float) -> bool | None:
    current = values.get("load_current_a")
    return None if current is None else abs(current) > on_threshold_a


def decode_supplier_batch(obj: object, on_threshold_a: float) -> tuple[SupplierReading, ...]:
    """{"1": {"pvvoltage": 18.2, "lcurrent": 0.8, ...}}: sensors per supplier."""
    batch = json_object(obj, "supplier batch")
    readings = []
    for key, sensors in batch.items():
        device = device_id(key)
        if device == 0:
            raise Rejected("id", "suppliers are numbered from 1")
        what = f"supplier {key}"
        values = supplier_values(json_object(sensors, what), LEGACY_SUPPLIER_FIELDS, what)
        readings.append(SupplierReading(device, values, load_on_from(values, on_threshold_a)))
    return tuple(readings)
