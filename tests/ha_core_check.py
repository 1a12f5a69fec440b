"""Run by Home Assistant Core's own interpreter (a separate virtualenv): validates discovery
configs with homeassistant.components.mqtt's schemas. Reads [[component, config], ...] as JSON
on stdin; prints one line per problem and exits 1 if any."""

import json
import sys

from homeassistant.components.mqtt import sensor, switch
from homeassistant.components.mqtt.abbreviations import ABBREVIATIONS
from homeassistant.const import __version__

SCHEMAS = {"switch": switch.DISCOVERY_SCHEMA, "sensor": sensor.DISCOVERY_SCHEMA}

failed = 0
configs = json.load(sys.stdin)
for component, config in configs:
    try:
        valid = SCHEMAS[component](dict(config))
    except Exception as exc:  # voluptuous.Invalid and friends
        print(f"{component} {config.get('unique_id')}: {exc}")
        failed += 1
        continue
    dropped = set(config) - set(valid)  # REMOVE_EXTRA drops unknown keys silently
    if dropped:
        print(f"{component} {config.get('unique_id')}: keys Home Assistant ignores: {dropped}")
        failed += 1
    abbreviated = {key for key in config if ABBREVIATIONS.get(key, key) != key}
    if abbreviated:  # discovery would rename them before the schema sees them
        print(f"{component}: abbreviations where full names were meant: {abbreviated}")
        failed += 1
print(f"Home Assistant {__version__}: {len(configs)} configs, {failed} invalid")
sys.exit(1 if failed else 0)
