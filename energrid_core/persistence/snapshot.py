"""The readings' statistics of a grid as store rows, and back: what survives a restart.

Only devices that have had readings are written. export() and export_houses() copy under the
server's lock; encode() turns the copy into JSON bytes. The server does both a slice of houses
at a time under the lock (energrid_core.lock_slices): bytes are not tracked by the garbage
collector, where a copy of a whole large grid as dicts and lists would be walked by it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import orjson

from energrid_core.data import Data
from energrid_core.model import House, Neighborhood

log = logging.getLogger("energrid.snapshot")

Exported = list[tuple[int, str, int, dict]]


def export(grid: Neighborhood) -> Exported:
    """(house, kind, device, state) for every device with readings; call under the lock."""
    return export_houses(grid.houses.values())


def export_houses(houses: Iterable[House]) -> Exported:
    """The rows of some houses' devices; call under the lock."""
    rows: Exported = []
    for house in houses:
        h = house.identifier
        if house.meter_a.count:
            rows.append((h, "meter", 0, {"meter_a": house.meter_a.export()}))
        for c in house.consumers.values():
            if c.current_a.count:
                state = {"current_a": c.current_a.export(), "on": c.on, "raw": c.raw}
                rows.append((h, "consumer", c.identifier, state))
        for s in house.suppliers.values():
            if s.last_seen is not None:
                sensors = {name: data.export() for name, data in s.sensors.items()}
                state = {"sensors": sensors, "load_on": s.load_on, "last_seen": s.last_seen}
                rows.append((h, "supplier", s.identifier, state))
    return rows


def encode(rows: Exported) -> list[tuple[int, str, int, bytes]]:
    return [(h, kind, device, orjson.dumps(state)) for h, kind, device, state in rows]


def restore(grid: Neighborhood, rows: list[tuple[int, str, int, bytes]]) -> int:
    """Put saved statistics back into the grid's devices; returns how many were restored.

    Rows for devices that no longer exist, and rows that do not decode, are skipped whole.
    """
    restored = 0
    for h, kind, device, blob in rows:
        house = grid.houses.get(h)
        if house is None:
            continue
        length = grid.history_len
        try:
            state = orjson.loads(blob)
            if kind == "meter" and device == 0:
                house.meter_a = _data(length, state["meter_a"])
            elif kind == "consumer" and device in house.consumers:
                current_a = _data(length, state["current_a"])
                on = _optional_bool(state["on"])
                raw = None if state["raw"] is None else float(state["raw"])
                consumer = house.consumers[device]
                consumer.current_a, consumer.on, consumer.raw = current_a, on, raw
            elif kind == "supplier" and device in house.suppliers:
                sensors = {
                    str(name): _data(length, data) for name, data in state["sensors"].items()
                }
                load_on = _optional_bool(state["load_on"])
                last_seen = float(state["last_seen"])
                supplier = house.suppliers[device]
                supplier.sensors, supplier.load_on, supplier.last_seen = sensors, load_on, last_seen
            else:
                continue
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            log.warning("skipped an unreadable snapshot row for house %s %s %s", h, kind, device)
            continue
        restored += 1
    return restored


def _data(history_len: int, state: dict) -> Data:
    data = Data(history_len)
    data.restore(state)
    return data


def _optional_bool(value: object) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise ValueError(f"not a boolean: {value!r}")
