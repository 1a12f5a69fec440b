"""Home Assistant MQTT discovery configs of a grid: pure functions, no MQTT.

Every house is a Home Assistant device with three power sensors (consumed, supplied, net, in W,
read from its state topic); every consumer is a `switch` (and a power sensor), every supplier a
`switch` of its load (and a supply sensor). A switch's commands go to Energrid's HA command topic,
which the server turns into setConsumer / setSupplier; its state comes from the device's state
topic. An entity is available while the server is online and the device (or house) is, and for a
bound plug while the plug says it is online.

Every house also has two energy sensors, imported and exported, in kWh, read from the `energy`
object of its state topic (energrid_core.manage.energy): `device_class: energy` with `state_class:
total_increasing`, what Home Assistant's Energy dashboard offers as grid consumption and return
to grid. Total, not today's: the counters only grow (they are saved with the grid), and Home
Assistant computes each day's part itself.

Topics: `<prefix>/<component>/energrid_<n>/<object>/config`, retained.
"""

from __future__ import annotations

from importlib import metadata

from energrid_core.adapters.bindings import Binding
from energrid_core.model import House
from energrid_core.state.topics import (
    CONSUMER,
    SUPPLIER,
    device_state_topic,
    house_state_topic,
    status_topic,
)

JsonDict = dict[str, object]


def _version() -> str:
    try:
        return metadata.version("energrid")
    except metadata.PackageNotFoundError:
        return "unknown"


ORIGIN: JsonDict = {"name": "Energrid", "sw_version": _version()}
ONLINE_TEMPLATE = "{{ 'online' if value_json.online else 'offline' }}"


def command_topic(n: int, house: int, kind: str, device: int) -> str:
    """Where Home Assistant sends ON/OFF for a device; Energrid subscribes to it."""
    return f"energrid/{n}/command/house/{house}/{kind}/{device}"


def command_filter(n: int) -> str:
    return f"energrid/{n}/command/#"


def config_topic(prefix: str, component: str, n: int, object_id: str) -> str:
    return f"{prefix}/{component}/energrid_{n}/{object_id}/config"


def config_filter(prefix: str, n: int) -> str:
    """Every config Energrid publishes for neighborhood n (to find stale ones on the broker)."""
    return f"{prefix}/+/energrid_{n}/+/config"


def _server_availability(n: int) -> JsonDict:
    return {
        "topic": status_topic(n),
        "value_template": "{{ value_json.status }}",
        "payload_available": "online",
        "payload_not_available": "offline",
    }


def _online_from(topic: str) -> JsonDict:
    return {
        "topic": topic,
        "value_template": ONLINE_TEMPLATE,
        "payload_available": "online",
        "payload_not_available": "offline",
    }


def house_device(n: int, house: int) -> JsonDict:
    return {
        "identifiers": [f"energrid_{n}_house_{house}"],
        "name": f"Energrid house {house}",
        "manufacturer": "Energrid",
        "model": f"House of neighborhood {n}",
    }


def _power_sensor(
    n: int, house: int, name: str, unique: str, state_topic: str, field: str, available: list
) -> JsonDict:
    return {
        "name": name,
        "unique_id": unique,
        "state_topic": state_topic,
        "value_template": f"{{{{ value_json.{field} }}}}",
        "unit_of_measurement": "W",
        "device_class": "power",
        "state_class": "measurement",
        "availability": available,
        "availability_mode": "all",
        "device": house_device(n, house),
        "origin": ORIGIN,
    }


def _energy_sensor(
    n: int, house: int, name: str, unique: str, state_topic: str, field: str, available: list
) -> JsonDict:
    """A kWh counter Home Assistant's Energy dashboard accepts (the topic carries Wh)."""
    return {
        "name": name,
        "unique_id": unique,
        "state_topic": state_topic,
        "value_template": f"{{{{ (value_json.energy.{field} / 1000) | round(3) }}}}",
        "unit_of_measurement": "kWh",
        "device_class": "energy",
        "state_class": "total_increasing",
        "suggested_display_precision": 2,
        "availability": available,
        "availability_mode": "all",
        "device": house_device(n, house),
        "origin": ORIGIN,
    }


def house_configs(n: int, house: House, prefix: str, bindings: dict) -> dict[str, JsonDict]:
    """topic -> config of every entity of one house and its devices.

    bindings: (house, consumer) -> Binding of the bound consumers.
    """
    h = house.identifier
    state = house_state_topic(n, h)
    available = [_server_availability(n), _online_from(state)]
    configs: dict[str, JsonDict] = {}
    for field, name in (("consumption_w", "Consumption"), ("supply_w", "Supply"), ("net_w", "Net")):
        object_id = f"house_{h}_{field}"
        unique = f"energrid_{n}_{object_id}"
        configs[config_topic(prefix, "sensor", n, object_id)] = _power_sensor(
            n, h, name, unique, state, field, available
        )
    for field, name in (("imported_wh", "Energy imported"), ("exported_wh", "Energy exported")):
        object_id = f"house_{h}_energy_{field.removesuffix('_wh')}"
        unique = f"energrid_{n}_{object_id}"
        configs[config_topic(prefix, "sensor", n, object_id)] = _energy_sensor(
            n, h, name, unique, state, field, available
        )
    for c, consumer in house.consumers.items():
        configs.update(
            _device_configs(n, h, CONSUMER, c, consumer.type, prefix, bindings.get((h, c)))
        )
    for s, supplier in house.suppliers.items():
        configs.update(_device_configs(n, h, SUPPLIER, s, supplier.type, prefix, None))
    return configs


def _device_configs(
    n: int, h: int, kind: str, d: int, type_: str, prefix: str, binding: Binding | None
) -> dict[str, JsonDict]:
    state = device_state_topic(n, h, kind, d)
    available = [_server_availability(n), _online_from(state)]
    if binding is not None:
        topic, yes, no = binding.wire.online_topic(binding.device)
        available.append({"topic": topic, "payload_available": yes, "payload_not_available": no})
    on_field, power_field = ("on", "power_w") if kind == CONSUMER else ("load_on", "supply_w")
    label = f"{type_} {d}" if kind == CONSUMER else f"{type_} {d} load"
    object_id = f"house_{h}_{kind}_{d}"
    switch: JsonDict = {
        "name": label,
        "unique_id": f"energrid_{n}_{object_id}",
        "command_topic": command_topic(n, h, kind, d),
        "payload_on": "ON",
        "payload_off": "OFF",
        "state_topic": state,
        "value_template": f"{{{{ 'ON' if value_json.{on_field} else 'OFF' }}}}",
        "state_on": "ON",
        "state_off": "OFF",
        "availability": available,
        "availability_mode": "all",
        "qos": 1,
        "retain": False,
        "device": house_device(n, h),
        "origin": ORIGIN,
    }
    what = "power" if kind == CONSUMER else "supply"
    sensor = _power_sensor(
        n, h, f"{label} {what}", f"energrid_{n}_{object_id}_{what}", state, power_field, available
    )
    return {
        config_topic(prefix, "switch", n, object_id): switch,
        config_topic(prefix, "sensor", n, f"{object_id}_{what}"): sensor,
    }
