"""Tasmota (https://tasmota.github.io/docs/MQTT/): a plug named by its MQTT topic `<t>`.

Reports, as the Tasmota documentation shows them:
- `tele/<t>/SENSOR`: {"Time": "...", "ENERGY": {"Total": 12.3, "Today": 0.2, "Power": 120,
  "Voltage": 230, "Current": 0.56, ...}} every TelePeriod (energy in kWh, power in W);
- `stat/<t>/POWER`: `ON` or `OFF` when the relay changes;
- `tele/<t>/LWT`: `Online` or `Offline` (retained; `Offline` is the plug's last will).
Command: `cmnd/<t>/POWER` with `ON` or `OFF`.
"""

from __future__ import annotations

from energrid_core.wire.readings import Rejected
from energrid_core.wire.values import json_object, parse_json
from energrid_core.wire.vendor import (
    MAX_CURRENT_A,
    MAX_ENERGY_KWH,
    MAX_POWER_W,
    MAX_VOLTAGE_V,
    DeviceReport,
    optional_number,
    text,
)

FLAVOUR = "tasmota"
_RELAY = {"ON": True, "OFF": False}
_LWT = {"Online": True, "Offline": False}


def report_topics(device: str) -> tuple[str, ...]:
    """The topics a bound plug's reports arrive on (the server subscribes to them)."""
    return (f"tele/{device}/SENSOR", f"stat/{device}/POWER", f"tele/{device}/LWT")


def online_topic(device: str) -> tuple[str, str, str]:
    """(topic, payload when online, payload when offline)."""
    return (f"tele/{device}/LWT", "Online", "Offline")


def command_topic(device: str) -> str:
    return f"cmnd/{device}/POWER"


def encode_command(device: str, state: int, request_id: int = 0) -> tuple[str, bytes]:
    """ON/OFF on cmnd/<t>/POWER (request_id is not used: Tasmota has no request ids)."""
    return command_topic(device), b"ON" if state else b"OFF"


def decode(device: str, topic: str, payload: bytes, max_bytes: int = 16384) -> DeviceReport:
    """One report of plug `device`; Rejected with the reason it is counted under."""
    if topic == f"tele/{device}/SENSOR":
        return decode_sensor(payload, max_bytes)
    if topic == f"stat/{device}/POWER":
        return decode_power(payload)
    if topic == f"tele/{device}/LWT":
        return decode_lwt(payload)
    raise Rejected("topic", f"not a report topic of Tasmota plug {device}")


def decode_sensor(payload: bytes, max_bytes: int = 16384) -> DeviceReport:
    """The ENERGY object of tele/<t>/SENSOR; other sensors in the message are ignored."""
    message = json_object(parse_json(payload, max_bytes), "Tasmota SENSOR")
    if "ENERGY" not in message:
        raise Rejected("field", "Tasmota SENSOR has no ENERGY object (not a power-metering plug)")
    energy = json_object(message["ENERGY"], "Tasmota ENERGY")
    power = optional_number(energy, "Power", "ENERGY.Power", -MAX_POWER_W, MAX_POWER_W)
    current = optional_number(energy, "Current", "ENERGY.Current", 0.0, MAX_CURRENT_A)
    if power is None and current is None:
        raise Rejected("field", "Tasmota ENERGY has neither Power nor Current")
    return DeviceReport(
        power_w=power,
        current_a=current,
        voltage_v=optional_number(energy, "Voltage", "ENERGY.Voltage", 0.0, MAX_VOLTAGE_V),
        energy_total_kwh=optional_number(energy, "Total", "ENERGY.Total", 0.0, MAX_ENERGY_KWH),
    )


def decode_power(payload: bytes) -> DeviceReport:
    value = text(payload)
    if value not in _RELAY:
        raise Rejected("command", f"Tasmota POWER must be ON or OFF, not {value[:20]!r}")
    return DeviceReport(on=_RELAY[value])


def decode_lwt(payload: bytes) -> DeviceReport:
    value = text(payload)
    if value not in _LWT:
        raise Rejected("shape", f"Tasmota LWT must be Online or Offline, not {value[:20]!r}")
    return DeviceReport(online=_LWT[value])
