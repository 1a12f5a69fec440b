"""The per-device format for new boards: one JSON object per device, in physical units."""

from __future__ import annotations

from energrid_core.wire.legacy import load_on_from, supplier_values
from energrid_core.wire.readings import SUPPLIER_FIELDS, ConsumerReading, Rejected, SupplierReading
from energrid_core.wire.values import boolean, json_object, number

MAX_CONSUMER_A = 1000.0
_SUPPLIER_NAMES = {name: name for name in SUPPLIER_FIELDS}


def decode_consumer(obj: object, device: int, on_threshold_a: float) -> ConsumerReading:
    """{"current_a": 0.42, "on": true}: "on" is optional and follows the current when absent."""
    reading = json_object(obj, "consumer reading")
    if "current_a" not in reading:
        raise Rejected("field", "consumer reading needs current_a")
    has_on = "on" in reading
    if len(reading) != 1 + has_on:
        extra = reading.keys() - {"current_a", "on"}
        raise Rejected("field", f"unknown field {str(sorted(extra)[0])[:20]!r}")
    current_a = number(reading["current_a"], "current_a", 0.0, MAX_CONSUMER_A)
    on = boolean(reading["on"], "on") if has_on else current_a > on_threshold_a
    return ConsumerReading(device, current_a, on)


def decode_supplier(obj: object, device: int, on_threshold_a: float) -> SupplierReading:
    """{"pv_voltage_v": 18.2, "load_current_a": 0.8, ..., "load_on": true}: any non-empty subset."""
    if device == 0:
        raise Rejected("id", "suppliers are numbered from 1")
    reading = dict(json_object(obj, "supplier reading"))
    load_on = boolean(reading.pop("load_on"), "load_on") if "load_on" in reading else None
    if not reading:
        raise Rejected("field", "supplier reading has no sensor value")
    values = supplier_values(reading, _SUPPLIER_NAMES, "supplier reading")
    if load_on is None:
        load_on = load_on_from(values, on_threshold_a)
    return SupplierReading(device, values, load_on)
