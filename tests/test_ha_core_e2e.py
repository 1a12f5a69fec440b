"""A real Home Assistant Core (2024.3.3, from PyPI, in .venv-ha) against Energrid on Mosquitto.

Home Assistant discovers the houses and switches, and its switch reaches a simulated Tasmota
plug. Skipped unless Home Assistant Core is installed (ENERGRID_TEST_HA=1 ./energrid.sh test).
Home Assistant's own view comes back over MQTT through its mqtt_statestream integration; its
switches are toggled by two automations triggered from the test (no login needed).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import TestClient, unique, wait_for
from mosquitto_fixture import MosquittoProcess, free_port
from test_ha_discovery import HA_INSTALLED, HA_PYTHON

from energrid.simulator.plug_client import PlugClient, run_plugs
from energrid.simulator.plugs import SimPlug
from energrid_core.integrations.ha_discovery import HaDiscovery
from energrid_core.server import GridServer

pytestmark = pytest.mark.skipif(
    not HA_INSTALLED, reason="Home Assistant Core not installed (ENERGRID_TEST_HA=1)"
)
# A first start installs the integrations' own requirements into .venv-ha (the frontend, the
# recorder's database driver...), as Home Assistant does: minutes on a busy 2-core machine.
HA_START_S = 420.0


def configuration(broker: MosquittoProcess, prefix: str, states: str, trigger: str) -> str:
    return f"""homeassistant:
  name: Energrid test
  latitude: 0
  longitude: 0
  elevation: 0
  unit_system: metric
  time_zone: UTC
http:
  server_host: 127.0.0.1
  server_port: {free_port()}
mqtt_statestream:
  base_topic: {states}
  publish_attributes: false
  include:
    domains: [switch, sensor]
automation:
  - alias: switches off
    trigger: {{platform: mqtt, topic: "{trigger}/off"}}
    action: {{service: switch.turn_off, target: {{entity_id: all}}}}
  - alias: switches on
    trigger: {{platform: mqtt, topic: "{trigger}/on"}}
    action: {{service: switch.turn_on, target: {{entity_id: all}}}}
logger:
  default: warning
"""


def mqtt_entry(broker: MosquittoProcess, prefix: str) -> dict:
    """The MQTT integration's config entry, as Home Assistant's UI would have saved it."""
    entry = {
        "entry_id": "energridtestmqtt",
        "version": 1,
        "minor_version": 1,
        "domain": "mqtt",
        "title": broker.host,
        "data": {
            "broker": broker.host,
            "port": broker.port,
            "discovery": True,
            "discovery_prefix": prefix,
        },
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "unique_id": None,
        "disabled_by": None,
    }
    return {
        "version": 1,
        "minor_version": 2,
        "key": "core.config_entries",
        "data": {"entries": [entry]},
    }


@pytest.fixture
def home_assistant(broker: MosquittoProcess, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    prefix, states, trigger = unique("ha"), unique("hastate"), unique("hatest")
    config = tmp_path / "ha-config"
    (config / ".storage").mkdir(parents=True)
    (config / "configuration.yaml").write_text(configuration(broker, prefix, states, trigger))
    (config / ".storage" / "core.config_entries").write_text(json.dumps(mqtt_entry(broker, prefix)))
    log = (tmp_path / "hass.log").open("w")
    hass = subprocess.Popen(
        [HA_PYTHON, "-m", "homeassistant", "-c", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield prefix, states, trigger
    finally:
        hass.terminate()
        try:
            hass.wait(30)
        except subprocess.TimeoutExpired:
            hass.kill()
            hass.wait()
        log.close()


def test_home_assistant_sees_the_grid_and_its_switch_reaches_the_plug(
    server: GridServer, home_assistant: tuple[str, str, str], mqtt_client: TestClient
) -> None:
    prefix, states, trigger = home_assistant
    server.new_houses(1)
    server.new_consumers(1, 1, "Lampe")
    plug = SimPlug("tasmota", unique("ha-e2e-plug"), "Lampe")
    server.bind_device(1, 1, "tasmota", plug.device)
    ha = HaDiscovery(server, prefix=prefix, period_s=0.2)
    ha.start()
    client = PlugClient(plug, server.settings.mqtt_host, server.settings.mqtt_port)
    stop = threading.Event()
    runner = threading.Thread(target=run_plugs, args=([client], 0.5, stop), daemon=True)
    runner.start()
    mqtt_client.subscribe(f"{states}/#")
    switch = f"{states}/switch/energrid_house_1_lampe_1/state"
    net = f"{states}/sensor/energrid_house_1_net/state"
    try:
        wait_for(
            lambda: mqtt_client.received(switch)[-1:] == [b"on"],
            "Home Assistant to show the plug's switch ON",
            HA_START_S,
        )
        wait_for(lambda: mqtt_client.received(net), "Home Assistant's net power of house 1")
        assert float(mqtt_client.received(net)[-1]) < 0  # consuming: net is negative
        mqtt_client.publish(f"{trigger}/off", b"go")
        wait_for(lambda: not plug.on, "Home Assistant's OFF to reach the plug")
        wait_for(lambda: mqtt_client.received(switch)[-1:] == [b"off"], "HA to show it OFF")
        mqtt_client.publish(f"{trigger}/on", b"go")
        wait_for(lambda: plug.on, "Home Assistant's ON to reach the plug")
    finally:
        stop.set()
        runner.join(10)
        ha.stop()
