"""The vectorized energy sweep computes what EnergyCounter.add computes, sample by sample.

EnergyTracker integrates all the heard devices at once in arrays (energrid_core.manage.energy);
`ScalarSweep` below is the sweep written the plain way, one counter object per device stepped
by EnergyCounter.add. Random readings, gaps, readings at or before the last, a midnight,
devices and houses coming and going, suppliers: after every sweep both must hold the same
counters and have published the same blocks of samples.
"""

from __future__ import annotations

import math
import threading

import orjson
from helpers import FakeClock
from hypothesis import given, settings
from hypothesis import strategies as st

from energrid_core.manage import samples
from energrid_core.manage.energy import NEIGHBORHOOD_KEY, EnergyTracker, Key, _gone
from energrid_core.manage.energy_counter import EnergyCounter, LocalDay, local_midnight
from energrid_core.model import House, Neighborhood

GAP_S = 15.0
VOLTS = 230.0
REL = 1e-9
TIMES = ("since", "last_t", "day_start")
# 20 s before a local midnight: a few ticks cross it.
START = local_midnight(1_750_000_000.0 + 86_400.0) - 20.0


class ScalarSweep:
    """The reference: the sweep of the houses heard, one EnergyCounter.add per sample."""

    def __init__(self, grid: Neighborhood) -> None:
        self.grid = grid
        self.counters: dict[Key, EnergyCounter] = {NEIGHBORHOOD_KEY: EnergyCounter()}
        self.by_device: dict[object, EnergyCounter] = {}
        self.by_house: dict[House, EnergyCounter] = {}
        self.day = LocalDay()

    def sweep(self, houses: set[int], now: float) -> tuple[list[samples.Block], int]:
        day = self.day.start_of(now)
        flats = []
        for number in sorted(houses):
            house = self.grid.houses.get(number)
            if house is not None:
                flat = self.integrate(house, day, now)
                if flat:
                    flats.append((number, flat))
        blocks = [(number, now, samples.pack(flat)) for number, flat in flats]
        return blocks, sum(len(flat) for _n, flat in flats) // 3

    def counter(self, key: Key, device: object) -> EnergyCounter:
        counter = self.by_device.get(device)
        if counter is None:
            counter = self.by_device[device] = self.counters.get(key) or EnergyCounter()
        return counter

    def integrate(self, house: House, day: float, now: float) -> list[float]:
        h = house.identifier
        house_key = (h, "house", 0)  # kept, as a device's, once it has a sample
        house_counter = self.counters.get(house_key) or self.by_house.setdefault(
            house, EnergyCounter()
        )
        latest = house.meter_a.timestamp
        flat: list[float] = []
        devices = [
            ("consumer", c, c.current_a.timestamp, (c.current_a.last or 0.0) * VOLTS, 1.0)
            for c in house.consumers.values()
        ] + [("supplier", s, s.last_seen, s.supply_w, -1.0) for s in house.suppliers.values()]
        for kind, device, t, watts, sign in devices:
            key = (h, kind, device.identifier)
            counter = self.counter(key, device)
            if t is None or counter.last_t is not None and t <= counter.last_t:
                continue
            if counter.last_t is None:
                self.counters[key] = counter
            counter.add(t, sign * watts, GAP_S, day)
            flat += (samples.code_of(samples.KINDS.index(kind), device.identifier), t - now, watts)
            if latest is None or t > latest:
                latest = t
        if latest is None or not flat and house_counter.last_t == latest:
            return flat
        draw_w = self.draw_w(house, latest)
        total = self.counters[NEIGHBORHOOD_KEY]
        house_counter.add(latest, draw_w, GAP_S, day, total)
        self.counters[house_key] = house_counter
        flat += (samples.HOUSE, latest - now, draw_w)
        if total.since is None:
            total.since = latest
        return flat

    def draw_w(self, house: House, now: float) -> float:
        oldest = now - GAP_S
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
        return consumption_a * VOLTS - supply_w

    def prune(self) -> None:
        houses = self.grid.houses
        for key in [k for k in self.counters if _gone(houses, k)]:
            del self.counters[key]
        self.by_house = {h: c for h, c in self.by_house.items() if houses.get(h.identifier) is h}
        self.by_device = {
            d: c
            for d, c in self.by_device.items()
            if (house := houses.get(d.house)) is not None  # type: ignore[attr-defined]
            and d in (house.suppliers if hasattr(d, "sensors") else house.consumers).values()
        }


class Published:
    def __init__(self) -> None:
        self.events: list = []

    def publish(self, event: object) -> None:
        self.events.append(event)


def close(a: float | None, b: float | None, rel: float = REL, abs_: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def assert_same_counters(
    mine: dict[Key, EnergyCounter], reference: dict[Key, EnergyCounter]
) -> None:
    assert set(mine) == set(reference)
    for key, want in reference.items():
        got = mine[key]
        for name, value in want.export().items():
            # Times are ~1.75e9: a relative tolerance would let a second through.
            rel = 0.0 if name in TIMES else REL
            assert close(got.export()[name], value, rel, 1e-6), (key, name, got, want)


def assert_same_blocks(mine: list[samples.Block], reference: list[samples.Block]) -> None:
    assert [(h, t, len(b)) for h, t, b in mine] == [(h, t, len(b)) for h, t, b in reference]
    for (_h, _t, got), (_h2, _t2, want) in zip(mine, reference, strict=True):
        got_values, want_values = samples.values_of(got), samples.values_of(want)
        assert list(got_values[0::3]) == list(want_values[0::3])  # codes, in the same order
        for a, b in zip(got_values, want_values, strict=True):
            # 32-bit floats: a house's draw summed in another order may round one step apart
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6), (a, b)


OPS = st.one_of(
    st.tuples(st.just("tick"), st.sampled_from([0.25, 0.5, 1.0, 1.0, 1.0, 2.0, 7.0, 16.0, 40.0])),
    st.tuples(
        st.just("consumer"),
        st.integers(0, 1000),
        st.floats(-2.0, 20.0, allow_nan=False),
        st.sampled_from([0.0, 0.0, 0.0, 0.5, 3.0]),  # how far before now (at/before the last)
    ),
    st.tuples(
        st.just("meter"),
        st.integers(0, 1000),
        st.floats(0.0, 40.0, allow_nan=False),
        st.sampled_from([0.0, 0.0, 2.0]),
    ),
    st.tuples(
        st.just("supplier"),
        st.integers(0, 1000),
        st.floats(0.0, 30.0, allow_nan=False),
        st.sampled_from([0.0, 0.0, 1.0]),
    ),
    st.tuples(st.just("add_consumer"), st.integers(0, 1000)),
    st.tuples(st.just("add_supplier"), st.integers(0, 1000)),
    st.tuples(st.just("rm_consumer"), st.integers(0, 1000)),
    st.tuples(st.just("rm_supplier"), st.integers(0, 1000)),
    st.tuples(st.just("rm_house"), st.integers(0, 1000)),
    st.tuples(st.just("add_house"), st.just(0)),
    st.tuples(st.just("sweep"), st.booleans()),  # True: every house, heard or not
    st.tuples(st.just("export"), st.just(0)),
)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(OPS, min_size=5, max_size=80))
def test_the_vectorized_sweep_matches_the_scalar_counters(ops: list[tuple]) -> None:
    grid = Neighborhood()
    for house in grid.add_houses(3):
        house.add_consumers("Lamp", 2)
    grid.houses[2].add_supplier("Solar")
    clock = FakeClock(START)
    tracker = EnergyTracker(grid, threading.RLock(), VOLTS, GAP_S, clock)
    published = Published()
    tracker.bus = published  # type: ignore[assignment]
    reference = ScalarSweep(grid)
    heard: set[int] = set()

    def pick(things: list, i: int):  # noqa: ANN202
        return things[i % len(things)] if things else None

    for op in ops + [("tick", 1.0), ("sweep", False)]:
        kind = op[0]
        houses = list(grid.houses.values())
        consumers = [c for h in houses for c in h.consumers.values()]
        suppliers = [s for h in houses for s in h.suppliers.values()]
        if kind == "tick":
            clock.advance(op[1])
        elif kind in ("consumer", "meter", "supplier"):
            things = {"consumer": consumers, "meter": houses, "supplier": suppliers}[kind]
            thing = pick(things, op[1])
            if thing is None:
                continue
            t = clock.now - op[3]
            if kind == "consumer":
                thing.current_a.update(t, op[2])
                heard.add(thing.house)
            elif kind == "meter":
                thing.meter_a.update(t, op[2])
                heard.add(thing.identifier)
            else:
                thing.update(t, {"load_voltage_v": 12.0, "load_current_a": op[2]}, True)
                heard.add(thing.house)
        elif kind == "add_consumer" and houses:
            pick(houses, op[1]).add_consumer("Lamp")
        elif kind == "add_supplier" and houses:
            pick(houses, op[1]).add_supplier("Wind")
        elif kind == "rm_consumer" and consumers:
            gone = pick(consumers, op[1])
            grid.houses[gone.house].rm_consumer(gone.identifier)
        elif kind == "rm_supplier" and suppliers:
            gone = pick(suppliers, op[1])
            grid.houses[gone.house].rm_supplier(gone.identifier)
        elif kind == "rm_house" and len(houses) > 1:
            grid.rm_house(pick(houses, op[1]).identifier)
        elif kind == "add_house":
            grid.add_house().add_consumers("Lamp", 1)
        elif kind == "sweep":
            swept = set(grid.houses) | heard if op[1] else heard
            if op[1]:
                count = tracker.sweep(set(swept))
            else:  # the houses noted as the MQTT thread notes them: from a share of the grid
                tracker._heard.extend(sorted(heard))  # on, the whole grid gathered and masked
                count = tracker.sweep()
            blocks, want = reference.sweep(set(swept), clock.now)
            heard = set()
            assert count == want
            got = published.events.pop().blocks if published.events else []
            assert not published.events
            assert_same_blocks(got, blocks)
            assert_same_counters(dict(tracker.counters.items()), reference.counters)
        elif kind == "export":
            rows = tracker.export()
            reference.prune()
            saved = {(h, k, d): EnergyCounter.restore(orjson.loads(b)) for h, k, d, b in rows}
            assert_same_counters(saved, reference.counters)

    # What the reference would save loads back whole into a new tracker.
    again = EnergyTracker(grid, threading.RLock(), VOLTS, GAP_S, clock)
    rows = [(h, k, d, orjson.dumps(c.export())) for (h, k, d), c in reference.counters.items()]
    assert again.restore(rows) == len(rows)
    assert_same_counters(dict(again.counters.items()), reference.counters)


def test_a_midnight_between_two_sweeps_starts_today_again() -> None:
    """The usual step is for today's counters only: the first sweep after midnight rolls."""
    grid = Neighborhood()
    grid.add_house().add_consumers("Lamp", 1)
    clock = FakeClock(START)
    tracker = EnergyTracker(grid, threading.RLock(), VOLTS, GAP_S, clock)
    consumer = grid.houses[1].consumers[1]
    for _ in range(40):
        consumer.current_a.update(clock.now, 1.0)
        tracker.sweep({1})
        clock.advance(1.0)
    counter = tracker.counters[(1, "consumer", 1)]
    assert counter.day_start == local_midnight(clock.now)
    assert math.isclose(counter.in_wh, VOLTS * 39 / 3600)
    assert math.isclose(counter.today_in_wh, VOLTS * 19 / 3600)  # 20 s before, 19 s after


def test_a_house_not_heard_takes_nothing_when_the_whole_grid_is_gathered() -> None:
    """From WHOLE_GRID_SHARE of the grid heard, the sweep gathers every house and masks out
    those not heard: a house whose meter is older than its last sample (its devices read
    later) must not be sampled again, as it would if it had been gathered as heard."""
    grid = Neighborhood()
    for house in grid.add_houses(4):
        house.add_consumers("Lamp", 1)
    clock = FakeClock(START)
    tracker = EnergyTracker(grid, threading.RLock(), VOLTS, GAP_S, clock)
    published = Published()
    tracker.bus = published  # type: ignore[assignment]
    one, two = grid.houses[1], grid.houses[2]
    one.meter_a.update(clock.now, 2.0)
    clock.advance(5.0)
    one.consumers[1].current_a.update(clock.now, 1.0)
    tracker._heard.append(1)
    tracker.sweep()
    before = tracker.counters[(1, "house", 0)]
    published.events.clear()
    clock.advance(1.0)
    two.consumers[1].current_a.update(clock.now, 1.0)
    tracker._heard.append(2)  # a quarter of the grid: gathered whole
    tracker.sweep()
    (event,) = published.events
    assert event.houses() == [2]
    assert tracker.counters[(1, "house", 0)] == before
    assert (3, "house", 0) not in tracker.counters  # never heard: no counter
