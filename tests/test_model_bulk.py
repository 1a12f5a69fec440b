"""Creating many houses and devices at once numbers them exactly as one at a time does."""

from __future__ import annotations

from energrid_core.model import House, Neighborhood


def test_houses_are_numbered_after_every_number_handed_out() -> None:
    grid = Neighborhood()
    assert [h.identifier for h in grid.add_houses(3)] == [1, 2, 3]
    grid.rm_house(3)
    grid.rm_house(1)
    assert [h.identifier for h in grid.add_houses(2)] == [4, 5]
    assert grid.add_house().identifier == 6
    assert sorted(grid.houses) == [2, 4, 5, 6]


def test_devices_are_numbered_after_every_number_handed_out_in_their_house() -> None:
    house = House(7)
    consumers = house.add_consumers("LED", 3)
    assert [(c.identifier, c.house, c.type) for c in consumers] == [
        (1, 7, "LED"),
        (2, 7, "LED"),
        (3, 7, "LED"),
    ]
    house.rm_consumer(3)
    assert house.add_consumer("Lamp").identifier == 4
    assert [s.identifier for s in house.add_suppliers("Solar Panel", 2)] == [1, 2]
    assert house.add_supplier().identifier == 3
