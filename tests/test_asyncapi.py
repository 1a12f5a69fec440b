"""docs/asyncapi.yaml is whole and consistent, covers every topic Energrid uses, and is enforced."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from asyncapi_contract import Contract
from jsonschema import Draft7Validator

from energrid_core.state.topics import (
    device_state_topic,
    house_state_topic,
    houses_state_topic,
    neighborhood_state_topic,
    status_topic,
)
from energrid_core.topics import consumer_command_topic, house_topic, supplier_command_topic
from energrid_core.wire.legacy import FIELD_LIMITS, LEGACY_SUPPLIER_FIELDS


def local_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in local_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in local_refs(value)]
    return []


def test_the_document_is_asyncapi_3_and_every_reference_resolves(contract: Contract) -> None:
    document = contract.document
    assert document["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= document["info"].keys()
    refs = local_refs(document)
    assert len(refs) > 50
    for ref in refs:
        contract.resolve(ref)  # raises KeyError when it points nowhere


def test_channel_parameters_match_their_addresses(contract: Contract) -> None:
    for name, channel in contract.document["channels"].items():
        in_address = set(re.findall(r"\{([a-z]+)\}", channel["address"]))
        assert in_address == set(channel.get("parameters", {})), name


def test_every_channel_has_an_operation_and_every_schema_is_valid(contract: Contract) -> None:
    document = contract.document
    used = {
        op["channel"]["$ref"].removeprefix("#/channels/") for op in document["operations"].values()
    }
    assert used == set(document["channels"])
    for operation in document["operations"].values():
        assert operation["action"] in ("send", "receive")
    for schema in document["components"]["schemas"].values():
        Draft7Validator.check_schema(schema)


def test_every_example_fits_its_own_schema(contract: Contract) -> None:
    checked = 0
    for channel in contract.channels.values():
        for entry in contract.document["channels"][channel.name]["messages"].values():
            message = contract.resolve(entry["$ref"])
            for example in message.get("examples", []):
                payload = example["payload"]
                data = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
                assert channel.error(data) is None, (channel.name, example)
                checked += 1
    assert checked >= 12


def test_every_topic_energrid_builds_has_a_channel(contract: Contract) -> None:
    house = house_topic(0, 2)
    topics = {
        f"{house}/Consumer": "consumerBatch",
        f"{house}/Supplier": "supplierBatch",
        f"{house}/Consumer/0": "consumerReading",
        f"{house}/Supplier/1": "supplierReading",
        consumer_command_topic(0, 2, 1): "consumerCommand",
        supplier_command_topic(0, 2, 1): "supplierCommand",
        status_topic(0): "serverStatus",
        neighborhood_state_topic(0): "neighborhoodState",
        houses_state_topic(0): "housesState",
        house_state_topic(0, 2): "houseState",
        device_state_topic(0, 2, "consumer", 1): "consumerState",
        device_state_topic(0, 2, "supplier", 1): "supplierState",
    }
    for topic, name in topics.items():
        channel = contract.match(topic)
        assert channel is not None and channel.name == name, topic


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("energrid/0/state/house/1", b'{"house": 1}'),
        # the places carry only what setHouse gave, and a position whole
        (
            "energrid/0/state/houses",
            b'{"neighborhood": 0, "houses": [1], "layout_spacing_m": 14, "places": [{"house": 1}]}',
        ),
        (
            "energrid/0/state/houses",
            b'{"neighborhood": 0, "houses": [1], "layout_spacing_m": 14,'
            b' "places": [{"house": 1, "x_m": 3}]}',
        ),
        ("energrid/0/state/house/1/consumer/1", b'{"current_a": NaN}'),
        ("energrid/0/status", b"offline"),
        ("Neighborhood/0/House/1/Consumer/1/set", b"on"),
        ("energrid/0/elsewhere", b"{}"),
    ],
)
def test_the_contract_rejects_what_does_not_fit(
    contract: Contract, topic: str, payload: bytes
) -> None:
    assert contract.error(topic, payload, contract.sent_channels()) is not None


def test_the_probe_fails_a_test_on_a_message_that_breaks_the_contract(
    pytester: pytest.Pytester,
) -> None:
    tests_dir = Path(__file__).resolve().parent
    pytester.makeconftest((tests_dir / "conftest.py").read_text())
    pytester.makepyfile(
        test_probe="""
        import paho.mqtt.client as mqtt
        from helpers import wait_for

        def test_bad_retained_state(make_grid_server, broker):
            grid = make_grid_server()
            other = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
            other.connect(broker.host, broker.port)
            other.loop_start()
            topic = f"energrid/{grid.n}/state/house/1"
            other.publish(topic, b'{"house": "one"}', qos=1, retain=True).wait_for_publish(5)
            other.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
            other.disconnect()
            other.loop_stop()
            wait_for(lambda: len(grid.probe.messages(topic)) >= 2)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*messages that break docs/asyncapi.yaml*", "*house/1*one*"])


def test_supplier_reading_schemas_are_as_strict_as_the_server(contract: Contract) -> None:
    """A value the server refuses (FIELD_LIMITS) is one the schemas refuse, in both formats."""
    schemas = contract.document["components"]["schemas"]
    per_device = schemas["SupplierReading"]["properties"]
    legacy = schemas["SupplierBatch"]["additionalProperties"]["properties"]
    for legacy_name, name in LEGACY_SUPPLIER_FIELDS.items():
        low, high = FIELD_LIMITS[name]
        for schema in (per_device[name], legacy[legacy_name]):
            assert (schema["minimum"], schema["maximum"]) == (low, high), name


def test_the_websockets_server_is_declared_as_mqtt(contract: Contract) -> None:
    """A generator reading `protocol` must build an MQTT client for it, not a bare WebSocket."""
    server = contract.document["servers"]["websockets"]
    assert server["protocol"] == "mqtt" and server["x-transport"] == "websocket"
