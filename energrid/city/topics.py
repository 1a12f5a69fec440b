"""The topics a city adds to each neighborhood's `energrid/<n>/...` (docs/scale-out.md).

    energrid/bridge/<n>        1 or 0, retained: whether neighborhood n's broker is bridged to
                               the city now (Mosquitto's bridge notification and its last will)
    energrid/city/<client id>  the city view's own echo, to know the retained state has arrived

Neither is under `energrid/<n>/`, so no bridge pattern `energrid/<n>/#` carries them back.
"""

from __future__ import annotations

from energrid_core.state.topics import ROOT
from energrid_core.topics import parse_id

BRIDGE = "bridge"
CITY = "city"
STATUS_FILTER = f"{ROOT}/+/status"
SUMMARY_FILTER = f"{ROOT}/+/state/neighborhood"
BRIDGE_FILTER = f"{ROOT}/{BRIDGE}/+"
ALARMS = "alarms"
# Each neighborhood's active alarms (docs/protocol.md): energrid/<n>/alarms, under energrid/<n>/#,
# so the bridge carries it out with the rest of the state.
ALARMS_FILTER = f"{ROOT}/+/{ALARMS}"


def bridge_topic(neighborhood: int) -> str:
    return f"{ROOT}/{BRIDGE}/{neighborhood}"


def echo_topic(client_id: str) -> str:
    return f"{ROOT}/{CITY}/{client_id}"


def neighborhood_of(topic: str) -> int | None:
    """The neighborhood a state or bridge topic is about; None when it is neither."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != ROOT:
        return None
    if parts[1] == BRIDGE:
        return parse_id(parts[2]) if len(parts) == 3 else None
    return parse_id(parts[1])


def is_alarms_topic(topic: str) -> bool:
    parts = topic.split("/")
    return len(parts) == 3 and parts[0] == ROOT and parts[2] == ALARMS


def is_bridge_topic(topic: str) -> bool:
    parts = topic.split("/")
    return len(parts) == 3 and parts[0] == ROOT and parts[1] == BRIDGE
