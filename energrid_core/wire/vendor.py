"""What a vendor's device (a Tasmota or Shelly plug) reports, and the checks its adapters share.

The adapters are pure functions like the legacy format: (topic, bytes) in, a `DeviceReport` or
a `Rejected` out, and a command encoded as (topic, bytes). They know neither the grid nor MQTT.
"""

from __future__ import annotations

from dataclasses import dataclass

from energrid_core.errors import BadArgumentError
from energrid_core.notes import Note, note
from energrid_core.wire.readings import Rejected
from energrid_core.wire.values import number

MAX_POWER_W = 100_000.0
MAX_CURRENT_A = 1000.0
MAX_VOLTAGE_V = 1000.0
MAX_ENERGY_KWH = 1e9
MAX_DEVICE_ID_LEN = 64


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """One message of a plug, in physical units; None where the message says nothing."""

    power_w: float | None = None
    current_a: float | None = None
    voltage_v: float | None = None
    energy_total_kwh: float | None = None
    on: bool | None = None  # the relay
    online: bool | None = None  # the device's own last will / online flag

    @property
    def measures(self) -> bool:
        """Whether it carries a reading or the relay's state (not only the online flag)."""
        return self.power_w is not None or self.current_a is not None or self.on is not None


def check_device_id(device_id: object, what: Note | str) -> str:
    """A device's MQTT name: printable ASCII, no wildcard, no empty level, at most 64 characters.
    what: the name's role in the error ('the tasmota device')."""
    if not isinstance(device_id, str) or not device_id:
        shown = f"{device_id!r:.40}"
        raise BadArgumentError(note("error.device id empty", what=what, value=shown))
    if len(device_id) > MAX_DEVICE_ID_LEN:
        raise BadArgumentError(note("error.device id long", what=what, high=MAX_DEVICE_ID_LEN))
    if not device_id.isascii() or not device_id.isprintable() or " " in device_id:
        raise BadArgumentError(note("error.device id ascii", what=what, value=device_id))
    if "+" in device_id or "#" in device_id or "" in device_id.split("/"):
        raise BadArgumentError(note("error.device id level", what=what, value=device_id))
    return device_id


def text(payload: bytes, max_bytes: int = 64) -> str:
    """A short plain-text payload (ON, off, true...), stripped."""
    if len(payload) > max_bytes:
        raise Rejected("oversize", f"{len(payload)} bytes, limit {max_bytes}")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise Rejected("encoding", "payload is not UTF-8") from None


def optional_number(obj: dict, key: str, name: str, low: float, high: float) -> float | None:
    return number(obj[key], name, low, high) if key in obj else None


def plain_number(payload: bytes, name: str, low: float, high: float) -> float:
    """A number sent as text ("12.34"), as Shelly Gen1 sends its power."""
    value = text(payload)
    try:
        parsed = float(value)
    except ValueError:
        raise Rejected("type", f"{name} must be a number, not {value[:20]!r}") from None
    if parsed != parsed or parsed in (float("inf"), float("-inf")):
        raise Rejected("non_finite", f"{name} is not finite")
    return number(parsed, name, low, high)
