"""The state topics against a real Mosquitto: what a client that only subscribes can rely on.

Every server here runs beside the contract probe (state_fixtures), so every message it publishes
is also checked against docs/asyncapi.yaml.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import orjson
import pytest
from asyncapi_contract import Contract
from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import MosquittoProcess
from state_fixtures import ContractProbe, GridUnderTest, MakeGridServer, new_client

from energrid.shell import views
from energrid.shell.commands import ShellCommands
from energrid.watch.cli import Watcher
from energrid.watch.grid import WatchedGrid

REPO = Path(__file__).resolve().parent.parent


def retained(broker: MosquittoProcess, neighborhood: int) -> dict[str, bytes]:
    """Every retained message under energrid/<n>/, as a client connecting now gets them.

    The broker sends a new subscriber the retained messages before anything published after the
    SUBACK, so a marker published then arrives last and proves the snapshot whole.
    """
    got: dict[str, bytes] = {}
    marker = f"energrid-test/marker/{uuid.uuid4().hex}"
    done, subscribed = threading.Event(), threading.Event()

    def on_message(_c, _u, message) -> None:  # noqa: ANN001
        if message.topic == marker:
            done.set()
        elif message.retain:
            got[message.topic] = bytes(message.payload)

    client = new_client("energrid-late")
    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.subscribe([(f"energrid/{neighborhood}/#", 1), (marker, 1)])
        assert subscribed.wait(TIMEOUT_S)
        client.publish(marker, b"end", qos=1)
        assert done.wait(TIMEOUT_S), "the marker did not come back"
    finally:
        client.disconnect()
        client.loop_stop()
    return got


def late_client(broker: MosquittoProcess, neighborhood: int) -> WatchedGrid:
    """What `energrid watch` rebuilds when it connects now (retained messages only)."""
    watcher = Watcher(broker.host, broker.port, neighborhood)
    watcher.start()
    try:
        assert watcher.wait_complete(TIMEOUT_S), "the late client never got the whole grid"
    finally:
        watcher.stop()
    return watcher.grid


def shell_output(capsys: pytest.CaptureFixture[str], command: object, *args: object) -> str:
    capsys.readouterr()
    command(*args)  # type: ignore[operator]
    return capsys.readouterr().out


def build_demo(grid: GridUnderTest) -> None:
    """House 1: meter, 3 consumers, a panel; house 2: 2 consumers (no meter); house 3: empty."""
    server = grid.server
    server.new_houses(3)
    server.new_consumers(1, 3, "LED")
    server.new_suppliers(1, 1, "Solar Panel")
    server.new_consumers(2, 2, "Lamp")
    grid.board.consumers(1, {0: 2320, 1: 785, 2: 1100, 3: 745})
    grid.board.supplier(1, 1, pv_voltage_v=18.2, load_voltage_v=12.1, load_current_a=0.8)
    grid.board.consumer(2, 1, 1.25, True)
    grid.board.consumer(2, 2, 0.5, True)
    wait_for(lambda: server.stats.messages_applied == 4, what="the readings in the model")


def test_a_late_client_rebuilds_the_grid_the_shell_shows(
    make_grid_server: MakeGridServer, broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = make_grid_server(state_max_rate_hz=20.0)
    build_demo(grid)
    server = grid.server
    commands = ShellCommands(server)
    shown = shell_output(capsys, commands.showHouses).splitlines()[0]
    assert (
        shown.startswith("Neighborhood")
        and "3 houses, 6 devices; 2 houses and 6 devices online:" in shown
    )

    def rebuilt_matches() -> bool:
        seen = late_client(broker, grid.n)
        totals = seen.totals()
        return totals is not None and views.neighborhood_line(grid.n, totals) == shown

    wait_for(rebuilt_matches, what="the late client's totals to match showHouses()")
    seen = late_client(broker, grid.n)
    assert views.neighborhood_line(grid.n, seen.house_totals()) == shown  # houses add up too
    with server.lock:
        for house in server.grid.houses.values():
            state = seen.houses[house.identifier]
            assert state["consumption_a"] == house.consume()
            assert state["supply_w"] == house.supply_w()
            assert state["net_w"] == house.net_w(server.settings.mains_voltage_v)
            for consumer in house.consumers.values():
                device = seen.devices[(house.identifier, "consumer", consumer.identifier)]
                assert device["current_a"] == consumer.current_a.last
                assert device["on"] == consumer.on and device["type"] == consumer.type
            for supplier in house.suppliers.values():
                device = seen.devices[(house.identifier, "supplier", supplier.identifier)]
                assert device["supply_w"] == supplier.supply_w
    assert seen.server_online is True


def test_coalescing_caps_the_publish_rate_under_a_burst(
    make_grid_server: MakeGridServer,
) -> None:
    rate_hz = 4.0
    grid = make_grid_server(state_max_rate_hz=rate_hz)
    server = grid.server
    server.new_houses(1)
    server.new_consumers(1, 3, "LED")
    topic = f"energrid/{grid.n}/state/house/1"
    wait_for(lambda: grid.probe.last(topic) is not None and server.state.idle())
    started = time.monotonic()
    burst = 300
    for i in range(burst):
        grid.board.consumers(1, {1: 900 + i, 2: 870, 3: 1000})
    wait_for(lambda: server.stats.messages_applied == burst, what="the burst in the model")
    last_raw = 900 + burst - 1
    expected_a = server.settings.calibration.raw_to_amps(last_raw)
    lamp = f"{topic}/consumer/1"
    wait_for(
        lambda: (
            (grid.probe.last(lamp) or None) is not None
            and grid.probe.last(lamp).json()["current_a"] == expected_a
        ),
        what="the last reading on the state topic",
    )
    elapsed_s = time.monotonic() - started
    during = [m for m in grid.probe.messages(topic) if m.at >= started]
    # Publishes of one house are at least 1/rate apart, so at most 1 + elapsed * rate of them.
    assert 1 <= len(during) <= 1 + elapsed_s * rate_hz + 1, (len(during), elapsed_s)
    assert len(during) < burst / 10
    assert server.state.stats.changes_marked >= burst


def test_a_silent_device_goes_offline_and_comes_back(
    make_grid_server: MakeGridServer, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = make_grid_server(offline_after_s=0.5)
    server = grid.server
    server.new_houses(1)
    server.new_consumers(1, 1, "Lamp")
    topic = f"energrid/{grid.n}/state/house/1/consumer/1"

    def online() -> bool | None:
        last = grid.probe.last(topic)
        return None if last is None else last.json()["online"]

    grid.board.consumer(1, 1, 0.4, True)
    wait_for(lambda: online() is True, what="the lamp online")
    wait_for(lambda: online() is False, what="the silent lamp offline")
    house = grid.probe.last(f"energrid/{grid.n}/state/house/1").json()
    assert house["online"] is False
    commands = ShellCommands(server)
    assert "OFFLINE" in shell_output(capsys, commands.showConsumers, 1)
    assert "House 1 (OFFLINE)" in shell_output(capsys, commands.showHouse, 1)
    grid.board.consumer(1, 1, 0.4, True)
    wait_for(lambda: online() is True, what="the lamp back online")
    assert "online" in shell_output(capsys, commands.showConsumers, 1).splitlines()[2]


def test_removal_clears_the_retained_topics(
    make_grid_server: MakeGridServer, broker: MosquittoProcess
) -> None:
    grid = make_grid_server(state_max_rate_hz=20.0)
    build_demo(grid)
    base = f"energrid/{grid.n}/state"
    wait_for(lambda: f"{base}/house/1/supplier/1" in retained(broker, grid.n))
    grid.server.rm_consumer(1, 2)
    wait_for(lambda: f"{base}/house/1/consumer/2" not in retained(broker, grid.n))
    grid.server.rm_house(1)
    wait_for(
        lambda: not any(t.startswith(f"{base}/house/1") for t in retained(broker, grid.n)),
        what="house 1's topics gone",
    )
    wait_for(lambda: orjson.loads(retained(broker, grid.n)[f"{base}/houses"])["houses"] == [2, 3])
    topics = set(retained(broker, grid.n))
    assert f"{base}/house/2/consumer/2" in topics and f"{base}/house/3" in topics
    assert late_client(broker, grid.n).house_ids() == [2, 3]


def test_commands_are_confirmed_or_not(
    make_grid_server: MakeGridServer, broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = make_grid_server(confirm_timeout_s=1.0, command_ttl_s=2.0)
    server = grid.server
    server.new_houses(1)
    server.new_consumers(1, 2, "Lamp")
    # Consumer 1's board obeys its /set topic and reports; consumer 2's board is dead.
    device = new_client("energrid-lamp")
    set_topic = f"Neighborhood/{grid.n}/House/1/Consumer/1/set"

    def obey(_c, _u, message) -> None:  # noqa: ANN001
        on = message.payload == b"1"
        grid.board.consumer(1, 1, 0.4 if on else 0.0, on)

    device.on_message = obey
    subscribed = threading.Event()
    device.on_subscribe = lambda *_a: subscribed.set()
    device.connect(broker.host, broker.port)
    device.loop_start()
    try:
        device.subscribe(set_topic, qos=1)
        assert subscribed.wait(TIMEOUT_S)
        commands = ShellCommands(server)
        capsys.readouterr()
        commands.setConsumer(1, 1, 1)
        commands.setConsumer(1, 2, 0)
        printed: list[str] = []

        def said(text: str) -> bool:
            printed.extend(capsys.readouterr().out.splitlines())
            return any(text in line for line in printed)

        wait_for(lambda: said("House 1 consumer 1 confirmed ON in"), what="a confirmation")
        wait_for(lambda: said("House 1 consumer 2 did not confirm OFF within 2 s (sent once; no"))
    finally:
        device.disconnect()
        device.loop_stop()
    state = f"energrid/{grid.n}/state/house/1/consumer"
    wait_for(lambda: grid.probe.last(f"{state}/2").json()["command"]["status"] == "unconfirmed")
    confirmed = grid.probe.last(f"{state}/1").json()
    assert confirmed["command"]["status"] == "confirmed" and confirmed["on"] is True


def test_the_last_will_flips_the_status_when_the_server_dies(
    broker: MosquittoProcess, contract: Contract, tmp_path: Path
) -> None:
    neighborhood = 900_000 + os.getpid() % 99_999
    probe = ContractProbe(contract, broker, neighborhood)
    status = f"energrid/{neighborhood}/status"
    command = [
        sys.executable,
        "-m",
        "energrid",
        "--headless",
        "--no-start-broker",
        f"--mqtt-port={broker.port}",
        f"--neighborhood={neighborhood}",
        f"--client-id=energrid-doomed-{uuid.uuid4().hex[:6]}",
        f"--state-dir={tmp_path}",
    ]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(
            lambda: (
                (probe.last(status) or None) is not None
                and probe.last(status).json()["status"] == "online"
            ),
            timeout_s=15.0,
            what="the server's online status",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(TIMEOUT_S)
        wait_for(lambda: probe.last(status).json() == {"status": "offline"}, what="the will")
        assert orjson.loads(retained(broker, neighborhood)[status]) == {"status": "offline"}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        probe.stop()
    assert probe.violations == []


@pytest.mark.slow
def test_state_is_republished_after_the_broker_lost_it(
    make_broker, contract: Contract, tmp_path: Path
) -> None:  # noqa: ANN001
    """A broker restarted without persistence has no retained state: the server sends it again."""
    from energrid_core.config import Settings
    from energrid_core.server import GridServer

    own = make_broker(persistence=False)
    settings = Settings(
        mqtt_port=own.port,
        neighborhood=7,
        client_id=f"energrid-test-{uuid.uuid4().hex[:8]}",
        state_dir=tmp_path,
        start_broker=False,
    )
    server = GridServer(settings)
    try:
        assert server.start(TIMEOUT_S)
        server.new_houses(2)
        server.new_consumers(2, 1, "LED")
        wait_for(
            lambda: len(retained(own, 7)) == 6, what="status, neighborhood, houses, 2 houses, 1 LED"
        )
        own.stop()
        own.start()
        assert retained(own, 7) == {}
        wait_for(lambda: len(retained(own, 7)) == 6, timeout_s=15.0, what="the republication")
        assert late_client(own, 7).house_ids() == [1, 2]
    finally:
        server.stop()
