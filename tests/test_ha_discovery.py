"""--ha-discovery: configs checked against Home Assistant's discovery schema, and end to end."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from ha_schema import problems
from helpers import TestClient, unique, wait_for

from energrid.simulator.plug_client import PlugClient, run_plugs
from energrid.simulator.plugs import SimPlug
from energrid_core.integrations.ha_configs import command_topic, house_configs
from energrid_core.integrations.ha_discovery import HaDiscovery
from energrid_core.server import GridServer

REPO = Path(__file__).resolve().parent.parent
HA_PYTHON = os.environ.get("ENERGRID_HA_PYTHON") or str(REPO / ".venv-ha" / "bin" / "python")
# Installed, not only created: its virtualenv's site-packages hold Home Assistant.
HA_INSTALLED = Path(HA_PYTHON).exists() and any(
    Path(HA_PYTHON).parent.parent.glob("lib/python3*/site-packages/homeassistant/const.py")
)


def grid_configs(server: GridServer, prefix: str = "homeassistant") -> dict[str, dict]:
    bound = {b.key: b for b in server.bindings.all()}
    n = server.settings.neighborhood
    configs = {}
    with server.lock:
        for house in server.grid.houses.values():
            configs.update(house_configs(n, house, prefix, bound))
    return configs


def component(topic: str) -> str:
    return topic.split("/")[1]


@pytest.fixture
def built(server: GridServer) -> GridServer:
    server.new_houses(2)
    server.new_consumers(1, 2, "Lampe")
    server.new_suppliers(1, 1, "Solar Panel")
    server.new_consumers(2, 1, "Frigo")
    server.bind_device(1, 2, "tasmota", unique("ha-plug"))
    return server


def test_every_config_follows_the_documented_discovery_schema(built: GridServer) -> None:
    configs = grid_configs(built)
    # houses: 3 power and 2 energy sensors each; devices: a switch and a sensor each
    assert len(configs) == 2 * 5 + 4 * 2
    found = [f"{t}: {p}" for t, c in configs.items() for p in problems(component(t), c)]
    assert found == []
    unique_ids = [c["unique_id"] for c in configs.values()]
    assert len(set(unique_ids)) == len(unique_ids)
    net = next(c for t, c in configs.items() if t.endswith("house_1_net_w/config"))
    assert (net["device_class"], net["state_class"], net["unit_of_measurement"]) == (
        "power",
        "measurement",
        "W",
    )
    for way in ("imported", "exported"):  # what Home Assistant's Energy dashboard can use
        energy = next(c for t, c in configs.items() if t.endswith(f"house_1_energy_{way}/config"))
        assert (energy["device_class"], energy["state_class"], energy["unit_of_measurement"]) == (
            "energy",
            "total_increasing",
            "kWh",
        )
        assert energy["state_topic"] == f"energrid/{built.settings.neighborhood}/state/house/1"
        assert f"value_json.energy.{way}_wh / 1000" in energy["value_template"]
    plug_switch = next(c for t, c in configs.items() if t.endswith("house_1_consumer_2/config"))
    assert [a["topic"].split("/")[-1] for a in plug_switch["availability"]] == [
        "status",
        "2",
        "LWT",
    ]


def test_the_schema_check_catches_a_wrong_config() -> None:
    assert problems(
        "sensor", {"state_topic": "t", "device_class": "power", "unit_of_measurement": "A"}
    )
    assert problems("switch", {"state_topic": "t"})  # no command_topic
    assert problems("switch", {"command_topic": "t", "stat_t": "x"})
    assert problems("sensor", {"state_topic": "t", "device": {"name": "x"}})
    energy = {"state_topic": "t", "device_class": "energy", "unit_of_measurement": "kWh"}
    assert problems("sensor", energy | {"state_class": "measurement"})  # not for the dashboard
    total = energy | {"state_class": "total_increasing"}
    assert problems("sensor", total | {"unit_of_measurement": "W"})
    assert not problems("sensor", total)


@pytest.mark.skipif(
    not HA_INSTALLED,
    reason="Home Assistant Core not installed: ENERGRID_TEST_HA=1 ./energrid.sh test installs "
    "homeassistant==2024.3.3 (the last release for Python 3.11) in .venv-ha",
)
def test_home_assistant_core_accepts_every_config(built: GridServer) -> None:
    configs = [[component(t), c] for t, c in grid_configs(built).items()]
    result = subprocess.run(
        [HA_PYTHON, str(REPO / "tests" / "ha_core_check.py")],
        input=json.dumps(configs),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "18 configs, 0 invalid" in result.stdout


@pytest.fixture
def discovery(built: GridServer) -> Iterator[HaDiscovery]:
    ha = HaDiscovery(built, prefix=unique("ha"), period_s=0.05)
    ha.start()
    yield ha
    ha.stop()


def retained(client: TestClient, topic: str) -> bytes | None:
    got = client.received(topic)
    return got[-1] if got else None


def test_configs_are_published_follow_removals_and_switches_reach_the_plug(
    built: GridServer, discovery: HaDiscovery, mqtt_client: TestClient
) -> None:
    server, prefix, n = built, discovery.prefix, built.settings.neighborhood
    mqtt_client.subscribe(f"{prefix}/#")
    wait_for(lambda: len(discovery.published) == 18, "the 18 configs")
    switch_topic = f"{prefix}/switch/energrid_{n}/house_1_consumer_2/config"
    wait_for(lambda: retained(mqtt_client, switch_topic), "the plug's switch config")
    config = orjson.loads(retained(mqtt_client, switch_topic))
    assert config["command_topic"] == command_topic(n, 1, "consumer", 2)

    plug = SimPlug("tasmota", server.bindings.get(1, 2).device, "Lampe")
    client = PlugClient(plug, server.settings.mqtt_host, server.settings.mqtt_port)
    stop = threading.Event()
    runner = threading.Thread(target=run_plugs, args=([client], 0.1, stop), daemon=True)
    runner.start()
    try:
        wait_for(client.ready.is_set, "the plug")
        mqtt_client.publish(config["command_topic"], config["payload_off"])  # toggled in HA
        wait_for(lambda: not plug.on, "Home Assistant's OFF to reach the plug")
        mqtt_client.publish(config["command_topic"], config["payload_on"])
        wait_for(lambda: plug.on, "Home Assistant's ON to reach the plug")
        state = f"energrid/{n}/state/house/1/consumer/2"
        assert config["state_topic"] == state
    finally:
        stop.set()
        runner.join(10)
    mqtt_client.publish(config["command_topic"], b"SIDEWAYS")
    wait_for(lambda: server.stats.rejected["command"] == 1, "the bad command counted")

    server.rm_house(2)
    gone = f"{prefix}/switch/energrid_{n}/house_2_consumer_1/config"
    wait_for(lambda: retained(mqtt_client, gone) == b"", "house 2's switch removed")
    assert len(discovery.published) == 18 - 7
    server.new_consumers(1, 1, "LED")
    new = f"{prefix}/switch/energrid_{n}/house_1_consumer_3/config"
    wait_for(lambda: retained(mqtt_client, new), "the new consumer's switch")
    assert orjson.loads(retained(mqtt_client, new))["name"] == "LED 3"


def test_configs_left_by_an_earlier_run_are_cleared(
    built: GridServer, mqtt_client: TestClient
) -> None:
    prefix, n = unique("ha-stale"), built.settings.neighborhood
    stale = f"{prefix}/switch/energrid_{n}/house_9_consumer_1/config"
    mqtt_client.publish(stale, b'{"command_topic": "x"}', retain=True)
    mqtt_client.subscribe(stale)
    wait_for(lambda: retained(mqtt_client, stale), "the stale config on the broker")
    ha = HaDiscovery(built, prefix=prefix, period_s=0.05)
    ha.start()
    try:
        wait_for(lambda: retained(mqtt_client, stale) == b"", "the stale config cleared")
    finally:
        ha.stop()


def test_its_own_configs_from_an_earlier_run_are_cleared_too(
    built: GridServer, mqtt_client: TestClient
) -> None:
    """The server subscribes with no-local: its own retained configs must still come back."""
    prefix, n = unique("ha-own"), built.settings.neighborhood
    mqtt_client.subscribe(f"{prefix}/#")
    first = HaDiscovery(built, prefix=prefix, period_s=0.05)
    first.start()
    wait_for(lambda: len(first.published) == 18, "the first run's configs")
    first.stop()
    built.bridge.routes.clear()
    built.rm_house(2)  # while no discovery runs: its configs stay on the broker
    gone = f"{prefix}/switch/energrid_{n}/house_2_consumer_1/config"
    wait_for(lambda: retained(mqtt_client, gone), "house 2's config on the broker")
    built.client.rm_topic(f"{prefix}/+/energrid_{n}/+/config")
    second = HaDiscovery(built, prefix=prefix, period_s=0.05)
    second.start()
    try:
        wait_for(lambda: retained(mqtt_client, gone) == b"", "the earlier run's config cleared")
    finally:
        second.stop()
