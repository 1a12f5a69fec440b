"""Tasmota and Shelly adapters as pure functions, on the payloads their documentation shows."""

from __future__ import annotations

import orjson
import pytest

from energrid_core.adapters.flavours import device_id, flavour
from energrid_core.errors import BadArgumentError
from energrid_core.wire import Rejected, shelly, tasmota

# tele/<topic>/SENSOR of a power-monitoring plug (Tasmota docs, "Power monitoring").
TASMOTA_SENSOR = (
    b'{"Time":"2024-03-01T12:00:00","ENERGY":{"TotalStartTime":"2023-11-05T10:12:41",'
    b'"Total":12.345,"Yesterday":0.402,"Today":0.221,"Period":0,"Power":120,'
    b'"ApparentPower":131,"ReactivePower":52,"Factor":0.92,"Voltage":231,"Current":0.567}}'
)
# The same message as a Tasmota plug's maker shows it from a real plug (Local Bytes'
# "Accessing power usage from Tasmota smart plugs", 2022).
TASMOTA_SENSOR_REAL = (
    b'{"Time": "2022-01-11T21:57:38", "ENERGY": {"TotalStartTime": "2020-10-21T22:15:00",'
    b' "Total": 3.705, "Yesterday": 0.028, "Today": 0.026, "Period": 1, "Power": 5,'
    b' "ApparentPower": 5, "ReactivePower": 0, "Factor": 1.00, "Voltage": 233,'
    b' "Current": 0.021}}'
)
# <id>/status/switch:0 of a Shelly Plus 1PM (Gen2 Switch component, "Status").
SHELLY_STATUS = (
    b'{"id":0,"source":"timer","output":true,"apower":8.9,"voltage":237.5,"freq":50,'
    b'"current":0.04,"pf":0,"aenergy":{"total":6532.0,"by_minute":[45.199,47.141,88.397],'
    b'"minute_ts":1626935779},"temperature":{"tC":23.5,"tF":74.4}}'
)


def test_tasmota_reports() -> None:
    report = tasmota.decode("plug-kitchen", "tele/plug-kitchen/SENSOR", TASMOTA_SENSOR)
    assert (report.power_w, report.current_a, report.voltage_v) == (120.0, 0.567, 231.0)
    assert report.energy_total_kwh == 12.345 and report.on is None
    real = tasmota.decode("livingroom-lamp", "tele/livingroom-lamp/SENSOR", TASMOTA_SENSOR_REAL)
    assert (real.power_w, real.voltage_v, real.energy_total_kwh) == (5.0, 233.0, 3.705)
    assert tasmota.decode("plug-kitchen", "stat/plug-kitchen/POWER", b"OFF").on is False
    assert tasmota.decode("plug-kitchen", "tele/plug-kitchen/LWT", b"Online").online is True
    assert tasmota.decode("plug-kitchen", "tele/plug-kitchen/LWT", b"Offline").online is False


def test_tasmota_command() -> None:
    assert tasmota.encode_command("plug-kitchen", 1) == ("cmnd/plug-kitchen/POWER", b"ON")
    assert tasmota.encode_command("plug-kitchen", 0) == ("cmnd/plug-kitchen/POWER", b"OFF")


def test_shelly_gen2_reports_and_rpc() -> None:
    name = "shellyplus1pm-a8032ab12345"
    report = shelly.decode(name, f"{name}/status/switch:0", SHELLY_STATUS)
    assert (report.power_w, report.current_a, report.voltage_v, report.on) == (
        8.9,
        0.04,
        237.5,
        True,
    )
    assert report.energy_total_kwh == pytest.approx(6.532)
    assert shelly.decode(name, f"{name}/online", b"false").online is False
    topic, payload = shelly.encode_command(name, 1, request_id=7)
    assert topic == f"{name}/rpc"
    assert orjson.loads(payload) == {
        "id": 7,
        "src": "energrid",
        "method": "Switch.Set",
        "params": {"id": 0, "on": True},
    }
    assert orjson.loads(shelly.encode_command(name, 0)[1])["params"] == {"id": 0, "on": False}


def test_shelly_gen1_reports_and_command() -> None:
    name = "shellies/shelly1pm-A1B2C3"
    assert shelly.decode(name, f"{name}/relay/0/power", b"42.17").power_w == 42.17
    assert shelly.decode(name, f"{name}/relay/0", b"on").on is True
    assert shelly.decode(name, f"{name}/online", b"true").online is True
    assert shelly.encode_command(name, 0) == (f"{name}/relay/0/command", b"off")
    assert f"{name}/relay/0/power" in shelly.report_topics(name)


@pytest.mark.parametrize(
    ("wire", "name", "topic", "payload", "reason"),
    [
        (tasmota, "p", "tele/p/SENSOR", b"{not json", "json"),
        (tasmota, "p", "tele/p/SENSOR", b'{"Time":"x"}', "field"),
        (tasmota, "p", "tele/p/SENSOR", b'{"ENERGY":{"Power":"120"}}', "type"),
        (tasmota, "p", "tele/p/SENSOR", b'{"ENERGY":{"Power":1e9}}', "range"),
        (tasmota, "p", "tele/p/SENSOR", b'{"ENERGY":{"Power":NaN}}', "non_finite"),
        (tasmota, "p", "tele/p/SENSOR", b'{"ENERGY":[]}', "shape"),
        (tasmota, "p", "stat/p/POWER", b"MAYBE", "command"),
        (tasmota, "p", "stat/p/POWER", b"\xff\xfe", "encoding"),
        (tasmota, "p", "tele/p/LWT", b"gone", "shape"),
        (tasmota, "p", "tele/p/STATE", b"{}", "topic"),
        (shelly, "s", "s/status/switch:0", b'{"apower":1}', "field"),
        (shelly, "s", "s/status/switch:0", b'{"output":"yes"}', "type"),
        (shelly, "s", "s/status/switch:0", b'{"output":true,"aenergy":5}', "shape"),
        (shelly, "s", "s/online", b"maybe", "shape"),
        (shelly, "shellies/s", "shellies/s/relay/0/power", b"lots", "type"),
        (shelly, "shellies/s", "shellies/s/relay/0/power", b"inf", "non_finite"),
        (shelly, "shellies/s", "shellies/s/relay/0", b"overpower", "command"),
        (shelly, "shellies/s", "shellies/s/relay/0", b"x" * 100, "oversize"),
    ],
)
def test_bad_input_is_rejected_with_its_reason(wire, name, topic, payload, reason) -> None:  # noqa: ANN001
    with pytest.raises(Rejected) as caught:
        wire.decode(name, topic, payload)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("name", "device"),
    [
        ("tasmota", "a/b"),
        ("tasmota", "plug+1"),
        ("tasmota", ""),
        ("tasmota", 5),
        ("tasmota", "x" * 65),
        ("shelly", "shellies/a/b"),
        ("shelly", "shellies/"),
        ("shelly", "has space"),
    ],
)
def test_bad_device_names_are_refused(name: str, device: object) -> None:
    with pytest.raises(BadArgumentError):
        device_id(name, device)


def test_unknown_flavour_is_refused() -> None:
    with pytest.raises(BadArgumentError, match="'tasmota' or 'shelly'"):
        flavour("zigbee")
