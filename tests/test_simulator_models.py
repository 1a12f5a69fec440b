"""The simulator's behaviour models, boards and wire encoding: seeded, driven by simulated time."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock, hour_of_day
from energrid.simulator.consumers import SteadyLoad, ThermostatLoad, make_consumer
from energrid.simulator.suppliers import SupplierModel, WindSource
from energrid.simulator.table import (
    TABLE,
    UNKNOWN_CONSUMER,
    UNKNOWN_SUPPLIER,
    UNMETERED_NOISE_PCT,
    UNMETERED_W,
    Kit,
    Solar,
    Steady,
    Thermostat,
    Wind,
    spec_for,
)
from energrid.simulator.wire import WireFormat
from energrid_core.config import Calibration
from energrid_core.wire import Decoder

MAINS_V = 230.0
HOUR_S = 3600.0
CAL = Calibration()


def spec(name: str) -> Thermostat | Steady | Solar | Wind:
    return spec_for(name, supplier=name in ("Solar Panel", "Wind Turbine")).params


def run_thermostat(model: ThermostatLoad, hours: float, step_s: float = 60.0) -> list[bool]:
    rng = random.Random(1)
    states = []
    for _ in range(int(hours * HOUR_S / step_s)):
        model.step(step_s, rng)
        states.append(model.running)
    return states


def runs(states: list[bool], value: bool) -> list[int]:
    """Lengths of the complete runs of `value` (the first and the last may be cut: dropped)."""
    groups = [(state, len(list(run))) for state, run in itertools.groupby(states)]
    return [length for state, length in groups[1:-1] if state == value]


# --- the table -----------------------------------------------------------------------------------


def test_types_are_found_by_name_alias_case_and_accents() -> None:
    assert spec_for("Lampe", supplier=False).name == "Lampe"
    assert spec_for("lamp", supplier=False).name == "Lampe"
    assert spec_for("  FRIDGE ", supplier=False).name == "Frigo"
    assert spec_for("Réfrigérateur", supplier=False).name == "Frigo"
    assert spec_for("solar_panel", supplier=True).name == "Solar Panel"
    assert spec_for("Éolienne", supplier=True).name == "Wind Turbine"


def test_unknown_types_get_a_plain_steady_behaviour() -> None:
    assert spec_for("Toaster", supplier=False) is UNKNOWN_CONSUMER
    assert isinstance(UNKNOWN_CONSUMER.params, Steady)
    assert spec_for("Diesel Generator", supplier=True) is UNKNOWN_SUPPLIER
    # A supplier's type used for a consumer (and the reverse) is unknown there, not misused.
    assert spec_for("Solar Panel", supplier=False) is UNKNOWN_CONSUMER
    assert spec_for("Lampe", supplier=True) is UNKNOWN_SUPPLIER


def test_every_number_of_the_table_is_in_docs_simulator_md() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "simulator.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("|")}
    for type_spec in (*TABLE, UNKNOWN_CONSUMER, UNKNOWN_SUPPLIER):
        row = rows.get(type_spec.name)
        assert row is not None, f"docs/simulator.md has no row for {type_spec.name}"
        numbers = set(re.findall(r"-?\d+(?:\.\d+)?", row))
        for name, value in vars(type_spec.params).items():
            if isinstance(value, float):
                assert f"{value:g}" in numbers, f"{type_spec.name}.{name}={value:g} not in {row}"
    kit_row = rows["12 V kit"]
    for name, value in vars(Kit()).items():
        if value is None:  # output_v: the battery's voltage, said in words
            continue
        assert f"{value:g}" in set(re.findall(r"-?\d+(?:\.\d+)?", kit_row)), f"Kit.{name}"
    assert f"{UNMETERED_W:g}" in rows["unmetered"]


# --- consumers -----------------------------------------------------------------------------------


def test_a_lamp_draws_steadily_and_a_command_cuts_and_restores_it() -> None:
    lamp = SteadyLoad(Steady(power_w=100.0, noise_pct=0.0))
    rng = random.Random(1)
    assert [lamp.step(60.0, rng) for _ in range(3)] == [100.0, 100.0, 100.0]
    lamp.on = False
    assert lamp.step(60.0, rng) == 0.0
    lamp.on = True
    assert lamp.step(60.0, rng) == 100.0


def test_noise_stays_close_to_the_nominal_draw() -> None:
    led = make_consumer(spec("LED"))
    rng = random.Random(3)
    draws = [led.step(1.0, rng) for _ in range(500)]
    assert 9.5 < sum(draws) / len(draws) < 10.5
    assert len(set(draws)) > 1 and all(9.0 < d < 11.0 for d in draws)


def test_a_fridge_compressor_cycles() -> None:
    fridge = make_consumer(spec("Frigo"))
    assert isinstance(fridge, ThermostatLoad)
    states = run_thermostat(fridge, hours=12)
    on_runs, off_runs = runs(states, True), runs(states, False)
    assert len(on_runs) >= 10  # 45-minute cycles over 12 hours
    duty = sum(states) / len(states)
    assert 0.2 < duty < 0.5
    # About 15 minutes running, 30 minutes resting (1-minute steps).
    assert all(10 <= n <= 20 for n in on_runs), on_runs
    assert all(25 <= n <= 40 for n in off_runs), off_runs
    assert 2.5 < fridge.temperature_c < 5.5


def test_a_fridge_draws_its_compressor_power_only_while_running() -> None:
    fridge = make_consumer(spec("Frigo"))
    rng = random.Random(2)
    seen = set()
    for _ in range(120):
        draw = fridge.step(60.0, rng)
        seen.add(round(draw, -1))
        assert (draw > 50.0) == fridge.running
    assert seen >= {0.0, 100.0}


def test_a_radiator_heats_a_cold_room_then_holds_the_setpoint() -> None:
    radiator = make_consumer(spec("Radiateur"))
    assert radiator.running  # 15 °C at the start, below the band
    states = run_thermostat(radiator, hours=12)
    first_off = states.index(False)
    assert 60 < first_off < 6 * 60  # hours of warm-up, not minutes
    assert 19.0 <= radiator.temperature_c <= 21.0
    assert len(runs(states, True)) >= 2  # then it switches on its thermostat


def test_a_switched_off_fridge_warms_and_runs_when_switched_back_on() -> None:
    fridge = make_consumer(spec("Frigo"))
    rng = random.Random(4)
    fridge.on = False
    for _ in range(60):
        assert fridge.step(60.0, rng) == 0.0
    assert fridge.temperature_c > 6.0
    fridge.on = True
    assert fridge.step(60.0, rng) > 50.0


# --- suppliers -----------------------------------------------------------------------------------


def solar_at(hour: float, seed: int = 1) -> dict[str, float]:
    panel = SupplierModel(spec("Solar Panel"))
    return panel.step(hour * HOUR_S, 0.0, random.Random(seed))


def test_a_solar_panel_follows_the_sun() -> None:
    assert solar_at(2.0)["pv_current_a"] == 0.0
    assert solar_at(21.0)["pv_current_a"] == 0.0
    morning, noon, evening = solar_at(8.0), solar_at(13.0), solar_at(18.5)
    assert 0.0 < morning["pv_current_a"] < noon["pv_current_a"]
    assert 0.0 < evening["pv_current_a"] < noon["pv_current_a"]
    power_w = noon["pv_voltage_v"] * noon["pv_current_a"]
    assert 40.0 < power_w <= 100.0  # a 100 Wp panel under the average cloud cover


def test_a_solar_panel_follows_the_sun_over_a_simulated_day() -> None:
    panel = SupplierModel(spec("Solar Panel"))
    rng = random.Random(5)
    by_hour = {}
    for minute in range(0, 24 * 60, 10):
        sensors = panel.step(minute * 60.0, 600.0 if minute else 0.0, rng)
        by_hour.setdefault(minute // 60, []).append(
            sensors["pv_voltage_v"] * sensors["pv_current_a"]
        )
    mean = {h: sum(v) / len(v) for h, v in by_hour.items()}
    assert mean[3] == 0.0 and mean[22] == 0.0
    assert mean[12] > mean[9] > mean[7] > 0.0


def test_the_battery_charges_in_the_sun_and_discharges_at_night() -> None:
    panel = SupplierModel(spec("Solar Panel"))
    rng = random.Random(6)
    start = panel.soc_pct
    sensors = {}
    for minute in range(1, 121):  # 11:00 to 13:00
        sensors = panel.step(11 * HOUR_S + minute * 60.0, 60.0, rng)
    assert panel.soc_pct > start
    assert sensors["battery_current_a"] > 0.0
    night = panel.soc_pct
    for minute in range(1, 121):  # 22:00 to midnight: the load runs on the battery
        sensors = panel.step(22 * HOUR_S + minute * 60.0, 60.0, rng)
    assert panel.soc_pct < night
    assert sensors["battery_current_a"] < 0.0
    assert sensors["load_current_a"] > 0.5


def test_a_full_battery_stops_charging_and_an_empty_one_browns_the_load_out() -> None:
    panel = SupplierModel(Solar(cloud_sigma=0.0, kit=Kit(start_soc_pct=99.9)))
    rng = random.Random(7)
    for minute in range(1, 61):
        sensors = panel.step(12 * HOUR_S + minute * 60.0, 60.0, rng)
    assert panel.soc_pct == pytest.approx(100.0)
    assert sensors["battery_current_a"] == 0.0
    empty = SupplierModel(Solar(kit=Kit(start_soc_pct=0.0)))
    sensors = empty.step(2 * HOUR_S, 60.0, rng)  # night, nothing stored
    assert sensors["load_current_a"] == 0.0 and empty.soc_pct == 0.0


def test_booleanload_cuts_the_load_side_and_the_source_then_only_charges() -> None:
    panel = SupplierModel(spec("Solar Panel"))
    rng = random.Random(8)
    on = panel.step(12 * HOUR_S, 60.0, rng)
    panel.load_on = False
    off = panel.step(12 * HOUR_S + 60.0, 60.0, rng)
    assert on["load_current_a"] > 0.5 and on["load_voltage_v"] > 11.0
    assert off["load_current_a"] == 0.0 and off["load_voltage_v"] == 0.0
    assert off["battery_current_a"] > on["battery_current_a"]
    panel.load_on = True
    assert panel.step(12 * HOUR_S + 120.0, 60.0, rng)["load_current_a"] > 0.5


def test_a_wind_turbine_follows_its_power_curve_and_the_gusts() -> None:
    turbine = WindSource(Wind())
    assert turbine.power_w(2.0) == 0.0
    assert turbine.power_w(12.5) == turbine.power_w(20.0) == 400.0
    assert turbine.power_w(26.0) == 0.0
    assert 0.0 < turbine.power_w(5.0) < turbine.power_w(8.0) < 400.0
    rng = random.Random(9)
    speeds = []
    for i in range(600):
        turbine.advance(i * 10.0, 10.0, rng)
        speeds.append(turbine.wind_ms)
    assert min(speeds) < 4.5 and max(speeds) > 6.5  # gusts around the 5.5 m/s mean
    assert 4.5 < sum(speeds) / len(speeds) < 6.5


# --- the board -----------------------------------------------------------------------------------


def demo_house(wire: WireFormat = WireFormat.LEGACY, seed: int = 1, number: int = 1) -> SimHouse:
    return SimHouse(number, ["Radiateur", "Frigo", "Lampe"], ["Solar Panel"], wire, seed)


def test_the_meter_reads_the_sum_of_the_consumers_plus_the_unmetered_load() -> None:
    house = demo_house()
    for k in range(50):
        reading = house.step(10 * HOUR_S + k * 60.0)
        consumers_a = sum(v.current_a for v in reading.consumers.values())
        unmetered_a = reading.meter_a - consumers_a
        # 40 W with a 2 % noise (4 sigma), give or take the rounding of each value to 0.1 mA.
        four_sigma_a = 4 * UNMETERED_NOISE_PCT / 100 * UNMETERED_W / MAINS_V
        assert unmetered_a == pytest.approx(UNMETERED_W / MAINS_V, abs=four_sigma_a + 0.0005)


def test_commands_switch_a_boards_devices_off_and_on() -> None:
    house = demo_house()
    before = house.step(10 * HOUR_S)
    topic = "Neighborhood/0/House/1/Consumer/1/set"
    assert house.command(topic, b"0") == "house 1 consumer 1 (Radiateur) OFF"
    after = house.step(10 * HOUR_S + 1.0)
    assert after.consumers[1] == type(after.consumers[1])(0.0, False)
    radiator_a = before.consumers[1].current_a
    assert after.meter_a == pytest.approx(before.meter_a - radiator_a, abs=0.1)
    assert house.command(topic, b"1 \n") == "house 1 consumer 1 (Radiateur) ON"
    assert house.step(10 * HOUR_S + 2.0).consumers[1].current_a > 6.0
    load = "Neighborhood/0/House/1/Supplier/1/booleanLoad"
    assert house.command(load, b"0") == "house 1 supplier load 1 (Solar Panel) OFF"
    off = house.step(10 * HOUR_S + 3.0).suppliers[1]
    assert off.load_on is False and off.sensors["load_current_a"] == 0.0


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("Neighborhood/0/House/1/Consumer/1/set", b"2"),
        ("Neighborhood/0/House/1/Consumer/1/set", b"off"),
        ("Neighborhood/0/House/2/Consumer/1/set", b"0"),  # another house
        ("Neighborhood/1/House/1/Consumer/1/set", b"0"),  # another neighborhood
        ("Neighborhood/0/House/1/Consumer/9/set", b"0"),  # no such consumer
        ("Neighborhood/0/House/1/Supplier/2/booleanLoad", b"0"),
        ("Neighborhood/0/House/1/Consumer/1", b"0"),  # a reading topic
    ],
)
def test_commands_for_someone_else_or_malformed_are_ignored(topic: str, payload: bytes) -> None:
    house = demo_house()
    assert house.command(topic, payload) is None
    reading = house.step(10 * HOUR_S)
    assert all(model.on for model in house.consumers.values())  # every command state still ON
    assert reading.suppliers[1].load_on


def test_the_same_seed_gives_the_same_readings() -> None:
    times = [10 * HOUR_S + k * 30.0 for k in range(100)]
    a, b, c = demo_house(seed=7), demo_house(seed=7), demo_house(seed=8)
    runs_a = [a.step(t) for t in times]
    assert runs_a == [b.step(t) for t in times]
    assert runs_a != [c.step(t) for t in times]
    # Each house has its own generator: house 2 does not change house 1's readings.
    other = demo_house(seed=7, number=2)
    d = demo_house(seed=7)
    mixed = []
    for t in times:
        other.step(t)
        mixed.append(d.step(t))
    assert mixed == runs_a


# --- wire formats: what the server's own decoder makes of them -------------------------------


@pytest.mark.parametrize("wire", [WireFormat.LEGACY, WireFormat.DEVICE])
def test_the_servers_decoder_reads_what_the_board_meant(wire: WireFormat) -> None:
    house = demo_house(wire)
    decoder = Decoder()
    for k in range(30):
        reading = house.step(12 * HOUR_S + k * 120.0)
        consumers, suppliers = {}, {}
        for topic, payload in house.encode(reading):
            decoded = decoder.decode(topic, payload)
            consumers.update({r.device: r for r in decoded.consumers})
            suppliers.update({r.device: r for r in decoded.suppliers})
        tolerance = CAL.amps_per_raw / 2 + 1e-9 if wire is WireFormat.LEGACY else 1e-9
        assert consumers[0].current_a == pytest.approx(reading.meter_a, abs=tolerance)
        for ident, value in reading.consumers.items():
            assert consumers[ident].current_a == pytest.approx(value.current_a, abs=tolerance)
            if wire is WireFormat.DEVICE:
                assert consumers[ident].on == value.on
        for ident, value in reading.suppliers.items():
            assert suppliers[ident].values == pytest.approx(value.sensors)
            assert suppliers[ident].load_on == value.load_on


def test_legacy_messages_look_like_the_boards() -> None:
    house = demo_house(WireFormat.LEGACY)
    reading = house.step(12 * HOUR_S)
    (consumer_topic, consumer_payload), (supplier_topic, supplier_payload) = house.encode(reading)
    assert consumer_topic == "Neighborhood/0/House/1/Consumer"
    assert re.fullmatch(rb'\{"0":\d+,"1":\d+,"2":\d+,"3":\d+\}', consumer_payload)
    assert supplier_topic == "Neighborhood/0/House/1/Supplier"
    for name in (b"pvvoltage", b"pvcurrent", b"lvoltage", b"lcurrent", b"bvoltage", b"bcurrent"):
        assert b'"' + name + b'":' in supplier_payload
    assert re.search(rb'"bremaining":\d+[,}]', supplier_payload)  # a whole percent
    assert b"pvoltage" not in supplier_payload  # never the early draft's spelling


def test_a_lamp_reads_on_and_a_switched_off_one_off_on_a_legacy_board() -> None:
    house = SimHouse(1, ["Lampe", "LED"], [], WireFormat.LEGACY, 1)
    decoder = Decoder()
    topic, payload = house.encode(house.step(0.0))[0]
    lamp, led = (r for r in decoder.decode(topic, payload).consumers if r.device)
    assert lamp.on is True
    assert led.on is False and led.current_a > 0.0  # 10 W: under the 870 threshold (see docs)
    house.command("Neighborhood/0/House/1/Consumer/1/set", b"0")
    topic, payload = house.encode(house.step(1.0))[0]
    assert next(r for r in decoder.decode(topic, payload).consumers if r.device == 1).on is False


# --- the clock -----------------------------------------------------------------------------------


def test_the_clock_turns_wall_seconds_into_simulated_time() -> None:
    clock = SimClock(time_factor=1440.0, start_s=6 * HOUR_S)
    assert clock.sim_time(0.0) == 6 * HOUR_S
    assert hour_of_day(clock.sim_time(60.0)) == pytest.approx(6.0)  # a day in a minute
    assert hour_of_day(clock.sim_time(30.0)) == pytest.approx(18.0)
    with pytest.raises(ValueError):
        SimClock(time_factor=0.0)
    with pytest.raises(ValueError):
        SimClock(start_s=-1.0)


def test_the_demo_boards_read_the_same_in_both_formats_and_plausibly() -> None:
    """A reviewer saw an idle fridge OFF on the legacy board and ON on the per-device one, a
    lamp and a relay ON at 0 W at midday, and the rooftop kit's load side at 12.7 V, 145 A.
    Through the server's own decoder, over a simulated day: every consumer reads the same in
    both formats, ON only while it draws its power; the supplier's values fit its power."""
    from energrid.demo import DEMO_PARAMS, demo_devices

    consumers = [t for kind, t in demo_devices(2) if kind == "consumer"]
    suppliers = [t for kind, t in demo_devices(2) if kind == "supplier"]
    boards = {
        wire: SimHouse(2, consumers, suppliers, wire, 2019, params=DEMO_PARAMS)
        for wire in (WireFormat.LEGACY, WireFormat.DEVICE)
    }
    decoder = Decoder()
    seen_on = seen_off = 0
    for k in range(24 * 12):  # every 5 simulated minutes of a day
        decoded = {}
        for wire, board in boards.items():
            read = {}
            for topic, payload in board.encode(board.step(k * 300.0)):
                message = decoder.decode(topic, payload)
                read.update({(0, r.device): r for r in message.consumers if r.device})
                read.update({(1, r.device): r for r in message.suppliers})
            decoded[wire] = read
        legacy, device = decoded[WireFormat.LEGACY], decoded[WireFormat.DEVICE]
        for c in range(1, len(consumers) + 1):
            one, other = legacy[(0, c)], device[(0, c)]
            assert one.on == other.on, (k, consumers[c - 1], one, other)
            watts = other.current_a * 230.0
            assert (watts > 80.0) if other.on else (watts < 20.0), (k, consumers[c - 1], watts)
            seen_on += other.on
            seen_off += not other.on
        values = device[(1, 1)].values
        power_w = values["load_voltage_v"] * values["load_current_a"]
        assert values["load_current_a"] <= 20.0, values  # a 3 kWp roof at 230 V: 13 A at most
        assert values["pv_current_a"] <= 15.0, values
        assert abs(values["battery_current_a"]) <= 80.0, values
        assert power_w >= 0.0
    assert seen_on and seen_off
