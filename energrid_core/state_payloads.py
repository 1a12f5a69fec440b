"""The grid as state payloads: pure functions from model objects to JSON-ready dicts.

Called under the server's lock. Every number goes through `finite`, so a non-finite value becomes
null and the payloads are JSON that strict parsers accept (no NaN, no Infinity). Times are the
server clock's, in seconds since the Unix epoch. Sign convention as everywhere: consumption and
supply positive, net = supply - consumption.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from energrid_core.availability import is_online
from energrid_core.command import Command, Phase
from energrid_core.model import Consumer, House, Neighborhood, Supplier
from energrid_core.state_topics import (
    CONSUMER,
    SUPPLIER,
    device_state_topic,
    house_state_topic,
    neighborhood_state_topic,
)
from energrid_core.wire.readings import SUPPLIER_FIELDS

JsonDict = dict[str, object]
Message = tuple[str, bytes]  # (topic, payload)
CommandLookup = Callable[[int, str, int], Command | None]  # (house, kind, device) -> last one


def finite(value: float | None) -> float | None:
    """The value, or None when it is missing, NaN or infinite."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def encode(payload: JsonDict) -> bytes:
    """Compact JSON bytes. orjson writes a non-finite float as null, never as NaN or Infinity."""
    return orjson.dumps(payload)


@dataclass(frozen=True, slots=True)
class Totals:
    """A neighborhood's totals, computed exactly as showHouses() prints them."""

    houses: int
    devices: int
    consumption_a: float
    consumption_w: float
    supply_a: float
    supply_w: float
    net_w: float


@dataclass(slots=True)  # not frozen: a frozen dataclass is four times slower to make
class HouseSums:
    """What a house adds to its neighborhood's totals."""

    consumption_a: float
    supply_a: float
    supply_w: float
    devices: int
    last_seen: float | None


def house_sums(house: House, *, last_seen: bool = True) -> HouseSums:
    """last_seen=False leaves out the house's last reading time, which costs a pass over its
    devices of its own (totals alone do not need it)."""
    devices = len(house.consumers) + len(house.suppliers)
    seen = house.last_seen if last_seen else None
    return HouseSums(house.consume(), house.supply(), house.supply_w(), devices, seen)


def totals_of(sums: Iterable[HouseSums], mains_voltage_v: float) -> Totals:
    consume_a = supply_a = supply_w = 0.0
    houses = devices = 0
    for one in sums:
        consume_a += one.consumption_a
        supply_a += one.supply_a
        supply_w += one.supply_w
        devices += one.devices
        houses += 1
    consume_w = consume_a * mains_voltage_v
    return Totals(houses, devices, consume_a, consume_w, supply_a, supply_w, supply_w - consume_w)


def grid_totals(grid: Neighborhood, mains_voltage_v: float) -> Totals:
    sums = (house_sums(house, last_seen=False) for house in grid.houses.values())
    return totals_of(sums, mains_voltage_v)


def status_payload(online: bool, since: float | None = None) -> JsonDict:
    """The server's availability; the offline one is the MQTT last will."""
    if not online:
        return {"status": "offline"}
    return {"status": "online", "since_unix_s": finite(since)}


def neighborhood_state(
    grid: Neighborhood, mains_voltage_v: float, now: float, offline_after_s: float
) -> JsonDict:
    sums = {number: house_sums(house) for number, house in grid.houses.items()}
    return neighborhood_state_of(grid.identifier, sums, mains_voltage_v, now, offline_after_s)


def neighborhood_state_of(
    neighborhood: int,
    sums: dict[int, HouseSums],
    mains_voltage_v: float,
    now: float,
    offline_after_s: float,
    energy: JsonDict | None = None,
) -> JsonDict:
    """The neighborhood's payload from each house's sums, in the houses' order; energy: its
    counters' payload (energrid_core.energy), null when the server keeps none."""
    totals = totals_of(sums.values(), mains_voltage_v)
    seen = [one.last_seen for one in sums.values()]
    known = [t for t in seen if t is not None]
    online = sum(1 for t in seen if is_online(t, now, offline_after_s))
    return {
        "neighborhood": neighborhood,
        "houses": list(sums),
        "house_count": totals.houses,
        "houses_online": online,
        "device_count": totals.devices,
        "consumption_a": finite(totals.consumption_a),
        "consumption_w": finite(totals.consumption_w),
        "supply_a": finite(totals.supply_a),
        "supply_w": finite(totals.supply_w),
        "net_w": finite(totals.net_w),
        "mains_voltage_v": finite(mains_voltage_v),
        "last_reading_unix_s": finite(max(known)) if known else None,
        "energy": _finite_energy(energy),
    }


def house_state(
    house: House,
    mains_voltage_v: float,
    now: float,
    offline_after_s: float,
    sums: HouseSums | None = None,
    energy: JsonDict | None = None,
) -> JsonDict:
    """sums: the house's, when the caller has them already (each is a pass over its devices);
    energy: its counters' payload (energrid_core.energy), null when the server keeps none."""
    if sums is None:
        sums = house_sums(house)
    consumption_w = sums.consumption_a * mains_voltage_v  # as House.consumption_w
    return {
        "house": house.identifier,
        "online": is_online(sums.last_seen, now, offline_after_s),  # as house_online
        "last_reading_unix_s": finite(sums.last_seen),
        "metered": house.metered,
        "consumption_a": finite(sums.consumption_a),
        "consumption_w": finite(consumption_w),
        "supply_a": finite(sums.supply_a),
        "supply_w": finite(sums.supply_w),
        "net_w": finite(sums.supply_w - consumption_w),  # as House.net_w
        "consumers": list(house.consumers),
        "suppliers": list(house.suppliers),
        "energy": _finite_energy(energy),
    }


def _finite_energy(energy: JsonDict | None) -> JsonDict | None:
    if energy is None:
        return None
    return {name: finite(value) for name, value in energy.items()}  # type: ignore[arg-type]


def command_state(command: Command | None) -> JsonDict | None:
    if command is None:
        return None
    obeyed = True if command.phase is Phase.CONFIRMED else False if command.not_obeyed else None
    return {
        "state": command.state,
        "status": command.phase.status,
        "phase": command.phase.value,
        "sent_unix_s": finite(command.sent_at),
        "resolved_unix_s": finite(command.resolved_at),
        "timeout_s": finite(command.expires_at - command.created),
        "source": "server" if command.from_server else "other",
        "sends": command.sends,
        "device_shows": None if command.shown is None else int(command.shown),
        "obeyed": obeyed,
    }


def consumer_state(
    consumer: Consumer,
    mains_voltage_v: float,
    now: float,
    offline_after_s: float,
    command: Command | None = None,
) -> JsonDict:
    current = finite(consumer.current_a.last)
    return {
        "house": consumer.house,
        "consumer": consumer.identifier,
        "type": consumer.type,
        "on": consumer.on,
        "current_a": current,
        "power_w": None if current is None else finite(consumer.power_w(mains_voltage_v)),
        "online": is_online(consumer.last_seen, now, offline_after_s),
        "last_reading_unix_s": finite(consumer.last_seen),
        "command": command_state(command),
    }


def supplier_state(
    supplier: Supplier, now: float, offline_after_s: float, command: Command | None = None
) -> JsonDict:
    seen = supplier.last_seen is not None
    payload: JsonDict = {
        "house": supplier.house,
        "supplier": supplier.identifier,
        "type": supplier.type,
        "load_on": supplier.load_on,
        "supply_a": finite(supplier.supply_a) if seen else None,
        "supply_w": finite(supplier.supply_w) if seen else None,
    }
    for name in SUPPLIER_FIELDS:
        payload[name] = finite(supplier.value(name))
    payload["online"] = is_online(supplier.last_seen, now, offline_after_s)
    payload["last_reading_unix_s"] = finite(supplier.last_seen)
    payload["command"] = command_state(command)
    return payload


def neighborhood_message(
    neighborhood: int,
    sums: dict[int, HouseSums],
    mains_voltage_v: float,
    now: float,
    offline_after_s: float,
    energy: JsonDict | None = None,
) -> Message:
    state = neighborhood_state_of(neighborhood, sums, mains_voltage_v, now, offline_after_s, energy)
    return neighborhood_state_topic(neighborhood), encode(state)


def house_messages(
    neighborhood: int,
    house: House,
    mains_voltage_v: float,
    now: float,
    offline_after_s: float,
    command: CommandLookup,
    sums: HouseSums | None = None,
    energy: JsonDict | None = None,
) -> list[Message]:
    """The house's topic and payload, then each consumer's and each supplier's."""
    h = house.identifier
    state = house_state(house, mains_voltage_v, now, offline_after_s, sums, energy)
    messages = [(house_state_topic(neighborhood, h), encode(state))]
    for c in house.consumers.values():
        last = command(h, CONSUMER, c.identifier)
        state = consumer_state(c, mains_voltage_v, now, offline_after_s, last)
        messages.append(
            (device_state_topic(neighborhood, h, CONSUMER, c.identifier), encode(state))
        )
    for s in house.suppliers.values():
        state = supplier_state(s, now, offline_after_s, command(h, SUPPLIER, s.identifier))
        messages.append(
            (device_state_topic(neighborhood, h, SUPPLIER, s.identifier), encode(state))
        )
    return messages


def house_topics(neighborhood: int, house: House) -> list[str]:
    """Every topic a house's state is published on: what its removal clears."""
    h = house.identifier
    topics = [house_state_topic(neighborhood, h)]
    topics += [device_state_topic(neighborhood, h, CONSUMER, c) for c in house.consumers]
    topics += [device_state_topic(neighborhood, h, SUPPLIER, s) for s in house.suppliers]
    return topics
