"""Tasmota and Shelly plugs bound to consumers, end to end on a real Mosquitto."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from helpers import TestClient, unique, wait_for

from energrid.simulator.plug_client import PlugClient, run_plugs
from energrid.simulator.plugs import SimPlug
from energrid_core.commands.command import Phase
from energrid_core.errors import BadArgumentError
from energrid_core.model import DeviceKind
from energrid_core.server import GridServer


@contextmanager
def plugs_running(server: GridServer, plugs: list[SimPlug]) -> Iterator[list[PlugClient]]:
    s = server.settings
    clients = [PlugClient(p, s.mqtt_host, s.mqtt_port) for p in plugs]
    stop = threading.Event()
    thread = threading.Thread(target=run_plugs, args=(clients, 0.1, stop), daemon=True)
    thread.start()
    try:
        wait_for(lambda: all(c.ready.is_set() for c in clients), "the plugs to connect")
        yield clients
    finally:
        stop.set()
        thread.join(10)


def _power_w(server: GridServer, house: int, consumer: int) -> float | None:
    with server.lock:
        device = server.grid.house(house).consumer(consumer)
        last = device.current_a.last
    return None if last is None else last * server.settings.mains_voltage_v


def test_bound_plugs_report_their_watts_and_obey_set_consumer(server: GridServer) -> None:
    server.new_houses(1)
    server.new_consumers(1, 3, "Lampe")
    tasmota = SimPlug("tasmota", unique("plug-kitchen"), "Lampe")
    gen2 = SimPlug("shelly", unique("shellyplus1pm-a8032ab1"), "Lampe")
    gen1 = SimPlug("shelly", "shellies/" + unique("shelly1pm"), "Lampe")
    for consumer, plug in enumerate((tasmota, gen2, gen1), 1):
        server.bind_device(1, consumer, plug.flavour, plug.device)
    with plugs_running(server, [tasmota, gen2, gen1]):
        for consumer, plug in enumerate((tasmota, gen2, gen1), 1):
            wait_for(
                lambda c=consumer, p=plug: (
                    (_power_w(server, 1, c) or 0) > 10
                    and abs(_power_w(server, 1, c) - p.model.draw_w) < 2.0
                ),
                f"consumer {consumer} to show its plug's watts",
            )
        for consumer, plug in enumerate((tasmota, gen2, gen1), 1):
            server.set_consumer(1, consumer, 0)
            wait_for(lambda p=plug: not p.on, f"{plug.device} to switch off")
            wait_for(
                lambda c=consumer: (
                    (latest := server.command_of(1, DeviceKind.CONSUMER, c)) is not None
                    and latest.phase is Phase.CONFIRMED
                ),
                f"consumer {consumer}'s OFF to be confirmed by its plug",
            )
            wait_for(lambda c=consumer: _power_w(server, 1, c) == 0.0, "0 W once off")
        server.set_consumer(1, 1, 1)
        wait_for(lambda: tasmota.on, "the Tasmota plug to switch back on")
    assert server.stats.callback_errors == 0


def test_a_plugs_bad_reports_are_counted_and_change_nothing(
    server: GridServer, mqtt_client: TestClient
) -> None:
    server.new_houses(1)
    server.new_consumers(1, 1, "Lampe")
    name = unique("plug-bad")
    server.bind_device(1, 1, "tasmota", name)
    sensor = f"tele/{name}/SENSOR"

    def subscribed() -> bool:  # the server listens once a reading of the plug lands
        mqtt_client.publish(sensor, b'{"ENERGY": {"Power": 23}}')
        return _power_w(server, 1, 1) is not None

    wait_for(subscribed, "the plug's topics to be subscribed")
    mqtt_client.publish(f"tele/{name}/SENSOR", b'{"ENERGY": {"Power": "lots"}}')
    mqtt_client.publish(f"stat/{name}/POWER", b"SIDEWAYS")
    mqtt_client.publish(f"tele/{name}/SENSOR", b'{"ENERGY": {"Power": 46, "Voltage": 230}}')
    wait_for(lambda: _power_w(server, 1, 1) == pytest.approx(46.0), "the good reading")
    assert _power_w(server, 1, 1) == pytest.approx(46.0)
    assert server.stats.rejected["type"] == 1 and server.stats.rejected["command"] == 1
    mqtt_client.publish(f"tele/{name}/LWT", b"Offline", retain=True)
    wait_for(lambda: server.bindings.get(1, 1).online is False, "the plug's last will")
    mqtt_client.publish(f"tele/{name}/LWT", b"", retain=True)  # clean the retained will


def test_bindings_are_saved_and_follow_removal(server: GridServer, settings) -> None:  # noqa: ANN001
    server.new_houses(2)
    server.new_consumers(1, 2, "Lampe")
    server.new_consumers(2, 1, "Lampe")
    server.bind_device(1, 1, "tasmota", "saved-plug")
    server.bind_device(1, 2, "shelly", "shellies/saved-gen1")
    server.bind_device(2, 1, "shelly", "shellyplus1pm-saved")
    with pytest.raises(BadArgumentError, match="already feeds house 1 consumer 1"):
        server.bind_device(2, 1, "tasmota", "saved-plug")
    with pytest.raises(BadArgumentError, match="flavour"):
        server.bind_device(1, 1, "zigbee", "x")
    server.rm_consumer(1, 2)
    server.rm_house(2)
    assert [b.key for b in server.bindings.all()] == [(1, 1)]
    assert "stat/saved-plug/POWER" in server.client._topics
    assert "shellyplus1pm-saved/status/switch:0" not in server.client._topics
    server.stop()
    again = GridServer(settings)
    try:
        assert [(b.key, b.flavour, b.device) for b in again.bindings.all()] == [
            ((1, 1), "tasmota", "saved-plug")
        ]
        assert "tele/saved-plug/SENSOR" in again.client._topics
        again.unbind_device(1, 1)
        with pytest.raises(BadArgumentError, match="not bound"):
            again.unbind_device(1, 1)
        assert "tele/saved-plug/SENSOR" not in again.client._topics
    finally:
        again.stop()
