"""The grid as a client sees it: rebuilt from Energrid's state topics alone, not from the server.

Pure: `apply(topic, payload)` for every message received under `energrid/<n>/`, then read. The
retained house list (`state/houses`) lists the houses and each house payload lists its devices,
so a client knows when it has the whole grid (`complete()`), and ignores any topic that is not
listed. The neighborhood payload carries the totals only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from energrid_core.state.payloads import HouseSums, Totals, totals_of
from energrid_core.state.topics import CONSUMER, SUPPLIER, parse_state_topic

State = dict[str, object]
DeviceKey = tuple[int, str, int]


def _number(payload: State, name: str) -> float:
    value = payload.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass
class WatchedGrid:
    neighborhood: int
    status: State | None = None
    summary: State | None = None
    listed: list[int] | None = None  # the house list's numbers, once it arrived
    houses: dict[int, State] = field(default_factory=dict)
    devices: dict[DeviceKey, State] = field(default_factory=dict)
    messages: int = 0
    unreadable: int = 0  # payloads that are not strict JSON objects (none, from Energrid)
    # Why the neighborhood topic's payload is not Energrid's, when it is present but invalid.
    summary_problem: str | None = None

    def apply(self, topic: str, payload: bytes) -> None:
        """One message; an empty payload removes what the topic held."""
        parsed = parse_state_topic(topic, self.neighborhood)
        if parsed is None:
            return
        self.messages += 1
        state: State | None = None
        if payload:
            try:
                decoded = orjson.loads(payload)
            except orjson.JSONDecodeError:
                decoded = None
            if type(decoded) is not dict:
                self.unreadable += 1
                if parsed.kind == "neighborhood":
                    self.summary = None
                    self.summary_problem = f"{len(payload)} bytes that are not a JSON object"
                return
            state = decoded
        if parsed.kind == "status":
            self.status = state
        elif parsed.kind == "neighborhood":
            self.summary, self.summary_problem = state, None
            if state is not None and not isinstance(state.get("house_count"), int):
                self.summary, self.summary_problem = None, "a JSON object without its totals"
        elif parsed.kind == "houses":
            listed = None if state is None else state.get("houses")
            if isinstance(listed, list):
                self.listed = [h for h in listed if type(h) is int]
            else:
                self.listed = None
        elif parsed.kind == "house":
            _store(self.houses, parsed.house, state)
        else:
            _store(self.devices, (parsed.house, parsed.kind, parsed.device), state)

    # --- reading -----------------------------------------------------------------------------

    @property
    def server_online(self) -> bool | None:
        return None if self.status is None else self.status.get("status") == "online"

    def house_ids(self) -> list[int]:
        """The houses the house list names, in the server's order."""
        return list(self.listed or [])

    def device_keys(self, house: int) -> list[DeviceKey]:
        state = self.houses.get(house)
        if state is None:
            return []
        keys = []
        for kind, name in ((CONSUMER, "consumers"), (SUPPLIER, "suppliers")):
            listed = state.get(name)
            if isinstance(listed, list):
                keys += [(house, kind, d) for d in listed if type(d) is int]
        return keys

    def missing(self) -> int:
        """How many listed topics have not arrived yet (the neighborhood's totals and the house
        list count for one each)."""
        count = (self.summary is None) + (self.listed is None)
        for house in self.house_ids():
            if house not in self.houses:
                count += 1
                continue
            count += sum(1 for key in self.device_keys(house) if key not in self.devices)
        return count

    def complete(self) -> bool:
        return self.missing() == 0

    def totals(self) -> Totals | None:
        """The neighborhood's totals as the server published them."""
        return None if self.summary is None else Totals.from_payload(self.summary)

    def house_totals(self) -> Totals:
        """The same totals added up from the house topics by showHouses()'s own sum
        (totals_of): the houses online in the live amounts, the others' draw apart."""
        sums = []
        for house in self.house_ids():
            state = self.houses.get(house)
            if state is None:
                continue
            keys = self.device_keys(house)
            online = sum(1 for key in keys if (self.devices.get(key) or {}).get("online") is True)
            sums.append(
                HouseSums(
                    _number(state, "consumption_a"),
                    _number(state, "supply_a"),
                    _number(state, "supply_w"),
                    len(keys),
                    None,
                    online,
                    state.get("online") is True,  # as the house's topic says: no clock needed
                )
            )
        mains_v = _number(self.summary or {}, "mains_voltage_v")
        return totals_of(sums, mains_v, 0.0, 0.0)

    def devices_online(self) -> tuple[int, int]:
        """(online, listed) over every listed device."""
        keys = [key for house in self.house_ids() for key in self.device_keys(house)]
        online = sum(1 for key in keys if (self.devices.get(key) or {}).get("online") is True)
        return online, len(keys)


def _store(table: dict, key: object, state: State | None) -> None:
    if state is None:
        table.pop(key, None)
    else:
        table[key] = state
