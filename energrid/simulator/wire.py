"""What a simulated board sends: legacy batch messages or per-device ones (docs/protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import orjson

from energrid_core.config import Calibration
from energrid_core.topics import house_topic
from energrid_core.wire.legacy import LEGACY_SUPPLIER_FIELDS, RAW_MAX

Message = tuple[str, bytes]


class WireFormat(str, Enum):
    LEGACY = "legacy"  # the 2019-2020 boards: one batch per house and kind, raw ADC values
    DEVICE = "device"  # new boards: one message per device, in physical units


# Canonical name -> the name the boards use (the first one listed, never the early misspelling).
BOARD_NAMES: dict[str, str] = {}
for _board, _canonical in LEGACY_SUPPLIER_FIELDS.items():
    BOARD_NAMES.setdefault(_canonical, _board)


@dataclass(frozen=True, slots=True)
class ConsumerValue:
    current_a: float
    on: bool


@dataclass(frozen=True, slots=True)
class SupplierValue:
    sensors: dict[str, float]  # canonical names (pv_voltage_v ...)
    load_on: bool


@dataclass(frozen=True)
class HouseReading:
    """One reading of a house as the simulator means it, before it is encoded."""

    house: int
    meter_a: float
    consumers: dict[int, ConsumerValue]
    suppliers: dict[int, SupplierValue]


def raw_value(current_a: float, calibration: Calibration) -> int:
    """The ADC value a legacy current sensor would give for current_a."""
    return min(RAW_MAX, max(0, calibration.amps_to_raw(current_a)))


def encode_legacy(
    reading: HouseReading, neighborhood: int, calibration: Calibration
) -> list[Message]:
    """{"0": meter, "1": raw, ...} on .../Consumer and {"1": {"pvvoltage": ...}} on .../Supplier."""
    base = house_topic(neighborhood, reading.house)
    batch = {"0": raw_value(reading.meter_a, calibration)}
    for ident, value in reading.consumers.items():
        batch[str(ident)] = raw_value(value.current_a, calibration)
    messages = [(f"{base}/Consumer", orjson.dumps(batch))]
    if reading.suppliers:
        suppliers = {
            str(ident): _legacy_sensors(value.sensors) for ident, value in reading.suppliers.items()
        }
        messages.append((f"{base}/Supplier", orjson.dumps(suppliers)))
    return messages


def _legacy_sensors(sensors: dict[str, float]) -> dict[str, float | int]:
    out: dict[str, float | int] = {BOARD_NAMES[name]: value for name, value in sensors.items()}
    if "bremaining" in out:
        out["bremaining"] = round(out["bremaining"])  # the boards send a whole percent
    return out


def encode_device(reading: HouseReading, neighborhood: int) -> list[Message]:
    """One message per device: {"current_a": ..., "on": ...} and the supplier's canonical names."""
    base = house_topic(neighborhood, reading.house)
    messages = [(f"{base}/Consumer/0", orjson.dumps({"current_a": reading.meter_a}))]
    for ident, value in reading.consumers.items():
        payload = {"current_a": value.current_a, "on": value.on}
        messages.append((f"{base}/Consumer/{ident}", orjson.dumps(payload)))
    for ident, value in reading.suppliers.items():
        payload = {**value.sensors, "load_on": value.load_on}
        messages.append((f"{base}/Supplier/{ident}", orjson.dumps(payload)))
    return messages
