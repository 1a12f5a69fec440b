"""The availability sweep: which houses had a device come online or go offline since their
state topics last showed it.

Nothing tells the server that a device fell silent: only time passing does. So the state
publisher's thread asks this sweep, now and then, which houses to mark; the houses' own
topics (built by the publisher) record here what they last showed.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable

from energrid_core.availability import availability
from energrid_core.lock_slices import locked_slices
from energrid_core.model import Neighborhood

SWEEP_HOUSES = 2000  # houses a sweep looks at; a larger grid is covered over several sweeps
SWEEP_CHUNK = 200  # houses looked at per hold of the server lock (~2 ms at 10 devices each)


class AvailabilitySweep:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        clock: Callable[[], float],
        offline_after_s: float,
    ) -> None:
        self.grid = grid
        self.lock = lock  # the server's, held a chunk of houses at a time
        self.clock = clock
        self.offline_after_s = offline_after_s
        self.shown: dict[int, tuple[bool, ...]] = {}  # the flags each house's topics last showed
        self._sweep_from = 0  # the house number the next sweep starts at

    def forget(self, house: int) -> None:
        """A removed house: its topics are cleared and show nothing any more."""
        self.shown.pop(house, None)

    def changed(self) -> list[int]:
        """The houses where a device came online or went offline since their last flush.

        A sweep looks at SWEEP_HOUSES houses at most, going on where the last one stopped, so
        its cost stays bounded however large the grid: a grid of 10,000 houses is covered in
        five sweeps, and a device is then shown offline up to four sweeps late.
        """
        changed = []
        with self.lock:
            now = self.clock()
            houses = self.grid.houses
            numbers = sorted(houses) if len(houses) > SWEEP_HOUSES else list(houses)
        start = bisect_left(numbers, self._sweep_from) if len(numbers) > SWEEP_HOUSES else 0
        if start >= len(numbers):  # past the last house: start over
            start = 0
        chosen = numbers[start : start + SWEEP_HOUSES]
        self._sweep_from = chosen[-1] + 1 if len(chosen) == SWEEP_HOUSES else 0
        for some in locked_slices(self.lock, chosen, SWEEP_CHUNK):
            for identifier in some:
                house = houses.get(identifier)
                if house is not None and self.shown.get(identifier) != availability(
                    house, now, self.offline_after_s
                ):
                    changed.append(identifier)
        return changed
