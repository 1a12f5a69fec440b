"""Energy: integrated from readings, gap-aware, import and export apart, kept across a restart."""

from __future__ import annotations

from pathlib import Path

import orjson
from grid_helpers import server_settings
from helpers import FakeClock
from hypothesis import given, settings
from hypothesis import strategies as st
from mosquitto_fixture import free_port

from energrid_core.manage.energy_counter import EnergyCounter, local_midnight
from energrid_core.server import GridServer

GAP_S = 15.0
DAY = 0.0  # counters fed with one day_start see no midnight


@given(
    power_w=st.floats(min_value=0.5, max_value=50_000.0),
    period_s=st.floats(min_value=0.1, max_value=GAP_S * 0.99),  # clear of the gap itself
    samples=st.integers(min_value=2, max_value=500),
    sign=st.sampled_from([1.0, -1.0]),
)
def test_a_constant_power_integrates_to_power_times_time(
    power_w: float, period_s: float, samples: int, sign: float
) -> None:
    counter = EnergyCounter()
    for k in range(samples):
        counter.add(1000.0 + k * period_s, sign * power_w, GAP_S, DAY)
    expected_wh = power_w * (samples - 1) * period_s / 3600.0
    got_wh = counter.in_wh if sign > 0 else counter.out_wh
    assert abs(got_wh - expected_wh) <= 0.001 * expected_wh
    assert (counter.out_wh if sign > 0 else counter.in_wh) == 0.0
    assert counter.unmeasured_s == 0.0


@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=0.01, max_value=3 * GAP_S),
            st.floats(min_value=-10_000.0, max_value=10_000.0),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_gaps_are_not_integrated_and_import_and_export_never_mix(
    steps: list[tuple[float, float]],
) -> None:
    counter = EnergyCounter()
    t, previous_w = 0.0, 0.0
    counter.add(t, previous_w, GAP_S, DAY)
    want_in = want_out = want_unmeasured = 0.0
    for step, power_w in steps:
        before, t = t, t + step
        span = t - before  # what the counter sees: 64.9 - 49.9 is 15.000000000000007, not 15
        if span > GAP_S:
            want_unmeasured += span
        elif previous_w >= 0:
            want_in += previous_w * span / 3600.0
        else:
            want_out += -previous_w * span / 3600.0
        counter.add(t, power_w, GAP_S, DAY)
        previous_w = power_w
    assert abs(counter.in_wh - want_in) <= 1e-9 * max(1.0, want_in)
    assert abs(counter.out_wh - want_out) <= 1e-9 * max(1.0, want_out)
    assert abs(counter.unmeasured_s - want_unmeasured) <= 1e-9 * max(1.0, want_unmeasured)
    assert counter.in_wh >= 0.0 and counter.out_wh >= 0.0


def test_today_starts_at_local_midnight() -> None:
    midnight = local_midnight(1_750_000_000.0)
    counter = EnergyCounter()
    counter.add(midnight - 5.0, 3600.0, GAP_S, local_midnight(midnight - 5.0))
    counter.add(midnight + 5.0, 3600.0, GAP_S, midnight)  # 10 s at 3600 W: 5 Wh before, 5 after
    assert abs(counter.in_wh - 10.0) < 1e-9
    assert counter.today(midnight) == (5.0, 0.0, 0.0)
    assert counter.today(local_midnight(midnight + 86400 + 3600)) == (0.0, 0.0, 0.0)


def _server(state_dir: Path, clock: FakeClock) -> GridServer:
    server = GridServer(server_settings(free_port(), state_dir), clock=clock)
    server.energy.start(server.bus, thread=False)  # offline; the tests sweep
    return server


def _consumers(server: GridServer, house: int, amps: dict[int, float]) -> None:
    for device, current_a in amps.items():
        topic = f"Neighborhood/0/House/{house}/Consumer/{device}"
        server.ingest.handle(topic, orjson.dumps({"current_a": current_a, "on": current_a > 0}))
    server.energy.sweep()


def _supplier(server: GridServer, house: int, device: int, volts: float, amps: float) -> None:
    payload = {"load_voltage_v": volts, "load_current_a": amps}
    server.ingest.handle(f"Neighborhood/0/House/{house}/Supplier/{device}", orjson.dumps(payload))
    server.energy.sweep()


def test_houses_import_and_export_apart_and_the_neighborhood_adds_them(tmp_path: Path) -> None:
    clock = FakeClock(1_750_000_000.0)
    server = _server(tmp_path / "s", clock)
    server.new_houses(2)
    server.new_consumers(1, 1, "Lamp")
    server.new_suppliers(2, 1, "Solar Panel")
    for _ in range(11):  # 10 intervals of 1 s
        _consumers(server, 1, {1: 10.0})  # 2300 W drawn: house 1 imports
        _supplier(server, 2, 1, 100.0, 36.0)  # 3600 W supplied: house 2 exports
        clock.advance(1.0)
    one, two = server.energy.house(1), server.energy.house(2)
    assert one is not None and two is not None
    assert abs(one.in_wh - 2300 * 10 / 3600) < 1e-6 and one.out_wh == 0.0
    assert abs(two.out_wh - 10.0) < 1e-6 and two.in_wh == 0.0
    total = server.energy.neighborhood()
    assert abs(total.in_wh - one.in_wh) < 1e-9 and abs(total.out_wh - two.out_wh) < 1e-9
    lamp = server.energy.view((1, "consumer", 1))
    assert lamp is not None and abs(lamp.today_in_wh - one.in_wh) < 1e-9
    server.stop()


def test_a_silence_is_unmeasured_and_a_silent_supplier_no_longer_counts(tmp_path: Path) -> None:
    clock = FakeClock(1_750_000_000.0)
    server = _server(tmp_path / "s", clock)
    server.new_houses(1)
    server.new_consumers(1, 1, "Lamp")
    server.new_suppliers(1, 1, "Solar Panel")
    _supplier(server, 1, 1, 100.0, 100.0)  # 10 kW, then never again
    for _ in range(5):
        _consumers(server, 1, {1: 10.0})
        clock.advance(1.0)
    clock.advance(100.0)  # the lamp's board is silent for 100 s
    for _ in range(40):
        _consumers(server, 1, {1: 10.0})
        clock.advance(1.0)
    lamp = server.energy.view((1, "consumer", 1))
    assert lamp is not None
    assert abs(lamp.in_wh - 2300 * 43 / 3600) < 1e-6
    assert abs(lamp.unmeasured_s - 101.0) < 1e-6
    house = server.energy.house(1)
    assert house is not None
    # Before the silence the house exported (10 kW against 2.3 kW); after it the supplier's
    # last reading is too old to count and the house imports the lamp's draw.
    assert abs(house.out_wh - (10_000 - 2300) * 4 / 3600) < 1e-6
    assert abs(house.in_wh - 2300 * 39 / 3600) < 1e-6
    server.stop()


def test_energy_survives_a_restart_without_a_clean_stop(tmp_path: Path) -> None:
    clock = FakeClock(1_750_000_000.0)
    server = _server(tmp_path / "s", clock)
    server.new_houses(1)
    server.new_consumers(1, 1, "Radiator")
    for _ in range(61):
        _consumers(server, 1, {1: 10.0})
        clock.advance(1.0)
    server.snapshots.save()  # the periodic snapshot; the stop below saves nothing more
    saved = server.energy.house(1)
    server.store.close()  # as after kill -9: only what the snapshot wrote is on disk
    again = _server(tmp_path / "s", clock)
    back = again.energy.house(1)
    assert saved is not None and back is not None
    assert abs(back.in_wh - saved.in_wh) < 1e-9 and back.in_wh > 0
    assert abs(again.energy.neighborhood().in_wh - saved.in_wh) < 1e-9
    clock.advance(3600.0)  # down for an hour: the next reading does not integrate it
    _consumers(again, 1, {1: 10.0})
    after = again.energy.house(1)
    assert after is not None and abs(after.in_wh - saved.in_wh) < 1e-9
    assert after.unmeasured_s >= 3600.0
    again.stop()


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=-5000, max_value=5000), st.integers(min_value=1, max_value=30))
def test_a_counter_comes_back_whole_from_its_export(power_w: float, count: int) -> None:
    counter = EnergyCounter()
    for k in range(count):
        counter.add(k * 2.0, power_w, GAP_S, DAY)
    assert EnergyCounter.restore(orjson.loads(orjson.dumps(counter.export()))) == counter


def test_a_removed_device_leaves_its_energy_in_the_neighborhood_only(tmp_path: Path) -> None:
    clock = FakeClock(1_750_000_000.0)
    server = _server(tmp_path / "s", clock)
    server.new_houses(2)
    server.new_consumers(1, 2, "Lamp")
    for _ in range(11):
        _consumers(server, 1, {1: 10.0, 2: 10.0})
        clock.advance(1.0)
    total = server.energy.neighborhood().in_wh
    server.rm_consumer(1, 2)
    server.rm_house(2)
    server.snapshots.save()
    assert (1, "consumer", 2) not in server.energy.counters
    assert (1, "consumer", 1) in server.energy.counters
    assert len(server.energy._by_device) == 1
    assert server.energy.neighborhood().in_wh == total
    server.stop()
