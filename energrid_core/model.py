"""The grid in memory: Neighborhood -> House -> Consumer / Supplier -> Data.

It knows no MQTT and no screen.

Sign convention: consumption and supply are both positive; net balance = supply - consumption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from energrid_core.data import Data
from energrid_core.errors import UnknownDeviceError, UnknownHouseError
from energrid_core.notes import Note, ids_text, note
from energrid_core.wire.readings import SUPPLIER_FIELDS

T = TypeVar("T")


class DeviceKind(StrEnum):
    """The two kinds of device. A StrEnum: it is the word in the store, the state topics and
    the messages ("consumer", "supplier"), and compares equal to it."""

    CONSUMER = "consumer"
    SUPPLIER = "supplier"

    @classmethod
    def of(cls, supplier: bool) -> DeviceKind:
        return cls.SUPPLIER if supplier else cls.CONSUMER

    @property
    def command_name(self) -> str:
        """The shell command that switches one: setConsumer or setSupplier."""
        return "setConsumer" if self is DeviceKind.CONSUMER else "setSupplier"


@dataclass(slots=True, eq=False)
class Consumer:
    """A device drawing current: lamp, LED, fridge, radiator, relay..."""

    identifier: int
    house: int
    type: str
    history_len: int = 60
    current_a: Data = field(init=False)
    on: bool | None = None  # as the last reading says
    commanded: int | None = None  # the last 0/1 command seen on the wire
    raw: float | None = None  # last raw ADC value, for legacy boards

    def __post_init__(self) -> None:
        self.current_a = Data(self.history_len)

    def set_type(self, new_type: str) -> None:
        self.type = new_type

    @property
    def last_seen(self) -> float | None:
        return self.current_a.timestamp

    def power_w(self, mains_voltage_v: float) -> float:
        return (self.current_a.last or 0.0) * mains_voltage_v

    def __repr__(self) -> str:
        ident = f"{self.house}.{self.identifier} {self.type!r}"
        return f"Consumer({ident}, on={self.on}, {self.current_a})"


@dataclass(slots=True, eq=False)
class Supplier:
    """A source: solar panel with battery, wind turbine... Sensors appear with a first reading."""

    identifier: int
    house: int
    type: str
    history_len: int = 60
    sensors: dict[str, Data] = field(default_factory=dict)
    load_on: bool | None = None
    commanded: int | None = None
    last_seen: float | None = None

    def set_type(self, new_type: str) -> None:
        self.type = new_type

    def update(self, timestamp: float, values: dict[str, float], load_on: bool | None) -> None:
        sensors = self.sensors
        for name, value in values.items():
            data = sensors.get(name)
            if data is None:
                data = sensors[name] = Data(self.history_len)
            data.update(timestamp, value)
        if load_on is not None:
            self.load_on = load_on
        self.last_seen = timestamp

    def value(self, name: str) -> float | None:
        data = self.sensors.get(name)
        return None if data is None else data.last

    @property
    def supply_a(self) -> float:
        """Current delivered to the house on the load side."""
        return self.value("load_current_a") or 0.0

    @property
    def supply_w(self) -> float:
        volts, amps = self.value("load_voltage_v"), self.value("load_current_a")
        return volts * amps if volts is not None and amps is not None else 0.0

    def __repr__(self) -> str:
        shown = {n: self.value(n) for n in SUPPLIER_FIELDS if n in self.sensors}
        ident = f"{self.house}.{self.identifier} {self.type!r}"
        return f"Supplier({ident}, load_on={self.load_on}, {shown})"


def _all_or_none(make: Callable[[], T], count: int, index: dict[int, T]) -> list[T]:
    made: list[T] = []
    try:
        for _ in range(count):
            made.append(make())
    except BaseException:
        for thing in made:
            del index[thing.identifier]  # type: ignore[attr-defined]
        raise
    return made


@dataclass(slots=True, eq=False)
class House:
    """A house: its consumers, its suppliers and its own meter (legacy key "0")."""

    identifier: int
    neighborhood: int = 0
    history_len: int = 60
    consumers: dict[int, Consumer] = field(default_factory=dict)
    suppliers: dict[int, Supplier] = field(default_factory=dict)
    meter_a: Data = field(init=False)
    # Numbers are never handed out twice: a removed device's board must not feed a new one.
    next_consumer: int = 1
    next_supplier: int = 1
    # For a 3D layout (setHouse): a name ("" = "House <n>") and a place in metres on the
    # ground (None = the automatic layout's).
    name: str = ""
    x_m: float | None = None
    y_m: float | None = None

    def __post_init__(self) -> None:
        self.meter_a = Data(self.history_len)

    def add_consumer(self, type_: str = "Unknown") -> Consumer:
        consumer = Consumer(self.next_consumer, self.identifier, type_, self.history_len)
        self.consumers[consumer.identifier] = consumer
        self.next_consumer += 1
        return consumer

    def add_supplier(self, type_: str = "Unknown") -> Supplier:
        supplier = Supplier(self.next_supplier, self.identifier, type_, self.history_len)
        self.suppliers[supplier.identifier] = supplier
        self.next_supplier += 1
        return supplier

    def add_consumers(self, type_: str, count: int) -> list[Consumer]:
        """count consumers, or none at all if interrupted (Ctrl-C) on the way."""
        return _all_or_none(lambda: self.add_consumer(type_), count, self.consumers)

    def add_suppliers(self, type_: str, count: int) -> list[Supplier]:
        """count suppliers, or none at all if interrupted on the way."""
        return _all_or_none(lambda: self.add_supplier(type_), count, self.suppliers)

    def consumer(self, identifier: int) -> Consumer:
        found = self.consumers.get(identifier)
        if found is None:
            raise UnknownDeviceError(self._unknown(DeviceKind.CONSUMER, identifier, self.consumers))
        return found

    def supplier(self, identifier: int) -> Supplier:
        found = self.suppliers.get(identifier)
        if found is None:
            raise UnknownDeviceError(self._unknown(DeviceKind.SUPPLIER, identifier, self.suppliers))
        return found

    def rm_consumer(self, identifier: int) -> Consumer:
        consumer = self.consumer(identifier)
        del self.consumers[identifier]
        return consumer

    def rm_supplier(self, identifier: int) -> Supplier:
        supplier = self.supplier(identifier)
        del self.suppliers[identifier]
        return supplier

    def _unknown(self, kind: str, identifier: int, devices: dict[int, object]) -> Note:
        have = ids_text(devices)
        return note(f"error.no {kind}", house=self.identifier, device=identifier, have=have)

    @property
    def metered(self) -> bool:
        return self.meter_a.count > 0

    def consume(self) -> float:
        """Amps drawn at the last reading: the house meter when it has one, else its consumers."""
        if self.metered:
            return self.meter_a.last or 0.0
        return sum(c.current_a.last or 0.0 for c in self.consumers.values())

    def supply(self) -> float:
        """Amps its suppliers deliver to the house on their load side."""
        return sum(s.supply_a for s in self.suppliers.values())

    def consumption_w(self, mains_voltage_v: float) -> float:
        return self.consume() * mains_voltage_v

    def supply_w(self) -> float:
        return sum(s.supply_w for s in self.suppliers.values())

    def net_w(self, mains_voltage_v: float) -> float:
        return self.supply_w() - self.consumption_w(mains_voltage_v)

    @property
    def last_seen(self) -> float | None:
        times = [self.meter_a.timestamp]
        times += [c.last_seen for c in self.consumers.values()]
        times += [s.last_seen for s in self.suppliers.values()]
        known = [t for t in times if t is not None]
        return max(known) if known else None

    def __repr__(self) -> str:
        return (
            f"House({self.identifier}, consumers={len(self.consumers)}, "
            f"suppliers={len(self.suppliers)}, consume={self.consume():.2f} A)"
        )


@dataclass(slots=True, eq=False)
class Neighborhood:
    """All houses of one neighborhood, indexed by number."""

    identifier: int = 0
    history_len: int = 60
    houses: dict[int, House] = field(default_factory=dict)
    next_house: int = 1  # never handed out twice, like device numbers

    def add_house(self) -> House:
        house = House(self.next_house, self.identifier, self.history_len)
        self.houses[house.identifier] = house
        self.next_house += 1
        return house

    def add_houses(self, count: int) -> list[House]:
        """count houses, or none at all if interrupted (Ctrl-C) on the way."""
        return _all_or_none(self.add_house, count, self.houses)

    def house(self, identifier: int) -> House:
        found = self.houses.get(identifier)
        if found is None:
            have = ids_text(self.houses) if self.houses else note("error.no houses yet")
            raise UnknownHouseError(note("error.no house", house=identifier, houses=have))
        return found

    def rm_house(self, identifier: int) -> House:
        house = self.house(identifier)
        del self.houses[identifier]
        return house

    def global_consume(self) -> float:
        return sum(h.consume() for h in self.houses.values())

    def global_supply(self) -> float:
        return sum(h.supply() for h in self.houses.values())

    def __repr__(self) -> str:
        return f"Neighborhood({self.identifier}, houses={len(self.houses)})"
