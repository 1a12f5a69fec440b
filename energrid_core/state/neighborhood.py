"""The neighborhood's own state topics: its house list and its totals, as the state publisher
sends them.

The totals are the sums of the houses as their own topics last showed them (recorded here by
the publisher when it builds a house's payloads), so that building them holds the server lock
for a copy of the house numbers, not for a pass over every device of the grid.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from energrid_core.model import Neighborhood
from energrid_core.state.payloads import (
    HouseSums,
    JsonDict,
    house_sums,
    houses_message,
    neighborhood_message,
)


class NeighborhoodState:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        clock: Callable[[], float],
        mains_voltage_v: float,
        offline_after_s: float,
        energy: Callable[[float], JsonDict | None] = lambda _now: None,
    ) -> None:
        """energy(now): the neighborhood's energy counters' payload, None when none are kept."""
        self.grid = grid
        self.energy = energy
        self.lock = lock  # the server's
        self.clock = clock
        self.mains_voltage_v = mains_voltage_v
        self.offline_after_s = offline_after_s
        self.sums: dict[int, HouseSums] = {}  # what each house added to the totals it last sent
        self.stale = False  # a house's sums changed since the neighborhood was built

    def record(self, house: int, sums: HouseSums) -> None:
        """What a house's topics show now; called under the server lock."""
        if self.sums.get(house) != sums:
            self.sums[house] = sums
            self.stale = True

    def forget(self, house: int) -> None:
        """A removed house adds nothing any more."""
        self.sums.pop(house, None)

    def messages(self) -> list[tuple[str, bytes]]:
        """The house list and the totals, built under the server lock."""
        with self.lock:
            houses = list(self.grid.houses.values())
            # The house list goes with the totals; unchanged, it is not sent again.
            listed = houses_message(self.grid.identifier, houses)
        return [listed, self._neighborhood_message()]

    def _neighborhood_message(self) -> tuple[str, bytes]:
        """The neighborhood's totals: the sums of its houses as their own topics last showed
        them, so that the server lock is held for a copy of the house numbers, not for a pass
        over every device of the grid (70 ms at 100,000 devices)."""
        sums = self.sums
        self.stale = False
        with self.lock:
            now = self.clock()
            order = list(self.grid.houses)
            for number in order:  # houses not flushed yet (just added): their sums now
                if number not in sums:
                    house = self.grid.houses[number]
                    sums[number] = house_sums(house, now, self.offline_after_s)
        in_order = {number: sums[number] for number in order}
        return neighborhood_message(
            self.grid.identifier,
            in_order,
            self.mains_voltage_v,
            now,
            self.offline_after_s,
            self.energy(now),
        )
