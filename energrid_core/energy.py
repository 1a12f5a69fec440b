"""Energy: kWh per device, house and neighborhood, integrated from the readings as they land.

A part on the bus: it hears every `ReadingApplied` and feeds one counter per device the message
carried, one for the house (its net: consumption - supply, so importing is drawn and exporting
delivered) and, through the house's delta, the neighborhood's. The work per message is
proportional to the message (the house's net needs its devices' last values), nothing per grid.

A device or meter not heard for longer than `gap_s` counts for nothing in its house's net: a
board that fell silent is unmeasured, not holding its last value for hours. The neighborhood's
imported and exported energy is the sum of its houses' (what their meters would count); a house
removed keeps its part in the neighborhood's total, since that energy did flow.

The counters are saved with the readings' snapshot (energrid_core.server) and loaded at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from energrid_core.energy_counter import EnergyCounter, LocalDay
from energrid_core.events import Bus, ReadingApplied
from energrid_core.model import House, Neighborhood

log = logging.getLogger("energrid.energy")

Key = tuple[int, str, int]  # (house, "consumer" | "supplier" | "house" | "neighborhood", device)
NEIGHBORHOOD_KEY: Key = (0, "neighborhood", 0)


@dataclass(frozen=True, slots=True)
class EnergyView:
    """A counter as a person or a client reads it at a given time (Wh and seconds)."""

    in_wh: float
    out_wh: float
    today_in_wh: float
    today_out_wh: float
    unmeasured_s: float  # gaps since creation, the silence going on now included
    today_unmeasured_s: float
    since: float | None

    def payload(self) -> dict[str, float | None]:
        """The `energy` object of the house and neighborhood state topics (docs/protocol.md)."""
        return {
            "imported_wh": self.in_wh,
            "exported_wh": self.out_wh,
            "today_imported_wh": self.today_in_wh,
            "today_exported_wh": self.today_out_wh,
            "unmeasured_s": self.unmeasured_s,
            "today_unmeasured_s": self.today_unmeasured_s,
            "since_unix_s": self.since,
        }


class EnergyTracker:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        mains_voltage_v: float,
        gap_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.grid = grid
        self.lock = lock  # the server's: the model is read under it
        self.mains_voltage_v = mains_voltage_v
        self.gap_s = gap_s
        self.clock = clock
        self.day = LocalDay()
        self.counters: dict[Key, EnergyCounter] = {NEIGHBORHOOD_KEY: EnergyCounter()}
        self._undo: list[Callable[[], None]] = []

    # --- the part -------------------------------------------------------------------------------

    def start(self, bus: Bus) -> None:
        self._undo.append(bus.subscribe(ReadingApplied, self.on_reading))

    def stop(self) -> None:
        while self._undo:
            self._undo.pop()()

    def on_reading(self, event: ReadingApplied) -> None:
        decoded = event.decoded
        if decoded.command is not None:
            return
        with self.lock:
            house = self.grid.houses.get(event.house)
            if house is not None:
                self._integrate(house, decoded)

    def _integrate(self, house: House, decoded) -> None:  # noqa: ANN001 - wire.Decoded
        counters, gap_s, h = self.counters, self.gap_s, house.identifier
        volts = self.mains_voltage_v
        now = None
        for reading in decoded.consumers:
            consumer = house.consumers.get(reading.device)
            if consumer is None:
                continue
            t = consumer.current_a.timestamp
            if t is None:
                continue
            now = t
            day = self.day.start_of(t)
            counter = counters.get((h, "consumer", reading.device))
            if counter is None:
                counter = counters[(h, "consumer", reading.device)] = EnergyCounter()
            counter.add(t, (consumer.current_a.last or 0.0) * volts, gap_s, day)
        for reading in decoded.suppliers:
            supplier = house.suppliers.get(reading.device)
            if supplier is None or supplier.last_seen is None:
                continue
            t = now = supplier.last_seen
            day = self.day.start_of(t)
            counter = counters.get((h, "supplier", reading.device))
            if counter is None:
                counter = counters[(h, "supplier", reading.device)] = EnergyCounter()
            counter.add(t, -supplier.supply_w, gap_s, day)
        if decoded.consumers and house.meter_a.timestamp is not None:
            now = max(now or 0.0, house.meter_a.timestamp)
        if now is None:
            return
        day = self.day.start_of(now)
        key = (h, "house", 0)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = EnergyCounter()
        delta = counter.add(now, self._house_draw_w(house, now), gap_s, day)
        total = counters[NEIGHBORHOOD_KEY]
        total.take(delta, day)
        if total.since is None:
            total.since = now

    def _house_draw_w(self, house: House, now: float) -> float:
        """The house's net draw now (consumption - supply), from what was heard within a gap."""
        oldest = now - self.gap_s
        meter = house.meter_a
        if meter.timestamp is not None and meter.timestamp >= oldest:
            consumption_a = meter.last or 0.0
        else:
            consumption_a = sum(
                c.current_a.last or 0.0
                for c in house.consumers.values()
                if c.current_a.timestamp is not None and c.current_a.timestamp >= oldest
            )
        supply_w = sum(
            s.supply_w
            for s in house.suppliers.values()
            if s.last_seen is not None and s.last_seen >= oldest
        )
        return consumption_a * self.mains_voltage_v - supply_w

    # --- reading it -----------------------------------------------------------------------------

    def view(self, key: Key, now: float | None = None) -> EnergyView | None:
        """A counter as of now: today's values are zero once its day is over."""
        counter = self.counters.get(key)
        if counter is None:
            return None
        now = self.clock() if now is None else now
        day = self.day.start_of(now)
        today_in, today_out, today_unmeasured = counter.today(day)
        silent = counter.silent_s(now, self.gap_s)
        if key == NEIGHBORHOOD_KEY:
            silent = 0.0  # its houses' silences are in their own counters
        since_midnight = min(silent, now - day)
        return EnergyView(
            counter.in_wh,
            counter.out_wh,
            today_in,
            today_out,
            counter.unmeasured_s + silent,
            today_unmeasured + since_midnight,
            counter.since,
        )

    def house(self, house: int, now: float | None = None) -> EnergyView | None:
        return self.view((house, "house", 0), now)

    def neighborhood(self, now: float | None = None) -> EnergyView:
        view = self.view(NEIGHBORHOOD_KEY, now)
        assert view is not None
        return view

    def house_payload(self, house: int, now: float) -> dict[str, float | None]:
        view = self.house(house, now)
        return EMPTY.payload() if view is None else view.payload()

    def neighborhood_payload(self, now: float) -> dict[str, float | None]:
        return self.neighborhood(now).payload()

    # --- saving ---------------------------------------------------------------------------------

    def export(self) -> list[tuple[int, str, int, bytes]]:
        """Rows for the store. The dict is copied at once; a counter being updated meanwhile
        is saved as its fields stand (each one valid), and the next snapshot catches up."""
        copied = self.counters.copy()
        return [(k[0], k[1], k[2], orjson.dumps(c.export())) for k, c in copied.items()]

    def restore(self, rows: list[tuple[int, str, int, bytes]]) -> int:
        """Load saved counters; an unreadable row is skipped with a warning."""
        restored = 0
        for house, kind, device, blob in rows:
            try:
                counter = EnergyCounter.restore(orjson.loads(blob))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning(
                    "skipped an unreadable energy row for house %s %s %s", house, kind, device
                )
                continue
            self.counters[(house, kind, device)] = counter
            restored += 1
        return restored


EMPTY = EnergyView(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None)
