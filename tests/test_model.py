"""The grid model: statistics in O(1), bounded history, numbering, sums and the sign convention."""

from __future__ import annotations

import pytest

from energrid_core.data import Data
from energrid_core.errors import UnknownDeviceError, UnknownHouseError
from energrid_core.model import Neighborhood


def test_data_keeps_running_statistics() -> None:
    data = Data(history_len=3)
    for t, value in enumerate([4.0, 1.0, 7.0, 2.0]):
        data.update(float(t), value)
    assert (data.last, data.timestamp, data.count) == (2.0, 3.0, 4)
    assert data.mean == pytest.approx(3.5)
    assert (data.min, data.max) == (1.0, 7.0)


def test_history_is_a_ring_of_the_most_recent_readings() -> None:
    data = Data(history_len=3)
    for t in range(10):
        data.update(float(t), float(t * 10))
    assert data.history() == [(7.0, 70.0), (8.0, 80.0), (9.0, 90.0)]
    assert data.count == 10


def test_history_can_be_off() -> None:
    data = Data(history_len=0)
    data.update(1.0, 2.0)
    assert data.history() == []
    assert data.last == 2.0


def test_numbering_starts_at_one_and_never_reuses_a_number() -> None:
    grid = Neighborhood()
    assert [grid.add_house().identifier for _ in range(2)] == [1, 2]
    house = grid.house(1)
    assert [house.add_consumer("LED").identifier for _ in range(3)] == [1, 2, 3]
    house.rm_consumer(3)
    assert house.add_consumer("Lamp").identifier == 4
    assert sorted(house.consumers) == [1, 2, 4]
    house.add_supplier("Solar Panel")
    house.rm_supplier(1)
    assert house.add_supplier("Wind Turbine").identifier == 2
    grid.rm_house(2)
    assert grid.add_house().identifier == 3


def test_creating_houses_costs_the_same_however_many_exist() -> None:
    grid = Neighborhood()
    for _ in range(50_000):
        grid.add_house()
    assert len(grid.houses) == 50_000 and grid.next_house == 50_001


def test_unknown_house_and_device_say_what_exists() -> None:
    grid = Neighborhood()
    with pytest.raises(UnknownHouseError, match="none yet"):
        grid.house(1)
    grid.add_house().add_consumer("LED")
    with pytest.raises(UnknownHouseError, match=r"no house 5 \(houses: 1\)"):
        grid.house(5)
    with pytest.raises(UnknownDeviceError, match="house 1 has no consumer 9 .its consumers: 1."):
        grid.house(1).consumer(9)
    with pytest.raises(UnknownDeviceError, match="no supplier 1"):
        grid.house(1).rm_supplier(1)


def test_consumption_uses_the_meter_when_there_is_one() -> None:
    house = Neighborhood().add_house()
    lamp, led = house.add_consumer("Lamp"), house.add_consumer("LED")
    lamp.current_a.update(1.0, 2.0)
    led.current_a.update(1.0, 0.5)
    assert house.consume() == 2.5
    house.meter_a.update(2.0, 3.0)
    assert house.consume() == 3.0
    assert house.consumption_w(230.0) == 690.0


def test_supply_and_net_balance() -> None:
    house = Neighborhood().add_house()
    panel = house.add_supplier("Solar Panel")
    panel.update(1.0, {"load_voltage_v": 12.0, "load_current_a": 2.0, "pv_voltage_v": 18.0}, True)
    house.meter_a.update(1.0, 0.1)
    assert house.supply() == 2.0
    assert house.supply_w() == 24.0
    assert house.net_w(230.0) == pytest.approx(24.0 - 23.0)  # supply - consumption
    assert panel.load_on is True
    assert panel.last_seen == 1.0


def test_neighborhood_totals() -> None:
    grid = Neighborhood()
    for amps in (1.0, 2.0):
        grid.add_house().meter_a.update(0.0, amps)
    assert grid.global_consume() == 3.0
    assert grid.global_supply() == 0.0


def test_an_interrupted_batch_creates_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    grid = Neighborhood()
    grid.add_house()
    real = Neighborhood.add_house
    calls = 0

    def interrupted_after_three(self: Neighborhood) -> object:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Neighborhood, "add_house", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        grid.add_houses(10)
    assert sorted(grid.houses) == [1]


def test_statistics_and_history_survive_export_and_restore() -> None:
    data = Data(history_len=4)
    for t in range(10):
        data.update(float(t), float(t * 2))
    saved = data.export()
    assert saved["times"] == [6.0, 7.0, 8.0, 9.0]
    smaller = Data(history_len=3)  # restored with a shorter configured history
    smaller.restore(saved)
    assert smaller.history() == [(7.0, 14.0), (8.0, 16.0), (9.0, 18.0)]
    assert (smaller.count, smaller.min, smaller.max, smaller.last) == (10, 0.0, 18.0, 18.0)
    larger = Data(history_len=6)
    larger.restore(saved)
    assert larger.history() == [(6.0, 12.0), (7.0, 14.0), (8.0, 16.0), (9.0, 18.0)]
    larger.update(10.0, 20.0)
    assert larger.history()[-1] == (10.0, 20.0) and len(larger.history()) == 5
