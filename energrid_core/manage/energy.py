"""Energy: kWh per device, house and neighborhood, integrated from the readings.

A part on the bus. On paho's thread it only notes which house a message changed (one append
to a deque: the ingest path stays as fast as without it). A thread of its own sweeps the houses
noted, every `sweep_s` (1 s): each device with a reading newer than the last one integrated
feeds its counter (its power held since the previous one), then the house's counter gets its
net draw (consumption - supply: importing is drawn, exporting delivered) and the
neighborhood's counter the house's delta. A device reading faster than the sweep is
integrated at the sweep's pace (its latest reading each second); at the boards' usual one
reading a second or slower, every reading is integrated.

The sweep runs every second over every device heard (110,000 at 10,000 houses of 10), under
the GIL the MQTT thread needs, so it is written for that: the model is read under the server
lock a slice at a time, only to copy the readings' times and values into lists (list
comprehensions: no Python step per device); the integration then runs outside the lock, on
arrays. The counters are rows of one numpy table (energrid_core.manage.energy_table), the
usual step (a reading one sweep after the last, the same day) is done for all the devices and
houses at once, and the rare ones (a first reading, a gap, a new day, a reading at or before
the last) go through EnergyCounter.add row by row, which stays the definition of what a
counter computes (tests/test_energy_sweep.py checks the two agree). ~100 ms of CPU a sweep
one counter object at a time, ~20-25 ms this way (python -m bench.sweep_cost).

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

import numpy as np
import orjson

from energrid_core.events import Bus, ReadingApplied
from energrid_core.lock_slices import locked_slices
from energrid_core.manage import samples
from energrid_core.manage.energy_counter import WH_PER_WS, EnergyCounter, LocalDay
from energrid_core.manage.energy_table import (
    DAY,
    IN,
    LAST_T,
    LAST_W,
    OUT,
    TODAY_IN,
    TODAY_OUT,
    CounterMap,
    CounterTable,
)
from energrid_core.manage.sweep_layout import (
    Gathered,
    Key,
    Layout,
    Segments,
    first_samples,
    floats,
    times,
)
from energrid_core.model import House, Neighborhood
from energrid_core.periodic import Periodic

log = logging.getLogger("energrid.energy")

NEIGHBORHOOD_KEY: Key = (0, "neighborhood", 0)
# The model is read under the server lock a slice at a time, in two passes: the houses' layouts
# (SWEEP_SLICE houses a hold, ~0.25 us a house), then the readings' times and values
# (READ_SLICE readings a hold, ~70 ns a reading). Measured at 10,000 houses x 10: 42 holds of
# ~0.3 ms of CPU (0.6 at most), ~11 ms under the lock in all; the rest of the sweep runs
# outside it. Each slice ends with the lock and the GIL handed to the MQTT thread
# (lock_slices): the ingest goes first, so while it is saturated the sweep runs less often,
# integrating the latest readings then. When the sweep stepped each device in Python under the
# lock, 50 houses a hold already took ~0.5 ms; each hand-over costs the sweep ~30 us of CPU
# (200 slices of 50 houses were ~6 ms of a 30 ms sweep).
# From this share of the grid's houses heard since the last sweep, the sweep gathers the whole
# grid, the houses not heard masked out: its houses then stay the same from sweep to sweep, laid
# out in the table's order, and are integrated in place, where a changing set of houses is laid
# out again each sweep and copied out of the table and back. At 10,000 houses x 10 consumers,
# 57 % heard at random (bench.sweep_cost --heard 0.57): 50-110 ms of CPU a sweep that way,
# 20-35 ms for the whole grid with every house heard.
WHOLE_GRID_SHARE = 0.25
SWEEP_SLICE = 500
READ_SLICE = 5000


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
        self.table = CounterTable()
        # The counters by key, read as EnergyCounter copies; written by the sweep and restore.
        self.counters: CounterMap[Key] = CounterMap(self.table)
        self.counters.slots[NEIGHBORHOOD_KEY] = self.table.new()
        self.bus: Bus | None = None
        # A device's row by the device object (identity hash: no key tuple per reading);
        # a removed device's entry goes with the next snapshot's pruning.
        self._by_device: dict[object, int] = {}
        self._layouts: dict[House, Layout] = {}  # by the house object, as _by_device
        self._house_rows: dict[House, int] = {}  # a house's row, as _by_device a device's
        self._segments: Segments | None = None  # the last sweep's, for the next if the same
        self._dead: list[int] = []  # rows pruned, freed by the next sweep (their only writer)
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
            while self._dead:
                self.table.free(self._dead.pop())
            # Today is the day of the sweep: a reading from before midnight swept after it
            # goes to the day it was integrated in (at most one sweep's worth).
            now = self.clock()
            day = self.day.start_of(now)
            grid = self.grid.houses
            whole = only is None and len(houses) >= WHOLE_GRID_SHARE * len(grid)
            gathered = self._gather(sorted(grid) if whole else sorted(houses))
            if gathered is None:
                return 0
            blocks, taken = self._integrate(gathered, day, now, houses if whole else None)
        if blocks and self.bus is not None:
            self.bus.publish(EnergySampled(blocks))
        return taken

    def _gather(self, numbers: list[int]) -> Gathered | None:
        """Read the houses' readings under the server lock, in two passes of slices: their
        layouts (a few attributes per house), then their readings' times and values, in list
        comprehensions over the devices laid end to end (C speed, no Python step per device).
        A device removed between the passes is read as it was when removed; one added waits
        for the next sweep. None when none of the houses is left."""
        grid = self.grid.houses
        built = self._layouts
        layouts: list[Layout] = []
        for some in locked_slices(self.lock, numbers, SWEEP_SLICE):
            for number in some:
                house = grid.get(number)
                if house is None:
                    continue
                # _layout's test written out: this runs for each house heard, each second
                layout = built.get(house)
                if layout is None or layout.shape != (
                    len(house.consumers),
                    house.next_consumer,
                    len(house.suppliers),
                    house.next_supplier,
                ):
                    layout = self._layout(house)
                layouts.append(layout)
        if not layouts:
            return None
        segments = self._segments
        if segments is None or segments.layouts != layouts:
            segments = self._segments = Segments.of(layouts)
        reading_t: list[float | None] = []
        reading_a: list[float | None] = []
        for some in locked_slices(self.lock, segments.readings, READ_SLICE):
            # `or 0.0`: a device never heard reads as time 0 (no reading: NaN once in an array,
            # see _times) and 0 A, where a None would send the whole list through numpy's slow
            # conversion, every sweep for as long as one board of the grid is silent.
            reading_t += [d.timestamp or 0.0 for d in some]
            reading_a += [d.last or 0.0 for d in some]
        supplier_t: list[float | None] = []
        supplier_w: list[float] = []
        for some in locked_slices(self.lock, segments.suppliers, READ_SLICE):
            supplier_t += [s.last_seen or 0.0 for s in some]
            supplier_w += [s.supply_w for s in some]
        return Gathered(segments, reading_t, reading_a, supplier_t, supplier_w)

    def _integrate(
        self, got: Gathered, day: float, now: float, heard: set[int] | None = None
    ) -> tuple[list[samples.Block], int]:
        """The gathered readings into the counters' rows; returns each house's block of
        samples and how many samples they hold.

        All the houses' segments in one array each: times, values, rows, codes. A device
        with a reading newer than its counter's last is a sample. The usual step (the
        counter's day is today, its last sample after midnight and within a gap) is done
        for all such devices at once, the power held since the last sample times the time
        since, as EnergyCounter.add computes it; the rest (a first reading, a gap, a new day)
        goes through EnergyCounter.add itself, row by row. Then each house: its latest time
        (its meter's, or its newest sample's) and its net draw then (the meter's if heard
        within a gap, else the sum of its consumers heard within a gap, minus its suppliers
        heard within a gap) into its counter and the neighborhood's, the same way.

        heard: when the whole grid was gathered, the houses heard since the last sweep; the
        others take nothing, as if they had not been gathered."""
        gap_s, volts = self.gap_s, self.mains_voltage_v
        table = self.table
        seg = got.segments
        start, size, houses_at = seg.start, seg.size, seg.houses_at
        slots, codes = seg.slots, seg.codes
        is_consumer, is_supplier = seg.is_consumer, seg.is_supplier
        reading_t = times(got.reading_t)
        reading_a = floats(got.reading_a)
        if seg.readings_at is None:
            # x: a consumer's amps, a supplier's watts, the meter's amps
            t, x = reading_t, reading_a
        else:
            t = np.empty(len(slots))
            x = np.empty(len(slots))
            t[seg.readings_at] = reading_t
            x[seg.readings_at] = reading_a
            t[seg.suppliers_at] = times(got.supplier_t)
            x[seg.suppliers_at] = floats(got.supplier_w)
        x[np.isnan(x)] = 0.0  # no value yet: 0 A (reading.last or 0.0)
        any_supplier = seg.readings_at is not None
        if any_supplier:
            watts = np.where(is_consumer, x * volts, x)  # as sampled (a supplier's output > 0)
            power = np.where(is_supplier, -watts, watts)  # as counted (delivered < 0)
        else:
            watts = x * volts
            power = watts

        # Which devices have a new reading, and which of them take the usual step. The rows are
        # the table's own when they follow each other (the houses in the order their layouts
        # were built: a grid heard whole), else a copy written back.
        rows = table.rows[slots] if seg.window is None else table.rows[seg.window]
        last_t = rows[:, LAST_T]
        new = seg.is_device & ~np.isnan(t) & ((t > last_t) | np.isnan(last_t))
        house_heard = None
        if heard is not None:
            numbers = seg.numbers
            house_heard = np.fromiter((n in heard for n in numbers), bool, len(numbers))
            new &= np.repeat(house_heard, size)  # (a reading marks its house heard: kept safe)
        usual = new & (rows[:, DAY] == day) & (last_t > day) & (t - last_t <= gap_s)

        # The houses: the latest time heard (the meter's, or a new reading's), and the net
        # draw then, from what was heard within a gap of it.
        newest = np.where(new, t, np.nan)
        newest[houses_at] = t[houses_at]
        latest = np.fmax.reduceat(newest, start)
        news = np.add.reduceat(new.astype(np.intp), start)
        house_last_t = last_t[houses_at]
        sampled = ~np.isnan(latest) & ((news > 0) | (house_last_t != latest))
        if house_heard is not None:
            sampled &= house_heard
        fresh = t >= np.repeat(latest - gap_s, size)
        consumption_a = np.add.reduceat(np.where(is_consumer & fresh, x, 0.0), start)
        consumption_a = np.where(fresh[houses_at], x[houses_at], consumption_a)
        draw_w = consumption_a * volts
        if any_supplier:
            draw_w -= np.add.reduceat(np.where(is_supplier & fresh, x, 0.0), start)
        t[houses_at] = latest  # a house's sample is at its latest time
        watts[houses_at] = power[houses_at] = draw_w
        usual_house = (
            sampled
            & (rows[houses_at, DAY] == day)
            & (house_last_t > day)
            & (latest > house_last_t)
            & (latest - house_last_t <= gap_s)
        )
        usual[houses_at] = usual_house

        # The usual step, devices and houses at once (EnergyCounter.add's, the span and
        # today's span being one), with zeros for the rows that do not take it.
        wh = np.where(usual, rows[:, LAST_W] * (t - last_t) * WH_PER_WS, 0.0)
        drawn = wh >= 0.0
        drawn_wh = np.where(drawn, wh, 0.0)
        given_wh = np.where(drawn, 0.0, wh)
        rows[:, IN] += drawn_wh
        rows[:, TODAY_IN] += drawn_wh
        rows[:, OUT] -= given_wh
        rows[:, TODAY_OUT] -= given_wh
        rows[:, LAST_T] = np.where(usual, t, last_t)
        rows[:, LAST_W] = np.where(usual, power, rows[:, LAST_W])
        if seg.window is None:
            table.rows[slots] = rows
        total_slot = self.counters.slots[NEIGHBORHOOD_KEY]
        total = table.counter(total_slot)
        if usual_house.any():  # the neighborhood's counter takes what its houses did
            if total.day_start != day:
                total.roll(day)
            into = float(drawn_wh[houses_at].sum())
            out = float(given_wh[houses_at].sum())
            total.in_wh += into
            total.today_in_wh += into
            total.out_wh -= out
            total.today_out_wh -= out

        # First samples, all at once too: a grid's first seconds bring one per device (110,000
        # at 10,000 houses, ~10 µs each row by row). EnergyCounter.add's first step: a new day
        # starts today's values again; the sample's time is `since` and `last_t`, its power held.
        rare = np.flatnonzero(new & ~usual)
        first = np.isnan(table.rows[slots[rare], LAST_T])
        firsts, rare = rare[first], rare[~first]
        for key, slot in zip(seg.keys(firsts), slots[firsts].tolist(), strict=True):
            self.counters.slots[key] = slot  # a counter to show and save from now
        rare_houses = np.flatnonzero(sampled & ~usual_house)
        first = np.isnan(table.rows[slots[houses_at[rare_houses]], LAST_T])
        first_houses, rare_houses = rare_houses[first], rare_houses[~first]
        for number, slot in zip(
            [seg.numbers[i] for i in first_houses.tolist()],
            slots[houses_at[first_houses]].tolist(),
            strict=True,
        ):
            self.counters.slots[(number, "house", 0)] = slot
        first_samples(table, slots[firsts], t[firsts], power[firsts], day)
        first_samples(
            table, slots[houses_at[first_houses]], latest[first_houses], draw_w[first_houses], day
        )

        # The rest (a gap, a new day, a reading at or before the last) through
        # EnergyCounter.add, row by row.
        for i in rare.tolist():
            slot = int(slots[i])
            counter = table.counter(slot)
            counter.add(float(t[i]), float(power[i]), gap_s, day)
            table.write(slot, counter)
        for i in rare_houses.tolist():
            slot = int(slots[houses_at[i]])
            counter = table.counter(slot)
            counter.add(float(latest[i]), float(draw_w[i]), gap_s, day, total)
            table.write(slot, counter)
        if total.since is None and sampled.any():
            total.since = float(latest[np.argmax(sampled)])
        table.write(total_slot, total)

        # The samples: each house's new readings and its draw, packed once for all houses.
        is_sample = new
        is_sample[houses_at] = sampled
        chosen = np.flatnonzero(is_sample)
        flat = np.empty((len(chosen), 3), dtype="<f4")
        flat[:, 0] = codes[chosen]
        flat[:, 1] = t[chosen] - now
        flat[:, 2] = watts[chosen]
        blob = flat.tobytes()
        per_house = np.add.reduceat(is_sample.astype(np.intp), start)
        ends = np.cumsum(per_house) * samples.SAMPLE_BYTES
        starts = ends - per_house * samples.SAMPLE_BYTES
        bounds = zip(seg.numbers, starts.tolist(), ends.tolist(), strict=True)
        blocks = [(number, now, blob[a:b]) for number, a, b in bounds if b > a]
        return blocks, len(chosen)

    def _layout(self, house: House) -> Layout:
        """The house's devices with their rows, built again when a device came or went
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
        consumers = list(house.consumers.values())
        suppliers = list(house.suppliers.values())
        # Rows taken in the segment's order (a grid built in one go gets its rows in order).
        slots = [self._slot((h, "consumer", c.identifier), c) for c in consumers]
        slots += [self._slot((h, "supplier", s.identifier), s) for s in suppliers]
        # The house's row, as a device's: kept (its key in counters) once it has a sample, so
        # that a house gathered with the whole grid but never heard shows no counter.
        house_slot = self._house_rows.get(house)
        if house_slot is None:
            house_slot = self.counters.slots.get((h, "house", 0))
            if house_slot is None:
                house_slot = self.table.new()
            self._house_rows[house] = house_slot
        layout = Layout(
            h,
            shape,
            [c.current_a for c in consumers] + [house.meter_a],
            suppliers,
            np.array(slots + [house_slot], dtype=np.intp),
            np.array(
                [samples.code_of(samples.CONSUMER, c.identifier) for c in consumers]
                + [samples.code_of(samples.SUPPLIER, s.identifier) for s in suppliers]
                + [samples.HOUSE],
                dtype=float,
            ),
        )
        self._layouts[house] = layout
        return layout

    def _slot(self, key: Key, device: object) -> int:
        """A device's row: a restored counter's, or a new one (kept once it has a reading)."""
        slot = self._by_device.get(device)
        if slot is None:
            slot = self.counters.slots.get(key)
            if slot is None:
                slot = self.table.new()
            self._by_device[device] = slot
        return slot

    def heard_draw_w(self, house: int, now: float) -> float | None:
        """The house's last net draw if heard within the gap, else None; read from its row
        (no counter built: the alarms and the shedding ask this of every house)."""
        slot = self.counters.slots.get((house, "house", 0))
        if slot is None:
            return None
        row = self.table.rows[slot]
        heard = row[LAST_T]
        if not heard >= now - self.gap_s:  # NaN: never heard
            return None
        return float(row[LAST_W])

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
        """Rows for the store. The keys are copied at once; a counter being updated meanwhile
        is saved as its row stands (each field valid), and the next snapshot catches up."""
        self._prune()
        table = self.table
        copied = self.counters.slots.copy()
        return [
            (k[0], k[1], k[2], orjson.dumps(table.counter(slot).export()))
            for k, slot in copied.items()
        ]

    def _prune(self) -> None:
        """Forget the counters of removed devices (the neighborhood keeps their energy). Their
        rows are freed by the next sweep: one running now may still write them."""
        houses = self.grid.houses
        dead: set[int] = set()
        for device in [d for d in list(self._by_device) if _removed(houses, d)]:
            slot = self._by_device.pop(device, None)
            if slot is not None:
                dead.add(slot)
        for house in [h for h in list(self._layouts) if houses.get(h.identifier) is not h]:
            self._layouts.pop(house, None)
            slot = self._house_rows.pop(house, None)
            if slot is not None:
                dead.add(slot)
        slots = self.counters.slots
        for key in [k for k in list(slots) if _gone(houses, k)]:
            slot = slots.pop(key, None)
            if slot is not None:
                dead.add(slot)
        self._dead += dead

    def restore(self, rows: list[tuple[int, str, int, bytes]]) -> int:
        """Load saved counters (rows of export(), this version's or an older one's); an
        unreadable row is skipped with a warning."""
        slots = self.counters.slots
        kept = set(slots.values())
        held = set(self._by_device.values()) | set(self._house_rows.values())
        self._dead += [s for s in held if s not in kept]
        self._by_device.clear()
        self._house_rows.clear()
        self._layouts.clear()
        restored = 0
        # In the sweep's order (a house's consumers, its suppliers, the house), so that the
        # rows of a grid heard whole follow each other (Segments.window).
        order = {"consumer": 0, "supplier": 1, "house": 2}
        rows = sorted(rows, key=lambda row: (row[0], order.get(row[1], -1), row[2]))
        for house, kind, device, blob in rows:
            try:
                counter = EnergyCounter.restore(orjson.loads(blob))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning(
                    "skipped an unreadable energy row for house %s %s %s", house, kind, device
                )
                continue
            key = (house, kind, device)
            slot = slots.get(key)
            if slot is None:
                slot = slots[key] = self.table.new()
            self.table.write(slot, counter)
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
