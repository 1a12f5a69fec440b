"""Shelly plugs and relays, both generations, named by their MQTT id.

Gen2 and later (https://shelly-api-docs.shelly.cloud/gen2/): id such as `shellyplus1pm-a8032ab12345`
- `<id>/status/switch:0`: the Switch component's status, {"id": 0, "output": true, "apower": 8.9,
  "voltage": 237.5, "current": 0.04, "aenergy": {"total": 6.532, ...}, ...} (energy in Wh);
- `<id>/online`: `true` or `false` (retained; `false` is its last will);
- command: a JSON-RPC request on `<id>/rpc`, {"id": 1, "src": "...", "method": "Switch.Set",
  "params": {"id": 0, "on": true}}.
Gen1 (https://shelly-api-docs.shelly.cloud/gen1/): named `shellies/<id>` here, as its topics begin
- `shellies/<id>/relay/0/power`: watts as text (`12.34`); `shellies/<id>/relay/0`: `on` or `off`;
- `shellies/<id>/online`: `true` or `false`;
- command: `on` or `off` on `shellies/<id>/relay/0/command`.
"""

from __future__ import annotations

import orjson

from energrid_core.wire.readings import Rejected
from energrid_core.wire.values import boolean, json_object, parse_json
from energrid_core.wire.vendor import (
    MAX_CURRENT_A,
    MAX_ENERGY_KWH,
    MAX_POWER_W,
    MAX_VOLTAGE_V,
    DeviceReport,
    optional_number,
    plain_number,
    text,
)

FLAVOUR = "shelly"
GEN1_PREFIX = "shellies/"
RPC_SOURCE = "energrid"  # where a Gen2 device sends its replies (<src>/rpc); Energrid ignores them
_ONLINE = {"true": True, "false": False}
_GEN1_RELAY = {"on": True, "off": False}


def is_gen1(device: str) -> bool:
    return device.startswith(GEN1_PREFIX)


def report_topics(device: str) -> tuple[str, ...]:
    if is_gen1(device):
        return (f"{device}/relay/0/power", f"{device}/relay/0", f"{device}/online")
    return (f"{device}/status/switch:0", f"{device}/online")


def online_topic(device: str) -> tuple[str, str, str]:
    return (f"{device}/online", "true", "false")


def command_topic(device: str) -> str:
    return f"{device}/relay/0/command" if is_gen1(device) else f"{device}/rpc"


def encode_command(device: str, state: int, request_id: int = 0) -> tuple[str, bytes]:
    """Gen1: on/off; Gen2: Switch.Set by RPC, request_id matching a reply to its request."""
    if is_gen1(device):
        return command_topic(device), b"on" if state else b"off"
    request = {
        "id": request_id,
        "src": RPC_SOURCE,
        "method": "Switch.Set",
        "params": {"id": 0, "on": bool(state)},
    }
    return command_topic(device), orjson.dumps(request)


def decode(device: str, topic: str, payload: bytes, max_bytes: int = 16384) -> DeviceReport:
    if topic == f"{device}/online":
        return decode_online(payload)
    if is_gen1(device):
        if topic == f"{device}/relay/0/power":
            return DeviceReport(power_w=plain_number(payload, "power", -MAX_POWER_W, MAX_POWER_W))
        if topic == f"{device}/relay/0":
            return decode_gen1_relay(payload)
    elif topic == f"{device}/status/switch:0":
        return decode_switch_status(payload, max_bytes)
    raise Rejected("topic", f"not a report topic of Shelly {device}")


def decode_switch_status(payload: bytes, max_bytes: int = 16384) -> DeviceReport:
    """Gen2 Switch status: output required; apower, current, voltage, aenergy when metered."""
    status = json_object(parse_json(payload, max_bytes), "Shelly switch status")
    if "output" not in status:
        raise Rejected("field", "Shelly switch status has no output")
    energy_kwh = None
    if "aenergy" in status:
        aenergy = json_object(status["aenergy"], "Shelly aenergy")
        total_wh = optional_number(aenergy, "total", "aenergy.total", 0.0, MAX_ENERGY_KWH * 1000)
        energy_kwh = None if total_wh is None else total_wh / 1000.0
    return DeviceReport(
        power_w=optional_number(status, "apower", "apower", -MAX_POWER_W, MAX_POWER_W),
        current_a=optional_number(status, "current", "current", 0.0, MAX_CURRENT_A),
        voltage_v=optional_number(status, "voltage", "voltage", 0.0, MAX_VOLTAGE_V),
        energy_total_kwh=energy_kwh,
        on=boolean(status["output"], "output"),
    )


def decode_gen1_relay(payload: bytes) -> DeviceReport:
    value = text(payload)
    if value not in _GEN1_RELAY:  # "overpower" and the like: not an on/off state
        raise Rejected("command", f"Shelly relay state must be on or off, not {value[:20]!r}")
    return DeviceReport(on=_GEN1_RELAY[value])


def decode_online(payload: bytes) -> DeviceReport:
    value = text(payload)
    if value not in _ONLINE:
        raise Rejected("shape", f"Shelly online must be true or false, not {value[:20]!r}")
    return DeviceReport(online=_ONLINE[value])
