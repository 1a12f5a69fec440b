"""docs/asyncapi.yaml covers the topics of the plugs Energrid binds (Tasmota, Shelly Gen1 and
Gen2) and of Home Assistant (command and discovery topics), and its schemas accept exactly what
the decoders accept: a payload a decoder refuses is one the contract refuses, and the reverse."""

from __future__ import annotations

from types import ModuleType

import orjson
import pytest
from asyncapi_contract import Contract

from energrid_core.adapters.bindings import Binding
from energrid_core.integrations import ha_configs
from energrid_core.integrations.ha_discovery import _STATES
from energrid_core.model import Neighborhood
from energrid_core.wire import shelly, tasmota
from energrid_core.wire.readings import Rejected

TASMOTA = "plug-kitchen"
GEN2 = "shellyplus1pm-a8032ab12345"
GEN1 = "shellies/shelly1pm-A1B2C3"


def test_every_plug_and_home_assistant_topic_has_its_channel(contract: Contract) -> None:
    topics = {
        f"tele/{TASMOTA}/SENSOR": "tasmotaSensor",
        f"stat/{TASMOTA}/POWER": "tasmotaPower",
        f"tele/{TASMOTA}/LWT": "tasmotaOnline",
        tasmota.command_topic(TASMOTA): "tasmotaCommand",
        f"{GEN2}/status/switch:0": "shellySwitchStatus",
        f"{GEN2}/online": "shellyOnline",
        shelly.command_topic(GEN2): "shellyRpc",
        f"{GEN1}/relay/0/power": "shellyGen1Power",
        f"{GEN1}/relay/0": "shellyGen1Relay",
        f"{GEN1}/online": "shellyGen1Online",
        shelly.command_topic(GEN1): "shellyGen1Command",
        ha_configs.command_topic(0, 2, "consumer", 1): "haConsumerCommand",
        ha_configs.command_topic(0, 2, "supplier", 1): "haSupplierCommand",
        ha_configs.config_topic("homeassistant", "sensor", 0, "house_2_net_w"): "haDiscoveryConfig",
        ha_configs.config_topic("ha", "switch", 7, "house_2_consumer_1"): "haDiscoveryConfig",
    }
    reads = tasmota.report_topics(TASMOTA) + shelly.report_topics(GEN2) + shelly.report_topics(GEN1)
    assert set(reads) <= set(topics)  # every topic a binding subscribes to is listed above
    for topic, name in topics.items():
        channel = contract.match(topic)
        assert channel is not None and channel.name == name, topic


def decoded(wire: ModuleType, device: str, topic: str, payload: bytes) -> bool:
    try:
        wire.decode(device, topic, payload)
    except Rejected:
        return False
    return True


SENSOR = {"Time": "2024-03-01T12:00:00", "ENERGY": {"Total": 12.3, "Power": 120, "Current": 0.5}}
STATUS = {"id": 0, "output": True, "apower": 8.9, "voltage": 237.5, "aenergy": {"total": 6532.0}}


def j(value: object) -> bytes:
    return orjson.dumps(value)


REPORTS = [
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j(SENSOR)),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Current": 0.5}})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Power": -5, "Extra": [1, 2]}})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"Time": "x"})),  # no ENERGY
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Total": 1}})),  # no Power nor Current
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Power": 200_000}})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Power": "120"}})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Power": 1, "Current": -1}})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": {"Power": 1, "Voltage": 2000}})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", j({"ENERGY": []})),
    (tasmota, TASMOTA, "tele/{d}/SENSOR", b"[1]"),
    (tasmota, TASMOTA, "stat/{d}/POWER", b"ON"),
    (tasmota, TASMOTA, "stat/{d}/POWER", b" OFF\n"),
    (tasmota, TASMOTA, "stat/{d}/POWER", b"on"),
    (tasmota, TASMOTA, "stat/{d}/POWER", b"TOGGLE"),
    (tasmota, TASMOTA, "tele/{d}/LWT", b"Online"),
    (tasmota, TASMOTA, "tele/{d}/LWT", b"Offline"),
    (tasmota, TASMOTA, "tele/{d}/LWT", b"online"),
    (shelly, GEN2, "{d}/status/switch:0", j(STATUS)),
    (shelly, GEN2, "{d}/status/switch:0", j({"output": False})),
    (shelly, GEN2, "{d}/status/switch:0", j({"apower": 3})),  # no output
    (shelly, GEN2, "{d}/status/switch:0", j({"output": "on"})),
    (shelly, GEN2, "{d}/status/switch:0", j({"output": True, "apower": 1e6})),
    (shelly, GEN2, "{d}/status/switch:0", j({"output": True, "current": -0.1})),
    (shelly, GEN2, "{d}/status/switch:0", j({"output": True, "aenergy": {"total": -1}})),
    (shelly, GEN2, "{d}/status/switch:0", j({"output": True, "aenergy": 5})),
    (shelly, GEN2, "{d}/online", b"true"),
    (shelly, GEN2, "{d}/online", b"false"),
    (shelly, GEN2, "{d}/online", b"True"),
    (shelly, GEN1, "{d}/relay/0/power", b"12.34"),
    (shelly, GEN1, "{d}/relay/0/power", b"-0.5"),
    (shelly, GEN1, "{d}/relay/0/power", b"1e3"),
    (shelly, GEN1, "{d}/relay/0/power", b"twelve"),
    (shelly, GEN1, "{d}/relay/0/power", b"nan"),
    (shelly, GEN1, "{d}/relay/0", b"on"),
    (shelly, GEN1, "{d}/relay/0", b"off"),
    (shelly, GEN1, "{d}/relay/0", b"overpower"),
    (shelly, GEN1, "{d}/online", b"false"),
    (shelly, GEN1, "{d}/online", b"0"),
]


@pytest.mark.parametrize(("wire", "device", "address", "payload"), REPORTS)
def test_the_contract_accepts_a_plug_report_exactly_when_the_decoder_does(
    contract: Contract, wire: ModuleType, device: str, address: str, payload: bytes
) -> None:
    topic = address.format(d=device)
    expected = decoded(wire, device, topic, payload)
    assert (contract.error(topic, payload) is None) == expected, contract.error(topic, payload)


def test_every_plug_command_energrid_sends_fits_the_contract(contract: Contract) -> None:
    sent = [
        wire.encode_command(device, state, 41)
        for wire, device in ((tasmota, TASMOTA), (shelly, GEN2), (shelly, GEN1))
        for state in (0, 1)
    ]
    for topic, payload in sent:
        assert contract.error(topic, payload, contract.sent_channels()) is None, (topic, payload)
    wrong = orjson.loads(sent[3][1]) | {"method": "Switch.Toggle"}
    assert contract.error(shelly.command_topic(GEN2), j(wrong)) is not None


@pytest.mark.parametrize("payload", [b"ON", b"OFF", b"on", b" Off\n", b"1", b"TOGGLE", b"ONN", b""])
def test_the_contract_accepts_a_home_assistant_command_exactly_when_energrid_does(
    contract: Contract, payload: bytes
) -> None:
    topic = ha_configs.command_topic(0, 1, "consumer", 1)
    expected = _STATES.get(payload.strip().upper()) is not None
    assert (contract.error(topic, payload) is None) == expected


def test_every_discovery_config_fits_the_contract(contract: Contract) -> None:
    grid = Neighborhood(0)
    house = grid.add_house()
    house.add_consumer("Lampe")
    house.add_consumer("Frigo")
    house.add_supplier("Solar Panel")
    bindings = {(1, 2): Binding(1, 2, "tasmota", TASMOTA)}
    configs = ha_configs.house_configs(0, house, "homeassistant", bindings)
    assert len(configs) == 5 + 2 * 3  # the house: 3 power and 2 energy sensors
    for topic, config in configs.items():
        assert contract.error(topic, j(config), contract.sent_channels()) is None, topic
    topic, config = next((t, c) for t, c in configs.items() if "/switch/" in t)
    assert contract.error(topic, j(config | {"optimistic": True})) is not None
    assert contract.error(topic, b"", contract.sent_channels()) is None  # cleared
    topic, config = next((t, c) for t, c in configs.items() if "_energy_imported/" in t)
    assert contract.error(topic, j(config | {"state_class": "measurement"})) is not None
