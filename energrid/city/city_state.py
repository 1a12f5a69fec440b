"""The city as its broker shows it: every neighborhood rebuilt from its bridged state topics.

Pure, like WatchedGrid (one per neighborhood, reused as is): `apply(topic, payload)` for every
message under `energrid/`, then read. A neighborhood is known once any of its topics arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import orjson

from energrid.city.topics import is_alarms_topic, is_bridge_topic, neighborhood_of
from energrid.watch.grid import WatchedGrid
from energrid_core.state.payloads import Totals


class Reach(Enum):
    """Whether a neighborhood's figures are live, and if not, why."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"  # its server's last will: the figures are its last ones
    UNREACHABLE = "UNREACHABLE"  # its broker's bridge is down: the figures are the last bridged
    UNKNOWN = "UNKNOWN"  # no status topic (yet)


@dataclass(frozen=True)
class EnergyToday:
    """What the neighborhood imported and exported since its server's local midnight."""

    imported_wh: float
    exported_wh: float


# The neighborhood topic's `energy` is null: its server keeps no energy (docs/protocol.md).
NOT_KEPT = "not kept"


@dataclass(frozen=True)
class NeighborhoodSummary:
    neighborhood: int
    reach: Reach
    totals: Totals | None  # None before the server published its totals
    houses_online: int
    problem: str | None = None  # the neighborhood topic is present but not Energrid's
    # Today's energy; NOT_KEPT when the server keeps none; None when the totals carry none.
    energy: EnergyToday | str | None = None
    # The texts of the active alarms, oldest first; None before (or without) the alarms topic.
    alarms: tuple[str, ...] | None = None
    alarms_problem: str | None = None  # the alarms topic is present but not Energrid's


def energy_today(summary: dict[str, object] | None) -> EnergyToday | str | None:
    """The `energy` object of a neighborhood payload, read as today's import and export."""
    if summary is None or "energy" not in summary:
        return None
    energy = summary["energy"]
    if energy is None:
        return NOT_KEPT
    if not isinstance(energy, dict):
        return None
    values = [energy.get("today_imported_wh"), energy.get("today_exported_wh")]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    return EnergyToday(float(values[0]), float(values[1]))  # type: ignore[arg-type]


def alarm_texts(payload: bytes) -> tuple[str, ...]:
    """The texts of an alarms payload, in its order; ValueError when it is not Energrid's."""
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError:
        decoded = None
    alarms = decoded.get("alarms") if type(decoded) is dict else None
    if not isinstance(alarms, list):
        raise ValueError(f"{len(payload)} bytes that are not a JSON object with its alarms")
    texts = []
    for alarm in alarms:
        text = alarm.get("text") if isinstance(alarm, dict) else None
        texts.append(text if isinstance(text, str) else str(alarm))
    return tuple(texts)


@dataclass
class CityState:
    grids: dict[int, WatchedGrid] = field(default_factory=dict)
    bridged: dict[int, bool] = field(default_factory=dict)  # the bridge notification, 1 or 0
    alarms: dict[int, tuple[str, ...]] = field(default_factory=dict)  # from energrid/<n>/alarms
    alarms_problems: dict[int, str] = field(default_factory=dict)  # its payload is not Energrid's
    messages: int = 0

    def apply(self, topic: str, payload: bytes) -> None:
        n = neighborhood_of(topic)
        if n is None:
            return
        self.messages += 1
        if is_bridge_topic(topic):
            if payload in (b"1", b"0"):
                self.bridged[n] = payload == b"1"
            elif not payload:
                self.bridged.pop(n, None)
            self.grid(n)
            return
        if is_alarms_topic(topic):
            self._apply_alarms(n, payload)
            return
        self.grid(n).apply(topic, payload)

    def _apply_alarms(self, n: int, payload: bytes) -> None:
        """An empty payload removes the neighborhood's alarms topic; an unreadable one is said."""
        self.grid(n)
        self.alarms.pop(n, None)
        self.alarms_problems.pop(n, None)
        if not payload:
            return
        try:
            self.alarms[n] = alarm_texts(payload)
        except ValueError as exc:
            self.alarms_problems[n] = str(exc)

    def grid(self, n: int) -> WatchedGrid:
        grid = self.grids.get(n)
        if grid is None:
            grid = self.grids[n] = WatchedGrid(n)
        return grid

    def neighborhoods(self) -> list[int]:
        return sorted(self.grids)

    def summary(self, n: int) -> NeighborhoodSummary:
        grid = self.grid(n)
        if self.bridged.get(n) is False:
            reach = Reach.UNREACHABLE
        elif grid.server_online is None:
            reach = Reach.UNKNOWN
        else:
            reach = Reach.ONLINE if grid.server_online else Reach.OFFLINE
        count = (grid.summary or {}).get("houses_online")
        houses_online = count if type(count) is int else 0
        return NeighborhoodSummary(
            n,
            reach,
            grid.totals(),
            houses_online,
            grid.summary_problem,
            energy_today(grid.summary),
            self.alarms.get(n),
            self.alarms_problems.get(n),
        )

    def command_of(self, n: int, house: int, kind: str, device: int) -> object:
        """The `command` field of a device's state topic; None when absent or not received."""
        state = self.grid(n).devices.get((house, kind, device))
        return None if state is None else state.get("command")
