"""Growing the grid moves it out of the cyclic collector's way (see energrid_core/heap.py)."""

from __future__ import annotations

import gc

from energrid_core.config import Settings
from energrid_core.server import GridServer


def test_new_houses_and_devices_are_frozen_and_still_freed_when_removed() -> None:
    server = GridServer(Settings(client_id="test-heap"))
    gc.unfreeze()
    server.new_houses(2)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    server.new_consumers(1, 3, "LED")
    assert gc.get_freeze_count() > 0
    house = server.grid.houses[1]
    assert gc.get_referrers  # the grid holds no cycles: removing a house frees it by refcount
    assert not any(
        referrer is house
        for consumer in house.consumers.values()
        for referrer in gc.get_referents(consumer)
    )
    removed = server.rm_house(1)
    assert removed is house and 1 not in server.grid.houses
