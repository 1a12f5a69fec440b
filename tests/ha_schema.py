"""Home Assistant's MQTT discovery keys for the two components Energrid publishes, as its
documentation lists them (home-assistant.io/integrations/switch.mqtt, sensor.mqtt, and
"MQTT discovery": device, origin, availability). key -> accepted Python types."""

from __future__ import annotations

COMMON = {
    "name": (str, type(None)),
    "unique_id": (str,),
    "object_id": (str,),
    "availability": (list,),
    "availability_mode": (str,),
    "availability_topic": (str,),
    "device": (dict,),
    "origin": (dict,),
    "qos": (int,),
    "icon": (str,),
    "enabled_by_default": (bool,),
    "entity_category": (str,),
    "json_attributes_topic": (str,),
    "json_attributes_template": (str,),
    "encoding": (str,),
}
SWITCH = COMMON | {
    "command_topic": (str,),
    "state_topic": (str,),
    "value_template": (str,),
    "payload_on": (str,),
    "payload_off": (str,),
    "state_on": (str,),
    "state_off": (str,),
    "optimistic": (bool,),
    "retain": (bool,),
    "device_class": (str,),
}
SENSOR = COMMON | {
    "state_topic": (str,),
    "value_template": (str,),
    "unit_of_measurement": (str,),
    "device_class": (str,),
    "state_class": (str,),
    "expire_after": (int,),
    "force_update": (bool,),
    "suggested_display_precision": (int,),
}
REQUIRED = {"switch": ("command_topic",), "sensor": ("state_topic",)}
KEYS = {"switch": SWITCH, "sensor": SENSOR}
DEVICE = {
    "identifiers": (list, str),
    "connections": (list,),
    "manufacturer": (str,),
    "model": (str,),
    "name": (str,),
    "hw_version": (str,),
    "sw_version": (str,),
    "serial_number": (str,),
    "via_device": (str,),
    "suggested_area": (str,),
    "configuration_url": (str,),
}
ORIGIN = {"name": (str,), "sw_version": (str,), "support_url": (str,)}
AVAILABILITY = {
    "topic": (str,),
    "payload_available": (str,),
    "payload_not_available": (str,),
    "value_template": (str,),
}
AVAILABILITY_MODES = ("all", "any", "latest")
STATE_CLASSES = ("measurement", "total", "total_increasing")
# Sensor device classes Energrid uses, with the units Home Assistant accepts for them.
UNITS = {"power": ("W", "kW"), "energy": ("Wh", "kWh", "MWh")}
# The state classes Home Assistant allows with them: its Energy dashboard and long-term statistics
# take an energy sensor only as a total (developers.home-assistant.io, "Sensor entity").
DEVICE_STATE_CLASSES = {"power": ("measurement",), "energy": ("total", "total_increasing")}


def problems(component: str, config: dict) -> list[str]:
    """What is wrong with one discovery config (empty when it is valid)."""
    found = []

    def check(where: str, obj: dict, allowed: dict) -> None:
        for key, value in obj.items():
            if key not in allowed:
                found.append(f"{where}: unknown key {key!r}")
            elif not isinstance(value, allowed[key]):
                found.append(f"{where}: {key} is {type(value).__name__}")

    check(component, config, KEYS[component])
    found += [f"{component}: {key} missing" for key in REQUIRED[component] if key not in config]
    check("device", config.get("device", {}), DEVICE)
    if "device" in config and not config["device"].get("identifiers"):
        found.append("device: no identifiers")
    if "device" in config and "unique_id" not in config:
        found.append("a device block needs a unique_id")
    check("origin", config.get("origin", {}), ORIGIN)
    if "origin" in config and "name" not in config["origin"]:
        found.append("origin: name missing")
    for entry in config.get("availability", []):
        check("availability", entry, AVAILABILITY)
        if "topic" not in entry:
            found.append("availability: topic missing")
    if config.get("availability_mode", "latest") not in AVAILABILITY_MODES:
        found.append(f"availability_mode {config['availability_mode']!r}")
    if component == "sensor":
        if config.get("state_class") not in (None, *STATE_CLASSES):
            found.append(f"state_class {config['state_class']!r}")
        units = UNITS.get(config.get("device_class"))
        if units is not None and config.get("unit_of_measurement") not in units:
            found.append(f"unit {config.get('unit_of_measurement')!r} for {config['device_class']}")
        classes = DEVICE_STATE_CLASSES.get(config.get("device_class"))
        if classes is not None and config.get("state_class") not in classes:
            found.append(f"state_class {config.get('state_class')!r} for {config['device_class']}")
    return found
