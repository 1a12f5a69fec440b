"""State payloads and topics: pure functions, no broker."""

from __future__ import annotations

import pytest
from asyncapi_contract import Contract

from energrid.shell import views
from energrid_core.availability import is_online
from energrid_core.model import Neighborhood
from energrid_core.state.payloads import (
    consumer_state,
    encode,
    grid_totals,
    house_state,
    neighborhood_state,
    supplier_state,
)
from energrid_core.state.topics import (
    StateTopic,
    device_state_topic,
    house_state_topic,
    houses_state_topic,
    neighborhood_state_topic,
    parse_state_topic,
    status_topic,
)

MAINS_V = 230.0


def demo_grid() -> Neighborhood:
    """Two houses: one metered with two consumers and a panel, one summing its consumers."""
    grid = Neighborhood(0)
    one, two = grid.add_house(), grid.add_house()
    one.meter_a.update(10.0, 25.94)
    for amps in (0.88, 0.0):
        one.add_consumer("LED").current_a.update(10.0, amps)
    one.add_supplier("Solar Panel").update(
        11.0, {"load_voltage_v": 12.1, "load_current_a": 0.8}, True
    )
    for amps in (1.5, 2.25, 0.3):
        two.add_consumer("Lamp").current_a.update(12.0, amps)
    return grid


def test_neighborhood_totals_are_what_show_houses_prints() -> None:
    grid = demo_grid()
    state = neighborhood_state(grid, MAINS_V, 13.0, 30.0)
    first_line = views.houses_view(grid, 13.0, MAINS_V).splitlines()[0]
    assert views.neighborhood_line(0, grid_totals(grid, MAINS_V, 13.0, 30.0)) == first_line
    houses = grid.houses.values()
    assert state["consumption_a"] == sum(h.consume() for h in houses)
    assert state["supply_w"] == sum(h.supply_w() for h in houses)
    assert state["net_w"] == state["supply_w"] - state["consumption_a"] * MAINS_V
    assert state["house_count"] == 2 and state["device_count"] == 6
    assert "houses" not in state  # the list is energrid/<n>/state/houses
    assert state["last_reading_unix_s"] == 12.0


def test_house_and_device_payloads_follow_the_model() -> None:
    grid = demo_grid()
    one = grid.house(1)
    house = house_state(one, MAINS_V, 13.0, 30.0)
    assert house["consumption_a"] == 25.94 and house["metered"] is True
    assert house["net_w"] == one.net_w(MAINS_V)
    assert house["consumers"] == [1, 2] and house["suppliers"] == [1]
    lamp = consumer_state(one.consumer(1), MAINS_V, 13.0, 30.0)
    assert lamp["power_w"] == pytest.approx(0.88 * MAINS_V)
    assert lamp["command"] is None and lamp["online"] is True
    panel = supplier_state(one.supplier(1), 13.0, 30.0)
    assert panel["supply_w"] == pytest.approx(9.68) and panel["load_on"] is True
    assert panel["pv_voltage_v"] is None


def test_payloads_fit_the_asyncapi_document(contract: Contract) -> None:
    grid = demo_grid()
    one = grid.house(1)
    messages = [
        (neighborhood_state_topic(0), neighborhood_state(grid, MAINS_V, 13.0, 30.0)),
        (house_state_topic(0, 1), house_state(one, MAINS_V, 13.0, 30.0)),
        (device_state_topic(0, 1, "consumer", 1), consumer_state(one.consumer(1), MAINS_V, 0, 1)),
        (device_state_topic(0, 1, "supplier", 1), supplier_state(one.supplier(1), 13.0, 30.0)),
    ]
    for topic, payload in messages:
        assert contract.error(topic, encode(payload)) is None, topic
    broken = dict(messages[1][1], online="yes")
    assert "online" in (contract.error(messages[1][0], encode(broken)) or "")


def test_state_topics_parse_back() -> None:
    assert parse_state_topic(status_topic(3), 3) == StateTopic("status")
    assert parse_state_topic(neighborhood_state_topic(3), 3) == StateTopic("neighborhood")
    assert parse_state_topic(houses_state_topic(3), 3) == StateTopic("houses")
    assert parse_state_topic(house_state_topic(3, 7), 3) == StateTopic("house", 7)
    topic = device_state_topic(3, 7, "supplier", 2)
    assert parse_state_topic(topic, 3) == StateTopic("supplier", 7, 2)
    for other in (
        "energrid/4/status",
        "energrid/3/state/house/0",
        "energrid/3/state/house/x",
        "energrid/3/state/house/7/lamp/1",
        "energrid/3/state/house/7/consumer",
        "Neighborhood/3/House/7",
    ):
        assert parse_state_topic(other, 3) is None, other


def test_availability_threshold() -> None:
    assert is_online(100.0, 110.0, 10.0)
    assert not is_online(100.0, 110.5, 10.0)
    assert not is_online(None, 0.0, 10.0)
