"""Whether a device or a house is online: heard from within `offline_after_s` of now.

Pure functions of the last reading's time and a clock reading, so tests drive them without
sleeping. A device never heard from is offline; its next reading brings it back online.
"""

from __future__ import annotations

from energrid_core.model import House


def is_online(last_seen: float | None, now: float, offline_after_s: float) -> bool:
    return last_seen is not None and now - last_seen <= offline_after_s


def house_online(house: House, now: float, offline_after_s: float) -> bool:
    """A house is online while its meter or any of its devices is."""
    return is_online(house.last_seen, now, offline_after_s)


def availability(house: House, now: float, offline_after_s: float) -> tuple[bool, ...]:
    """The house's flag, then each consumer's and each supplier's, in the model's order.

    Compared between two sweeps, it tells whether anything in the house came or went.
    """
    flags = [house_online(house, now, offline_after_s)]
    flags += [is_online(c.last_seen, now, offline_after_s) for c in house.consumers.values()]
    flags += [is_online(s.last_seen, now, offline_after_s) for s in house.suppliers.values()]
    return tuple(flags)
