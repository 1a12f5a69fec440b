"""Creating many houses and devices at once numbers them exactly as one at a time does."""

from __future__ import annotations

from energrid_core.model import House, Neighborhood


def test_houses_are_numbered_after_the_last_one() -> None:
    grid = Neighborhood()
    assert [h.identifier for h in grid.add_houses(3)] == [1, 2, 3]
    grid.rm_house(3)
    grid.rm_house(1)
    assert [h.identifier for h in grid.add_houses(2)] == [3, 4]
    assert grid.add_house().identifier == 5
    assert sorted(grid.houses) == [2, 3, 4, 5]


def test_devices_are_numbered_after_the_last_one_in_their_house() -> None:
    house = House(7)
    consumers = house.add_consumers(3, "LED")
    assert [(c.identifier, c.house, c.type) for c in consumers] == [
        (1, 7, "LED"),
        (2, 7, "LED"),
        (3, 7, "LED"),
    ]
    house.rm_consumer(2)
    assert house.add_consumer("Lamp").identifier == 4
    assert [s.identifier for s in house.add_suppliers(2, "Solar Panel")] == [1, 2]
    assert house.add_supplier().identifier == 3
