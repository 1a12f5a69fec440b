"""The vendor formats a consumer can be bound to, by the name the shell uses."""

from __future__ import annotations

from types import ModuleType

from energrid_core.errors import BadArgumentError
from energrid_core.wire import shelly, tasmota
from energrid_core.wire.vendor import check_device_id

FLAVOURS: dict[str, ModuleType] = {tasmota.FLAVOUR: tasmota, shelly.FLAVOUR: shelly}


def flavour(name: object) -> ModuleType:
    """The wire module of a flavour: report_topics, online_topic, decode, encode_command."""
    found = FLAVOURS.get(name) if isinstance(name, str) else None
    if found is None:
        names = " or ".join(repr(n) for n in FLAVOURS)
        raise BadArgumentError(f"the flavour must be {names}, not {name!r:.40}")
    return found


def device_id(name: str, device: object) -> str:
    """Check a device's MQTT name for its flavour (a Gen1 Shelly: 'shellies/<id>')."""
    checked = check_device_id(device, f"the {name} device")
    if name == shelly.FLAVOUR and checked.startswith(shelly.GEN1_PREFIX):
        if checked.count("/") != 1:
            raise BadArgumentError(f"a Gen1 Shelly is named 'shellies/<id>', not {checked!r}")
    elif "/" in checked:
        raise BadArgumentError(f"the {name} device {checked!r} must not hold '/'")
    return checked
