"""Energy: kWh per device, house and neighborhood, integrated from the readings.

A part on the bus. On paho's thread it only notes which house a message changed (one append
to a deque: the ingest path stays as fast as without it). A thread of its own sweeps the houses
noted, every `sweep_s` (1 s), a slice of houses at a time under the server lock: each device
with a reading newer than the last one integrated feeds its counter (its power held since the
previous one), then the house's counter gets its net draw (consumption - supply: importing is
drawn, exporting delivered) and the neighborhood's counter the house's delta. A device reading
faster than the sweep is integrated at the sweep's pace (its latest reading each second); at
the boards' usual one reading a second or slower, every reading is integrated.

A device or meter not heard for longer than `gap_s` counts for nothing in its house's net: a
board that fell silent is unmeasured, not holding its last value for hours. The neighborhood's
imported and exported energy is the sum of its houses' (what their meters would count); a house
removed keeps its part in the neighborhood's total, since that energy did flow.

Each sweep publishes the samples it integrated (`EnergySampled`), one packed block per house
(energrid_core.manage.samples): the history records them, and the state publisher republishes
those houses, so that their topics' energy includes the readings just integrated.
The counters are saved with the readings' snapshot (energrid_core.server) and loaded at start.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import repeat, starmap

import orjson

from energrid_core.data import Data
from energrid_core.events import Bus, ReadingApplied
from energrid_core.lock_slices import locked_slices
from energrid_core.manage import samples
from energrid_core.manage.energy_counter import WH_PER_WS, EnergyCounter, LocalDay
from energrid_core.model import House, Neighborhood, Supplier
from energrid_core.periodic import Periodic

log = logging.getLogger("energrid.energy")

Key = tuple[int, str, int]  # (house, "consumer" | "supplier" | "house" | "neighborhood", device)
NEIGHBORHOOD_KEY: Key = (0, "neighborhood", 0)
# Houses integrated per hold of the server lock (under half a millisecond at 10 devices). Each
# slice ends with the lock and the GIL handed to the MQTT thread (lock_slices): the ingest goes
# first, so while it is saturated the sweep runs less often (every 3 s at 10,000 houses in
# bench.manage ingest), integrating the latest readings then; 500 houses a slice kept its pace
# but took that much more of the ingest's CPU.
SWEEP_SLICE = 50
SAMPLE_KINDS = samples.KINDS


@dataclass(frozen=True, slots=True)
class EnergySampled:
    """What one sweep integrated: each house's block of samples (energrid_core.manage.samples):
    its devices' new readings as watts, and its net draw."""

    blocks: list[samples.Block]

    @classmethod
    def of(cls, some: list[samples.Sample]) -> EnergySampled:
        """The event for samples given one by one (tools and tests)."""
        return cls(samples.blocks_of(some))

    def houses(self) -> list[int]:
        return [house for house, _t, _blob in self.blocks]


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


@dataclass(slots=True)
class _Layout:
    """A house's devices as the sweep walks them: each reading (or supplier), its counter, and
    its series code in the history (samples.code_of); `shape` tells when to build it again."""

    shape: tuple[int, int, int, int]
    consumers: list[tuple[Data, EnergyCounter, int]]
    suppliers: list[tuple[Supplier, EnergyCounter, int]]
    house: EnergyCounter


class EnergyTracker:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        mains_voltage_v: float,
        gap_s: float,
        clock: Callable[[], float],
        sweep_s: float = 1.0,
    ) -> None:
        self.grid = grid
        self.lock = lock  # the server's: the model is read under it
        self.mains_voltage_v = mains_voltage_v
        self.gap_s = gap_s
        self.clock = clock
        self.day = LocalDay()
        self.sweep_s = sweep_s
        self.counters: dict[Key, EnergyCounter] = {NEIGHBORHOOD_KEY: EnergyCounter()}
        self.bus: Bus | None = None
        # A device's counter by the device object (identity hash: no key tuple per reading);
        # a removed device's entry goes with the next snapshot's pruning.
        self._by_device: dict[object, EnergyCounter] = {}
        self._layouts: dict[House, _Layout] = {}  # by the house object, as _by_device
        self._heard: deque[int] = deque()  # houses a message changed, appended on paho's thread
        self._sweep_lock = threading.Lock()
        self._rounds = Periodic(
            "energrid-energy", lambda: self.sweep_s, self.sweep, log, "energy sweep failed"
        )

    # --- the part -------------------------------------------------------------------------------

    def start(self, bus: Bus, thread: bool = True) -> None:
        """Follow the readings; with thread, sweep every sweep_s (tests call sweep() instead)."""
        self.bus = bus
        self._rounds.start([bus.subscribe(ReadingApplied, self.on_reading)], thread)

    def stop(self) -> None:
        self._rounds.stop()
        self.sweep()  # what landed since the last sweep counts too

    def on_reading(self, event: ReadingApplied) -> None:
        """paho's thread: note the house, nothing more."""
        if event.decoded.command is None:
            self._heard.append(event.house)

    def sweep(self, only: Iterable[int] | None = None) -> int:
        """Integrate the readings of the houses heard from since the last sweep (or of the
        houses `only`, for a view that needs one house now: the next sweep finds nothing new
        in them); returns how many samples it took."""
        with self._sweep_lock:
            if only is None:
                # The noted houses taken off the deque at C speed (one popleft per message:
                # 50,000 a second in the benchmark); those noted meanwhile wait for the next.
                heard = self._heard
                houses = set(starmap(heard.popleft, repeat((), len(heard))))
            else:
                houses = set(only)
            flats: list[tuple[int, list[float]]] = []
            # Today is the day of the sweep: a reading from before midnight swept after it
            # goes to the day it was integrated in (at most one sweep's worth).
            now = self.clock()
            day = self.day.start_of(now)
            grid = self.grid.houses
            for some in locked_slices(self.lock, sorted(houses), SWEEP_SLICE):
                for number in some:
                    house = grid.get(number)
                    if house is not None:
                        flat = self._integrate(house, day, now)
                        if flat:
                            flats.append((number, flat))
        if not flats:
            return 0
        blocks = [(number, now, samples.pack(flat)) for number, flat in flats]
        if self.bus is not None:
            self.bus.publish(EnergySampled(blocks))
        return sum(len(flat) for _n, flat in flats) // 3

    def _integrate(self, house: House, day: float, now: float) -> list[float]:
        """The house's new readings into its counters; call under the server lock. Returns
        its samples, flat as samples.pack takes them (offsets from now), or an empty list.

        This runs for every device of every house heard from, each second, so a consumer costs
        what the house's layout (reading, counter, code: built once, not looked up per device)
        and the counter's usual step written out here take; EnergyCounter.add does the rest (a
        first reading, a gap, a new day)."""
        gap_s, volts = self.gap_s, self.mains_voltage_v
        layout = self._layout(house)
        latest = house.meter_a.timestamp
        flat: list[float] = []
        for reading, counter, code in layout.consumers:
            t = reading.timestamp
            if t is None:
                continue
            last_t = counter.last_t
            if last_t is not None and t <= last_t:
                continue  # no reading since the last sweep
            watts = (reading.last or 0.0) * volts
            if last_t is not None and last_t > day == counter.day_start and t - last_t <= gap_s:
                wh = counter.last_w * (t - last_t) * WH_PER_WS
                if wh >= 0.0:
                    counter.in_wh += wh
                    counter.today_in_wh += wh
                else:
                    counter.out_wh -= wh
                    counter.today_out_wh -= wh
                counter.last_t = t
                counter.last_w = watts
            else:
                if last_t is None:  # its first reading: a counter to show and save from now
                    self.counters[(house.identifier, "consumer", code // 3)] = counter
                counter.add(t, watts, gap_s, day)
            flat += (code, t - now, watts)
            if latest is None or t > latest:
                latest = t
        for supplier, counter, code in layout.suppliers:
            t = supplier.last_seen
            if t is None or counter.last_t is not None and t <= counter.last_t:
                continue
            if counter.last_t is None:
                self.counters[(house.identifier, "supplier", code // 3)] = counter
            watts = supplier.supply_w
            counter.add(t, -watts, gap_s, day)
            flat += (code, t - now, watts)
            if latest is None or t > latest:
                latest = t
        counter = layout.house
        if latest is None or not flat and counter.last_t == latest:
            return flat  # nothing new (a reading at the house's last time updates its draw)
        draw_w = self._house_draw_w(house, latest)
        total = self.counters[NEIGHBORHOOD_KEY]
        counter.add(latest, draw_w, gap_s, day, total)
        flat += (samples.HOUSE, latest - now, draw_w)
        if total.since is None:
            total.since = latest
        return flat

    def _layout(self, house: House) -> _Layout:
        """The house's devices with their counters, built again when a device came or went
        (the model never gives a number twice, so the counts and next numbers tell)."""
        shape = (
            len(house.consumers),
            house.next_consumer,
            len(house.suppliers),
            house.next_supplier,
        )
        layout = self._layouts.get(house)
        if layout is not None and layout.shape == shape:
            return layout
        h = house.identifier
        layout = _Layout(
            shape,
            [
                (c.current_a, self._counter((h, "consumer", c.identifier), c), c.identifier * 3 + 1)
                for c in house.consumers.values()
            ],
            [
                (s, self._counter((h, "supplier", s.identifier), s), s.identifier * 3 + 2)
                for s in house.suppliers.values()
            ],
            self.counters.setdefault((h, "house", 0), EnergyCounter()),
        )
        self._layouts[house] = layout
        return layout

    def _counter(self, key: Key, device: object) -> EnergyCounter:
        """A device's counter: a restored one, or a new one (kept once it has a reading)."""
        counter = self._by_device.get(device)
        if counter is None:
            counter = self.counters.get(key) or EnergyCounter()
            self._by_device[device] = counter
        return counter

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
        if not house.suppliers:  # most houses: no generator to build and run
            return consumption_a * self.mains_voltage_v
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
        self._prune()
        copied = self.counters.copy()
        return [(k[0], k[1], k[2], orjson.dumps(c.export())) for k, c in copied.items()]

    def _prune(self) -> None:
        """Forget the counters of removed devices (the neighborhood keeps their energy)."""
        houses = self.grid.houses
        for device in [d for d in list(self._by_device) if _removed(houses, d)]:
            self._by_device.pop(device, None)
        for house in [h for h in list(self._layouts) if houses.get(h.identifier) is not h]:
            self._layouts.pop(house, None)
        for key in [k for k in list(self.counters) if _gone(houses, k)]:
            self.counters.pop(key, None)

    def restore(self, rows: list[tuple[int, str, int, bytes]]) -> int:
        """Load saved counters; an unreadable row is skipped with a warning."""
        self._by_device.clear()
        self._layouts.clear()
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


def _removed(houses: dict[int, House], device: object) -> bool:
    house = houses.get(device.house)  # type: ignore[attr-defined]
    if house is None:
        return True
    devices = house.suppliers if hasattr(device, "sensors") else house.consumers
    return devices.get(device.identifier) is not device  # type: ignore[attr-defined]


def _gone(houses: dict[int, House], key: Key) -> bool:
    h, kind, device = key
    if kind == "neighborhood":
        return False
    house = houses.get(h)
    if house is None:
        return True
    if kind == "house":
        return False
    return device not in (house.consumers if kind == "consumer" else house.suppliers)


EMPTY = EnergyView(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None)
