"""The vendor formats a consumer can be bound to, by the name the shell uses."""

from __future__ import annotations

from types import ModuleType

from energrid_core.errors import BadArgumentError
from energrid_core.notes import note
from energrid_core.wire import shelly, tasmota
from energrid_core.wire.vendor import check_device_id

FLAVOURS: dict[str, ModuleType] = {tasmota.FLAVOUR: tasmota, shelly.FLAVOUR: shelly}


def flavour(name: object) -> ModuleType:
    """The wire module of a flavour: report_topics, online_topic, decode, encode_command."""
    found = FLAVOURS.get(name) if isinstance(name, str) else None
    if found is None:
        *others, last = [repr(n) for n in FLAVOURS]
        shown = f"{name!r:.40}"
        raise BadArgumentError(
            note("error.flavour", names=", ".join(others), last=last, value=shown)
        )
    return found


def device_id(name: str, device: object) -> str:
    """Check a device's MQTT name for its flavour (a Gen1 Shelly: 'shellies/<id>')."""
    checked = check_device_id(device, note("error.plug device", flavour=name))
    if name == shelly.FLAVOUR and checked.startswith(shelly.GEN1_PREFIX):
        if checked.count("/") != 1:
            raise BadArgumentError(note("error.gen1 shelly", value=checked))
    elif "/" in checked:
        raise BadArgumentError(note("error.plug slash", flavour=name, value=checked))
    return checked
