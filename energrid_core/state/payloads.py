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
from energrid_core.commands.command import Command, Phase
from energrid_core.model import Consumer, House, Neighborhood, Supplier
from energrid_core.state.topics import (
    CONSUMER,
    SUPPLIER,
    device_state_topic,
    house_state_topic,
    houses_state_topic,
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
    """A neighborhood's totals, computed exactly as showHouses() prints them.

    The amounts are live: they add up the houses online only. A house silent for longer than
    offline_after_s is left out of them, and counted apart with its last known draw, so that
    nobody reads a house gone quiet for an hour as drawing now.
    """

    houses: int
    devices: int
    consumption_a: float
    consumption_w: float
    supply_a: float
    supply_w: float
    net_w: float
    houses_online: int = 0
    devices_online: int = 0
    left_out_consumption_a: float = 0.0  # the offline houses' last known draw
    left_out_consumption_w: float = 0.0

    @property
    def houses_left_out(self) -> int:
        return self.houses - self.houses_online

    @classmethod
    def from_payload(cls, summary: JsonDict) -> Totals:
        """The totals a neighborhood state payload carries (missing numbers read as 0)."""

        def number(name: str) -> float:
            value = summary.get(name)
            return float(value) if isinstance(value, int | float) else 0.0

        return cls(
            int(number("house_count")),
            int(number("device_count")),
            number("consumption_a"),
            number("consumption_w"),
            number("supply_a"),
            number("supply_w"),
            number("net_w"),
            int(number("houses_online")),
            int(number("devices_online")),
            number("left_out_consumption_a"),
            number("left_out_consumption_w"),
        )


@dataclass(slots=True)  # not frozen: a frozen dataclass is four times slower to make
class HouseSums:
    """What a house adds to its neighborhood's totals."""

    consumption_a: float
    supply_a: float
    supply_w: float
    devices: int
    last_seen: float | None
    devices_online: int = 0  # at the time the sums were made
    # Whether the house's own topic says it is online; None: judge by last_seen when needed.
    # The state publisher sets it when it builds the house's topic, so that houses_online and
    # the live totals count what the house topics show instead of a clock read later.
    online: bool | None = None


def house_sums(house: House, now: float | None = None, offline_after_s: float = 0.0) -> HouseSums:
    """now: count the devices online at that time too (a pass over the devices)."""
    devices = len(house.consumers) + len(house.suppliers)
    online = 0
    if now is not None:
        online = sum(is_online(c.last_seen, now, offline_after_s) for c in house.consumers.values())
        online += sum(
            is_online(s.last_seen, now, offline_after_s) for s in house.suppliers.values()
        )
    return HouseSums(
        house.consume(), house.supply(), house.supply_w(), devices, house.last_seen, online
    )


def totals_of(
    sums: Iterable[HouseSums], mains_voltage_v: float, now: float, offline_after_s: float
) -> Totals:
    """The live totals of the houses online at `now`, and what the others last drew.

    A house is online as its own topic said when the publisher made its sums (`online`), or,
    for sums made elsewhere, by its last reading at `now`.
    """
    consume_a = supply_a = supply_w = left_a = 0.0
    houses = devices = houses_online = devices_online = 0
    for one in sums:
        houses += 1
        devices += one.devices
        online = one.online
        if online is None:
            online = is_online(one.last_seen, now, offline_after_s)
        if not online:
            left_a += one.consumption_a
            continue
        houses_online += 1
        devices_online += one.devices_online
        consume_a += one.consumption_a
        supply_a += one.supply_a
        supply_w += one.supply_w
    consume_w = consume_a * mains_voltage_v
    return Totals(
        houses,
        devices,
        consume_a,
        consume_w,
        supply_a,
        supply_w,
        supply_w - consume_w,
        houses_online,
        devices_online,
        left_a,
        left_a * mains_voltage_v,
    )


def grid_totals(
    grid: Neighborhood, mains_voltage_v: float, now: float, offline_after_s: float
) -> Totals:
    sums = (house_sums(house, now, offline_after_s) for house in grid.houses.values())
    return totals_of(sums, mains_voltage_v, now, offline_after_s)


def status_payload(online: bool, since: float | None = None, instance: str = "") -> JsonDict:
    """The server's availability; the offline one is the MQTT last will.

    instance: the id kept in the server's state directory (see instance.py), so that another
    server can tell it is not alone on the neighborhood.
    """
    if not online:
        return {"status": "offline"}
    return {"status": "online", "since_unix_s": finite(since), "instance": instance}


def neighborhood_state(
    grid: Neighborhood, mains_voltage_v: float, now: float, offline_after_s: float
) -> JsonDict:
    sums = {
        number: house_sums(house, now, offline_after_s) for number, house in grid.houses.items()
    }
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
    counters' payload (energrid_core.manage.energy), null when the server keeps none."""
    totals = totals_of(sums.values(), mains_voltage_v, now, offline_after_s)
    known = [one.last_seen for one in sums.values() if one.last_seen is not None]
    return {
        "neighborhood": neighborhood,
        "house_count": totals.houses,
        "houses_online": totals.houses_online,
        "device_count": totals.devices,
        "devices_online": totals.devices_online,
        "consumption_a": finite(totals.consumption_a),
        "consumption_w": finite(totals.consumption_w),
        "supply_a": finite(totals.supply_a),
        "supply_w": finite(totals.supply_w),
        "net_w": finite(totals.net_w),
        "houses_left_out": totals.houses_left_out,
        "left_out_consumption_a": finite(totals.left_out_consumption_a),
        "left_out_consumption_w": finite(totals.left_out_consumption_w),
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
    energy: its counters' payload (energrid_core.manage.energy), null when the server keeps none."""
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
        "client": command.client,
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


LAYOUT_SPACING_M = 14.0  # metres between two houses' centres in the automatic layout


def layout_position(index: int, count: int) -> tuple[float, float]:
    """The automatic layout: the index-th of count houses on a square grid centred on 0, 0."""
    columns = max(1, math.ceil(math.sqrt(count)))
    offset = (columns - 1) * LAYOUT_SPACING_M / 2
    return (
        index % columns
    ) * LAYOUT_SPACING_M - offset, index // columns * LAYOUT_SPACING_M - offset


def houses_message(neighborhood: int, houses: list[House]) -> Message:
    """The retained list of houses, in order, for a 3D layout: what a headset needs to build
    the scene, without the totals that change all the time. Its payload changes only when
    houses are added or removed, or setHouse names or places one.

    Compact, so that it stays under Mosquitto's message_size_limit (256 KiB) up to tens of
    thousands of houses: the numbers as a plain list, and in `places` only what setHouse set
    (a name, a position). A house without a name is "House <n>"; a house without a position
    stands where layout_position(index, count) puts it, with the spacing the payload gives.
    """
    places: list[JsonDict] = []
    for house in houses:
        place: JsonDict = {}
        if house.name:
            place["name"] = house.name
        if house.x_m is not None and house.y_m is not None:
            place["x_m"], place["y_m"] = house.x_m, house.y_m
        if place:
            places.append({"house": house.identifier, **place})
    state = {
        "neighborhood": neighborhood,
        "houses": [house.identifier for house in houses],
        "layout_spacing_m": LAYOUT_SPACING_M,
        "places": places,
    }
    return houses_state_topic(neighborhood), encode(state)


def house_places(payload: JsonDict) -> list[tuple[int, str, float, float]]:
    """Each listed house's (number, name, x_m, y_m) from a houses payload, the defaults filled
    in as a client does: "House <n>" and the automatic layout."""
    numbers = [n for n in payload.get("houses") or [] if isinstance(n, int)]
    given = {
        p["house"]: p
        for p in payload.get("places") or []
        if isinstance(p, dict) and isinstance(p.get("house"), int)
    }
    result = []
    for index, number in enumerate(numbers):
        place = given.get(number, {})
        x_m, y_m = place.get("x_m"), place.get("y_m")
        if not isinstance(x_m, int | float) or not isinstance(y_m, int | float):
            x_m, y_m = layout_position(index, len(numbers))
        result.append((number, str(place.get("name") or f"House {number}"), x_m, y_m))
    return result


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
