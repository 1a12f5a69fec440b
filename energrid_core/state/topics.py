"""The topics Energrid publishes its computed state on, outside the boards' `Neighborhood/...` tree.

    energrid/<n>/status                                 server online/offline (last will)
    energrid/<n>/state/neighborhood                     the totals
    energrid/<n>/state/houses                           the list of houses, names and places
    energrid/<n>/state/house/<h>                        one house and the list of its devices
    energrid/<n>/state/house/<h>/consumer/<c>           one consumer
    energrid/<n>/state/house/<h>/supplier/<s>           one supplier

Every one of them is retained, so a client that subscribes late gets the whole grid at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from energrid_core.model import DeviceKind
from energrid_core.topics import parse_id

ROOT = "energrid"
CONSUMER = DeviceKind.CONSUMER
SUPPLIER = DeviceKind.SUPPLIER
DEVICE_KINDS = (CONSUMER, SUPPLIER)


def root_filter(neighborhood: int) -> str:
    """Everything Energrid publishes for a neighborhood (what a client such as VR subscribes to)."""
    return f"{ROOT}/{neighborhood}/#"


def status_topic(neighborhood: int) -> str:
    return f"{ROOT}/{neighborhood}/status"


def neighborhood_state_topic(neighborhood: int) -> str:
    return f"{ROOT}/{neighborhood}/state/neighborhood"


def houses_state_topic(neighborhood: int) -> str:
    """The list of houses with their names and places: changes only when houses do."""
    return f"{ROOT}/{neighborhood}/state/houses"


def house_state_topic(neighborhood: int, house: int) -> str:
    return f"{ROOT}/{neighborhood}/state/house/{house}"


def device_state_topic(neighborhood: int, house: int, kind: str, device: int) -> str:
    """kind is CONSUMER or SUPPLIER."""
    return f"{house_state_topic(neighborhood, house)}/{kind}/{device}"


@dataclass(frozen=True, slots=True)
class StateTopic:
    """A parsed state topic. house and device are None where they do not apply."""

    kind: str  # "status", "neighborhood", "houses", "house", CONSUMER or SUPPLIER
    house: int | None = None
    device: int | None = None


def parse_state_topic(topic: str, neighborhood: int) -> StateTopic | None:
    """Classify a topic under energrid/<neighborhood>/; None when it is not one of ours."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != ROOT or parse_id(parts[1]) != neighborhood:
        return None
    rest = parts[2:]
    if rest == ["status"]:
        return StateTopic("status")
    if rest == ["state", "neighborhood"]:
        return StateTopic("neighborhood")
    if rest == ["state", "houses"]:
        return StateTopic("houses")
    if len(rest) not in (3, 5) or rest[:2] != ["state", "house"]:
        return None
    house = parse_id(rest[2])
    if house is None or house == 0:
        return None
    if len(rest) == 3:
        return StateTopic("house", house)
    device = parse_id(rest[4])
    if rest[3] not in DEVICE_KINDS or device is None or device == 0:
        return None
    return StateTopic(rest[3], house, device)
