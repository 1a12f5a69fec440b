"""What the wire formats decode into: typed readings in physical units, or a rejection."""

from __future__ import annotations

from dataclasses import dataclass

# Canonical supplier sensor names, with units in the name.
SUPPLIER_FIELDS = (
    "pv_voltage_v",
    "pv_current_a",
    "load_voltage_v",
    "load_current_a",
    "battery_voltage_v",
    "battery_current_a",
    "battery_remaining_pct",
)


class Rejected(Exception):
    """A message that must not touch the model; `reason` is the counter it goes to."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Readings are slotted dataclasses, not frozen ones: a legacy batch makes ten of them per
# message, and a frozen dataclass takes four times as long to build (its __init__ goes through
# object.__setattr__; measured in docs/performance.md). Nothing modifies a reading once made.


@dataclass(slots=True)
class ConsumerReading:
    """Current through one consumer (device 0: the house meter)."""

    device: int
    current_a: float
    on: bool | None
    raw: float | None = None


@dataclass(slots=True)
class SupplierReading:
    """Any subset of SUPPLIER_FIELDS for one supplier; load_on when the board says or implies it."""

    device: int
    values: dict[str, float]
    load_on: bool | None


@dataclass(slots=True)
class CommandSeen:
    """An on/off command on the wire, from Energrid or another client such as the VR one."""

    device: int
    supplier: bool
    state: int
    client: str | None = None  # who sent it, when it said so (not part of the wire payload)


@dataclass(slots=True)
class Decoded:
    """A valid message: every reading in it belongs to `house`."""

    house: int
    consumers: tuple[ConsumerReading, ...] = ()
    suppliers: tuple[SupplierReading, ...] = ()
    command: CommandSeen | None = None

    @property
    def reading_count(self) -> int:
        return len(self.consumers) + len(self.suppliers)
