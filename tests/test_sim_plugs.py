"""Simulated plugs without MQTT: what they publish and how they obey, per vendor."""

from __future__ import annotations

import orjson

from energrid.simulator.plugs import SimPlug, default_names
from energrid_core.wire import shelly, tasmota


def test_a_simulated_tasmota_plug_speaks_tasmota() -> None:
    plug = SimPlug("tasmota", "plug-kitchen", "Lampe")
    plug.step(0.0)
    ((topic, payload, retain),) = plug.step(3600.0)
    report = tasmota.decode("plug-kitchen", topic, payload)  # Energrid's own decoder reads it
    assert report.power_w > 0 and report.energy_total_kwh > 0 and not retain
    answer = plug.command("cmnd/plug-kitchen/POWER", b"OFF")
    assert not plug.on
    assert ("stat/plug-kitchen/POWER", b"OFF", False) in answer
    assert tasmota.decode("plug-kitchen", *answer[-1][:2]).on is False
    assert plug.command("cmnd/plug-kitchen/POWER", b"BLINK") is None
    assert plug.command("cmnd/other/POWER", b"ON") is None
    assert plug.online_message(False) == ("tele/plug-kitchen/LWT", b"Offline", True)


def test_a_simulated_gen2_shelly_answers_its_rpc() -> None:
    name = "shellyplus1pm-a8032ab12345"
    plug = SimPlug("shelly", name, "Radiateur")
    ((topic, payload, _retain),) = plug.step(0.0)
    assert shelly.decode(name, topic, payload).on is True
    topic, request = shelly.encode_command(name, 0, request_id=5)
    reply, status = plug.command(topic, request)
    assert reply[0] == "energrid/rpc"
    assert orjson.loads(reply[1]) == {
        "id": 5,
        "src": name,
        "dst": "energrid",
        "result": {"was_on": True},
    }
    assert shelly.decode(name, status[0], status[1]).on is False
    assert plug.command(topic, b'{"method": "Switch.Toggle", "params": {"id": 0}}') is None
    assert plug.command(topic, b"not json") is None


def test_a_simulated_gen1_shelly_and_names() -> None:
    plug = SimPlug("shelly", "shellies/shelly1pm-A1B2C3", "LED")
    messages = plug.step(0.0)
    assert [t for t, _p, _r in messages] == [
        "shellies/shelly1pm-A1B2C3/relay/0/power",
        "shellies/shelly1pm-A1B2C3/relay/0",
    ]
    assert plug.command("shellies/shelly1pm-A1B2C3/relay/0/command", b"off") == [
        ("shellies/shelly1pm-A1B2C3/relay/0", b"off", False)
    ]
    assert default_names("tasmota", 2, 1) == ["plug-1", "plug-2"]
    assert default_names("shelly", 2, 1) == default_names("shelly", 2, 1)
    assert all(n.startswith("shellyplus1pm-") for n in default_names("shelly", 2, 1))
