"""Growing the grid moves it out of the cyclic collector's way (see energrid_core/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Callable

from energrid_core.model import Consumer, House
from energrid_core.server import GridServer


def collected(watched: set[int]) -> list[object]:
    """Which of the watched objects only the cyclic collector could free (they sat in a cycle)."""
    gc.unfreeze()  # a frozen cycle would never be looked at
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept for us to see
    try:
        gc.collect()
        return [o for o in gc.garbage if id(o) in watched and isinstance(o, House | Consumer)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_new_houses_and_devices_are_frozen_and_still_freed_when_removed(
    make_offline_server: Callable[..., GridServer],
) -> None:
    server = make_offline_server()
    gc.unfreeze()
    server.new_houses(2)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    server.new_consumers(1, 3, "LED")
    assert gc.get_freeze_count() > 0
    house = server.grid.houses[1]
    watched = {id(house), *(id(c) for c in house.consumers.values())}
    gc.unfreeze()
    gc.collect()  # garbage from before (earlier tests' servers) is not ours to count
    gc.disable()  # nothing collected behind our back: refcounts alone free the house, or not
    try:
        removed = server.rm_house(1)
        assert removed is house and 1 not in server.grid.houses
        del house, removed
        # The grid holds no cycles (a house refers to its devices, never back): a removed
        # house and its devices are freed by reference counting, none is left to the collector.
        assert collected(watched) == []
    finally:
        gc.enable()
