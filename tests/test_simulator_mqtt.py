"""Simulated boards against a real Mosquitto: readings land in a GridServer's model as meant,
commands switch the simulated devices, and `energrid sim` starts, feeds and stops on SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import MosquittoProcess, free_port
from simulated import connected_server

from energrid.cli import build_parser
from energrid.simulator.board import SimHouse
from energrid.simulator.cli import build_houses, setup_commands
from energrid.simulator.clock import SimClock
from energrid.simulator.fleet import BoardFleet, FleetOptions
from energrid.simulator.wire import WireFormat
from energrid_core import config
from energrid_core.errors import BadArgumentError
from energrid_core.model import House
from energrid_core.server import GridServer

CONSUMERS = ["Radiateur", "Frigo", "Lampe"]
SUPPLIERS = ["Solar Panel"]
NOON_S = 12 * 3600.0


@pytest.fixture
def server(broker: MosquittoProcess) -> Iterator[GridServer]:
    with connected_server(broker) as running:
        yield running


def build_grid(server: GridServer, houses: int, consumers: list[str], suppliers: list[str]) -> None:
    for house in server.new_houses(houses):
        for type_ in consumers:
            server.new_consumers(house.identifier, 1, type_)
        for type_ in suppliers:
            server.new_suppliers(house.identifier, 1, type_)


def boards(server: GridServer, numbers: list[int], wire: WireFormat) -> list[SimHouse]:
    settings = server.settings
    return [
        SimHouse(n, CONSUMERS, SUPPLIERS, wire, 3, settings.neighborhood, settings.calibration)
        for n in numbers
    ]


def fleet_for(server: GridServer, houses: list[SimHouse], per_client: int = 1) -> BoardFleet:
    settings = server.settings
    options = FleetOptions(settings.mqtt_host, settings.mqtt_port, houses_per_client=per_client)
    fleet = BoardFleet(houses, SimClock(), options)
    assert fleet.start(TIMEOUT_S), "the simulated boards did not connect"
    return fleet


def devices_read(house: House, count: int, load_on: bool) -> bool:
    """Every consumer has its count-th reading and supplier 1 reports its load as load_on."""
    consumers = all(c.current_a.count == count for c in house.consumers.values())
    return consumers and house.suppliers[1].load_on is load_on


def readings_count(server: GridServer, house: int) -> int:
    with server.lock:
        return server.grid.houses[house].meter_a.count


@pytest.mark.parametrize("wire", [WireFormat.LEGACY, WireFormat.DEVICE])
def test_readings_land_in_the_model_with_the_values_the_simulator_meant(
    server: GridServer, wire: WireFormat
) -> None:
    build_grid(server, 2, CONSUMERS, SUPPLIERS)
    houses = boards(server, [1, 2], wire)
    fleet = fleet_for(server, houses)
    try:
        fleet.publish_all(NOON_S)

        def all_seen() -> bool:
            with server.lock:
                return all(
                    h.meter_a.count
                    and all(c.current_a.count for c in h.consumers.values())
                    and all(s.last_seen for s in h.suppliers.values())
                    for h in server.grid.houses.values()
                )

        wait_for(all_seen, "every device's first reading")
    finally:
        fleet.stop()
    step_a = server.settings.calibration.amps_per_raw
    tolerance = step_a / 2 + 1e-9 if wire is WireFormat.LEGACY else 1e-9
    with server.lock:
        for board in houses:
            meant = board.last
            house = server.grid.houses[board.number]
            assert house.meter_a.last == pytest.approx(meant.meter_a, abs=tolerance)
            for ident, value in meant.consumers.items():
                consumer = house.consumers[ident]
                assert consumer.current_a.last == pytest.approx(value.current_a, abs=tolerance)
                assert consumer.current_a.count == 1
            # The radiator (warming a cold room) and the lamp are on; the model says so.
            assert house.consumers[1].on is True and house.consumers[3].on is True
            supplier = house.suppliers[1]
            for name, value in meant.suppliers[1].sensors.items():
                assert supplier.value(name) == pytest.approx(value)
            assert supplier.load_on is True
            assert house.consume() > 6.0 and house.supply() > 0.5
    assert server.stats.rejected_total == 0


@pytest.mark.parametrize("wire", [WireFormat.LEGACY, WireFormat.DEVICE])
def test_commands_switch_simulated_devices_off_and_back_on(
    server: GridServer, wire: WireFormat
) -> None:
    build_grid(server, 1, CONSUMERS, SUPPLIERS)
    (board,) = boards(server, [1], wire)
    fleet = fleet_for(server, [board])
    house = server.grid.houses[1]
    try:
        fleet.publish_all(NOON_S)
        wait_for(lambda: readings_count(server, 1) == 1, "the first reading")
        # Per-device, the meter's message can land before the consumers' own: wait for them.
        wait_for(lambda: devices_read(house, 1, load_on=True), "the devices' first messages")
        with server.lock:
            before_a, radiator_a = house.consume(), house.consumers[1].current_a.last
        assert radiator_a > 6.0

        server.set_consumer(1, 1, 0)
        server.set_supplier(1, 1, 0)
        wait_for(lambda: not board.consumers[1].on, "the board to switch the radiator off")
        wait_for(lambda: not board.suppliers[1].load_on, "the board to cut the load")
        fleet.publish_all(NOON_S + 1.0)
        wait_for(lambda: readings_count(server, 1) == 2, "the reading after the commands")
        # The meter comes first; the supplier's message (and per-device, each consumer's) after.
        wait_for(lambda: devices_read(house, 2, load_on=False), "the devices' messages")
        with server.lock:
            radiator = house.consumers[1]
            assert radiator.current_a.last == 0.0 and radiator.on is False
            assert house.consume() == pytest.approx(before_a - radiator_a, abs=0.15)
            assert house.suppliers[1].load_on is False
            assert house.suppliers[1].value("load_current_a") == 0.0

        server.set_consumer(1, 1, 1)
        server.set_supplier(1, 1, 1)
        wait_for(lambda: board.consumers[1].on, "the board to switch the radiator on")
        wait_for(lambda: board.suppliers[1].load_on, "the board to restore the load")
        fleet.publish_all(NOON_S + 2.0)
        wait_for(lambda: readings_count(server, 1) == 3, "the reading after the restore")
        wait_for(lambda: devices_read(house, 3, load_on=True), "the devices' messages")
        with server.lock:
            assert house.consumers[1].on is True
            # Two draws of the radiator's 1 % noise (6.5 A): their difference has a sigma of
            # 0.09 A, so 0.2 A failed about one run in 30; 0.45 A is 5 sigma, far from 0 A (off).
            assert house.consumers[1].current_a.last == pytest.approx(radiator_a, abs=0.45)
            assert house.suppliers[1].load_on is True
    finally:
        fleet.stop()
    assert fleet.counters.commands == 4


def test_several_houses_per_connection_get_their_own_commands(server: GridServer) -> None:
    build_grid(server, 5, ["Lampe"], [])
    houses = [
        SimHouse(n, ["Lampe"], [], neighborhood=server.settings.neighborhood) for n in range(1, 6)
    ]
    fleet = fleet_for(server, houses, per_client=2)
    try:
        n = server.settings.neighborhood
        assert [c.client_id for c in fleet.clients] == [
            f"energrid-sim-{n}-1-2",
            f"energrid-sim-{n}-3-4",
            f"energrid-sim-{n}-5",
        ]
        server.set_consumer(4, 1, 0)
        wait_for(lambda: fleet.counters.commands == 1, "the command to be obeyed")
        assert [h.consumers[1].on for h in houses] == [True, True, True, False, True]
        fleet.publish_all(NOON_S)
        wait_for(lambda: all(readings_count(server, n) for n in range(1, 6)), "the readings")
        with server.lock:
            lamps = [server.grid.houses[n].consumers[1].on for n in range(1, 6)]
        assert lamps == [True, True, True, False, True]
    finally:
        fleet.stop()


def test_the_schedule_takes_reading_k_at_its_simulated_time_without_sleeping() -> None:
    now = [0.0]

    def fake_wait(seconds: float) -> bool:
        now[0] += seconds
        return False

    houses = [SimHouse(n, ["Lampe"], []) for n in range(1, 21)]
    clock = SimClock(time_factor=60.0, start_s=0.0, wall=lambda: now[0])
    options = FleetOptions(port=1, period_s=2.0)  # never started: every reading is "offline"
    fleet = BoardFleet(houses, clock, options, wait=fake_wait)
    fleet.run(count=3)
    fleet.stop()
    assert fleet.counters.readings == 60 and fleet.counters.offline == 60
    assert fleet.counters.messages == 0
    # 10 slots of 0.2 s: houses 1 and 11 in the first slot, 10 and 20 in the last.
    assert houses[0].sim_s == houses[10].sim_s == 2 * 2.0 * 60.0
    assert houses[9].sim_s == pytest.approx((2 + 0.9) * 2.0 * 60.0)
    assert now[0] == pytest.approx(2.9 * 2.0)


def test_sim_flags_build_the_houses_and_bad_ones_say_what_is_wrong() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["--neighborhood", "4", "sim", "--houses", "3", "--first-house", "5", "--format", "mixed"]
        + ["--types", "Lamp, Wind Turbine ,Frigo", "--consumers", "3", "--mqtt-port", "1999"]
    )
    settings = config.from_args(args, environ={})
    assert (settings.neighborhood, settings.mqtt_port) == (4, 1999)
    houses = build_houses(args, settings)
    assert [h.number for h in houses] == [5, 6, 7]
    assert [h.wire for h in houses] == [WireFormat.LEGACY, WireFormat.DEVICE, WireFormat.LEGACY]
    assert houses[0].consumer_types == ("Lamp", "Frigo", "Lamp")
    assert houses[0].supplier_types == ("Wind Turbine",)
    assert "newHouse(3)" in setup_commands(houses)
    assert "    newSupplier(h, 'Wind Turbine')" in setup_commands(houses)
    for bad, message in [
        (["--houses", "0"], "--houses"),
        (["--period", "0"], "--period"),
        (["--types", "Solar Panel"], "no consumer type"),
        (["--first-house", "999999", "--houses", "2"], "--first-house"),
    ]:
        with pytest.raises(BadArgumentError, match=message):
            build_houses(parser.parse_args(["sim", *bad]), settings)


def run_sim(broker: MosquittoProcess, neighborhood: int, *flags: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "energrid", "--mqtt-port", str(broker.port)]
    command += ["--neighborhood", str(neighborhood), "sim", *flags]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)


def test_energrid_sim_feeds_a_server_and_stops_on_sigint(server: GridServer, broker) -> None:
    build_grid(server, 2, CONSUMERS, SUPPLIERS)
    process = run_sim(broker, server.settings.neighborhood, "--houses", "2", "--period", "0.2")
    try:
        wait_for(
            lambda: all(readings_count(server, h) >= 2 for h in (1, 2)) or process.poll(),
            "readings from `energrid sim`",
        )
        assert process.poll() is None, process.stderr.read()
        server.set_consumer(2, 3, 0)
        wait_for(lambda: server.grid.houses[2].consumers[3].on is False, "the lamp to go off")
        process.send_signal(signal.SIGINT)
        assert process.wait(TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = process.stderr.read()
    assert "obeyed house 2 consumer 3 (Lampe) OFF" in log
    assert "stopped:" in log and "Traceback" not in log
    assert server.stats.rejected_total == 0


def test_energrid_sim_with_count_stops_by_itself(server: GridServer, broker) -> None:
    build_grid(server, 1, ["Lampe"], [])
    flags = ("--houses", "1", "--consumers", "1", "--suppliers", "0", "--period", "0.05")
    process = run_sim(
        broker, server.settings.neighborhood, *flags, "--count", "3", "--format", "device"
    )
    try:
        assert process.wait(TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    wait_for(lambda: server.grid.houses[1].consumers[1].current_a.count == 3, "3 readings")
    assert "3 readings, 6 messages published" in process.stderr.read()


def test_energrid_sim_refuses_a_bad_flag_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "energrid", "sim", "--houses", "-1"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "energrid: --houses must be 1..100000, not -1"


def test_duration_bounds_the_whole_run_even_without_a_broker() -> None:
    """--duration 1 against no broker ran about 7 s: a 5 s wait for the connections, the run,
    then up to a second waiting for each board's network thread."""
    command = [sys.executable, "-m", "energrid", "--mqtt-port", str(free_port()), "sim"]
    started = time.monotonic()
    result = subprocess.run(
        [*command, "--duration", "1"], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    elapsed_s = time.monotonic() - started
    # The 2.5 s beyond --duration are for Python's start-up on a loaded machine.
    assert elapsed_s < 1 + 2.5, f"--duration 1 took {elapsed_s:.1f} s"
    assert result.returncode == 0, result.stderr
    assert "No board is connected" in result.stderr and "stopped: 1 reading," in result.stderr
