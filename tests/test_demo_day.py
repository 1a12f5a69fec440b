"""The demo's day: rooftop panels export at noon, scheduled loads make the evening peak."""

from __future__ import annotations

import random

from energrid.demo import DEMO_PARAMS
from energrid.simulator.board import SimHouse
from energrid.simulator.consumers import SteadyLoad
from energrid.simulator.suppliers import SupplierModel
from energrid.simulator.table import Steady
from energrid.simulator.wire import WireFormat

HOUR_S = 3600.0


def house_net_w(board: SimHouse, hour: float) -> float:
    """What a demo house draws from the grid at an hour (supply net of consumption)."""
    reading = board.step(hour * HOUR_S)
    supply_w = sum(
        v.sensors["load_voltage_v"] * v.sensors["load_current_a"]
        for v in reading.suppliers.values()
    )
    return reading.meter_a * 230.0 - supply_w


def test_a_scheduled_load_draws_only_in_its_hours() -> None:
    oven = SteadyLoad(Steady(power_w=2000.0, noise_pct=0.0, in_use_h=(18.5, 20.5)))
    rng = random.Random(1)
    assert oven.step(60.0, rng, 12 * HOUR_S) == 0.0
    assert oven.step(60.0, rng, 19 * HOUR_S) == 2000.0
    night = SteadyLoad(Steady(power_w=10.0, noise_pct=0.0, in_use_h=(22.0, 6.0)))
    assert night.step(60.0, rng, 23 * HOUR_S) == 10.0 and night.step(60.0, rng, 7 * HOUR_S) == 0.0


def test_the_rooftop_panel_sends_its_surplus_to_the_house_once_the_battery_is_full() -> None:
    panel = SupplierModel(DEMO_PARAMS["Solar Panel"])  # type: ignore[arg-type]
    rng = random.Random(2)
    sensors = {}
    for minute in range(1, 121):  # 11:00 to 13:00: the battery fills, then the house gets it
        sensors = panel.step(11 * HOUR_S + minute * 60.0, 60.0, rng)
    assert sensors["load_voltage_v"] * sensors["load_current_a"] > 1000.0


def test_the_demo_house_exports_at_noon_and_peaks_in_the_evening() -> None:
    types = ["Radiator", "Fridge", "Lamp", "Relay"]
    board = SimHouse(2, types, ["Solar Panel"], WireFormat.DEVICE, 2019, params=DEMO_PARAMS)
    draws = {}
    for minute in range(10 * 60, 21 * 60, 2):  # 10:00 to 21:00, a reading every 2 minutes
        draws[minute] = house_net_w(board, minute / 60)
    assert draws[12 * 60 + 30] < -500.0  # exports in the early afternoon
    assert draws[19 * 60] > 3500.0  # radiator, lamp and oven (with house 1: about 5.5 kW)
