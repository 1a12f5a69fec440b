"""The city as its broker shows it: every neighborhood rebuilt from its bridged state topics.

Pure, like WatchedGrid (one per neighborhood, reused as is): `apply(topic, payload)` for every
message under `energrid/`, then read. A neighborhood is known once any of its topics arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from energrid.city.topics import is_bridge_topic, neighborhood_of
from energrid.watch_grid import WatchedGrid
from energrid_core.state_payloads import Totals


class Reach(Enum):
    """Whether a neighborhood's figures are live, and if not, why."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"  # its server's last will: the figures are its last ones
    UNREACHABLE = "UNREACHABLE"  # its broker's bridge is down: the figures are the last bridged
    UNKNOWN = "UNKNOWN"  # no status topic (yet)


@dataclass(frozen=True)
class NeighborhoodSummary:
    neighborhood: int
    reach: Reach
    totals: Totals | None  # None before the server published its totals
    houses_online: int
    problem: str | None = None  # the neighborhood topic is present but not Energrid's


@dataclass
class CityState:
    grids: dict[int, WatchedGrid] = field(default_factory=dict)
    bridged: dict[int, bool] = field(default_factory=dict)  # the bridge notification, 1 or 0
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
        self.grid(n).apply(topic, payload)

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
        return NeighborhoodSummary(n, reach, grid.totals(), houses_online, grid.summary_problem)

    def command_of(self, n: int, house: int, kind: str, device: int) -> object:
        """The `command` field of a device's state topic; None when absent or not received."""
        state = self.grid(n).devices.get((house, kind, device))
        return None if state is None else state.get("command")
