"""The city's pure parts: the bridge section, the city state and its lines, the flags."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from mosquitto_fixture import MosquittoProcess

from energrid import cli
from energrid.city.bridge_config import BridgeOptions, default_bridge_id, section
from energrid.city.city_state import CityState, Reach
from energrid.city.city_view import render
from energrid_core.errors import BadArgumentError


def directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_the_section_sends_the_state_out_and_takes_both_kinds_of_command_in() -> None:
    lines = directives(section(BridgeOptions(7, "city.example", 1884, bridge_id="b7")))
    assert lines[:2] == ["connection energrid-city", "address city.example:1884"]
    topics = [line for line in lines if line.startswith("topic ")]
    assert topics == [
        "topic energrid/7/# out 0",
        "topic Neighborhood/7/House/+/Consumer/+/set in 1",
        "topic Neighborhood/7/House/+/Supplier/+/booleanLoad in 1",
    ]
    for line in (
        "remote_clientid b7",
        "cleansession false",
        "local_cleansession true",
        "bridge_protocol_version mqttv311",
        "try_private true",
        "notification_topic energrid/bridge/7",
        "max_queued_messages 200000",
    ):
        assert line in lines
    assert not any(line.split()[0].startswith(("remote_user", "bridge_ca")) for line in lines)


def test_an_account_and_a_ca_make_a_tls_bridge_that_logs_in() -> None:
    options = BridgeOptions(2, "h", 8883, "b", "bridge-2", "s3cret", "/etc/ca.crt")
    lines = directives(section(options))
    for line in ("remote_username bridge-2", "remote_password s3cret", "bridge_cafile /etc/ca.crt"):
        assert line in lines


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (BridgeOptions(1, "a b"), "--city-host must be a host name"),
        (BridgeOptions(1, "h", 0), "--city-port must be from 1 to 65535"),
        (BridgeOptions(1, "h", bridge_id="x y"), "--bridge-id takes letters"),
        (BridgeOptions(1, "h", account="../x"), "--account takes letters"),
        (BridgeOptions(1, "h", account="a", password="p w"), "one word"),
        (BridgeOptions(1, "h", cafile="ca.crt"), "--cafile must be an absolute path"),
    ],
)
def test_what_mosquitto_would_misread_is_refused(options: BridgeOptions, said: str) -> None:
    with pytest.raises(BadArgumentError, match=said):
        section(options)


def test_the_bridge_id_is_stable_and_says_the_neighborhood() -> None:
    assert default_bridge_id(3, "edge.example.org") == "energrid-bridge-3-edge-example-org"
    assert default_bridge_id(3, "edge.example.org") == default_bridge_id(3, "edge.example.org")


def test_energrid_bridge_prints_the_section_with_the_password_from_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "bridge.password"
    secret.write_text("abc123\n")
    argv = ["--neighborhood=4", "bridge", "--city-host=10.1.2.3", "--account=bridge-4"]
    assert cli.main([*argv, f"--password-file={secret}"]) == 0
    lines = directives(capsys.readouterr().out)
    assert "address 10.1.2.3:1883" in lines and "remote_password abc123" in lines
    assert "topic energrid/4/# out 0" in lines
    assert cli.main([*argv, f"--password-file={tmp_path / 'none'}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "does not exist" in captured.err
    assert cli.main(["bridge", "--city-host=h", f"--cafile={tmp_path / 'no.crt'}"]) == 2
    assert "no such file" in capsys.readouterr().err


def j(value: object) -> bytes:
    return orjson.dumps(value)


SUMMARY = {
    "house_count": 2,
    "houses_online": 1,
    "device_count": 3,
    "consumption_a": 4.0,
    "consumption_w": 920.0,
    "supply_a": 1.0,
    "supply_w": 12.0,
    "net_w": -908.0,
    "mains_voltage_v": 230.0,
    "energy": {
        "imported_wh": 9000.0,
        "exported_wh": 700.0,
        "today_imported_wh": 1500.0,
        "today_exported_wh": 250.0,
        "unmeasured_s": 0.0,
        "today_unmeasured_s": 0.0,
        "since_unix_s": 1.0,
    },
}


def alarms(*texts: str) -> bytes:
    """An alarms payload as the server publishes it (docs/protocol.md)."""
    listed = [
        {"alarm": f"limit/{i}", "kind": "over_limit", "house": i, "device": None, "text": text}
        for i, text in enumerate(texts)
    ]
    return j({"alarms": listed, "limits_w": {"0": 5000.0}})


def test_each_neighborhood_is_one_line_with_its_reach() -> None:
    city = CityState()
    city.apply("energrid/1/status", j({"status": "online", "since_unix_s": 1.0}))
    city.apply("energrid/1/state/neighborhood", j(SUMMARY))
    city.apply("energrid/2/status", j({"status": "offline"}))
    city.apply("energrid/2/state/neighborhood", j(SUMMARY))
    city.apply("energrid/3/state/neighborhood", j(SUMMARY))
    city.apply("energrid/3/status", j({"status": "online"}))
    city.apply("energrid/bridge/3", b"0")
    city.apply("energrid/bridge/x", b"1")  # not a neighborhood: ignored
    city.apply("elsewhere/4/status", j({"status": "online"}))
    city.apply("energrid/1/alarms", alarms("Neighborhood over its limit: 5230 W drawn"))
    city.apply("energrid/2/alarms", alarms("a", "b"))  # offline: not counted in the city's
    assert city.neighborhoods() == [1, 2, 3]
    assert [city.summary(n).reach for n in (1, 2, 3)] == [
        Reach.ONLINE,
        Reach.OFFLINE,
        Reach.UNREACHABLE,
    ]
    lines = render(city, "city:1883").splitlines()
    assert lines[0] == "City broker city:1883: 3 neighborhoods, 1 online"
    assert lines[1] == (
        "Neighborhood 1: online; 1 of 2 houses online, 3 devices; consumption 4.00 A "
        "(920.0 W), supply 1.00 A (12.0 W), net -908.0 W; today imported 1.500 kWh, "
        "exported 0.250 kWh; alarms: 1"
    )
    assert lines[2] == "    ALARM: Neighborhood over its limit: 5230 W drawn"
    assert lines[3].startswith("Neighborhood 2: OFFLINE")
    assert "; last known: 1 of 2 houses online" in lines[3]
    assert lines[3].endswith("; today imported 1.500 kWh, exported 0.250 kWh; alarms: 2")
    assert lines[4:6] == ["    ALARM: a", "    ALARM: b"]
    assert lines[6].startswith("Neighborhood 3: UNREACHABLE")
    assert lines[6].endswith("; alarms unknown")
    # The city's totals, energy and alarms are neighborhood 1's alone; 2 and 3 are left out
    # with their last draw.
    assert lines[7] == (
        "City: 2 houses; consumption 4.00 A (920.0 W), supply 1.00 A (12.0 W), net -908.0 W; "
        "today imported 1.500 kWh, exported 0.250 kWh; alarms: 1; "
        "left out: 2 neighborhoods not online, last known 8.00 A (1840.0 W)"
    )
    assert len(lines) == 8
    city.apply("energrid/bridge/3", b"1")
    assert city.summary(3).reach is Reach.ONLINE


def test_the_city_adds_up_the_energy_and_alarms_of_the_neighborhoods_online() -> None:
    city = CityState()
    for n, today_in in ((1, 1500.0), (2, 2250.0)):
        energy = {**SUMMARY["energy"], "today_imported_wh": today_in}  # type: ignore[dict-item]
        city.apply(f"energrid/{n}/status", j({"status": "online"}))
        city.apply(f"energrid/{n}/state/neighborhood", j({**SUMMARY, "energy": energy}))
        city.apply(f"energrid/{n}/alarms", alarms(*(f"alarm {n}.{i}" for i in range(n))))
    lines = render(city, "c").splitlines()
    city_line = lines[-1]
    assert city_line.endswith("; today imported 3.750 kWh, exported 0.500 kWh; alarms: 3")
    # Neighborhood 2's alarms cleared: the retained topic lists none.
    city.apply("energrid/2/alarms", alarms())
    assert render(city, "c").splitlines()[-1].endswith("; alarms: 1")


def test_many_alarms_are_shown_in_a_compact_form() -> None:
    city = CityState()
    city.apply("energrid/1/status", j({"status": "online"}))
    city.apply("energrid/1/state/neighborhood", j(SUMMARY))
    city.apply("energrid/1/alarms", alarms(*(f"alarm {i}" for i in range(5))))
    lines = render(city, "c").splitlines()
    assert lines[1].endswith("; alarms: 5")
    assert lines[2:6] == [
        "    ALARM: alarm 0",
        "    ALARM: alarm 1",
        "    ALARM: alarm 2",
        "    ... and 2 more (showAlarms() in its shell lists them)",
    ]
    city.apply("energrid/1/alarms", b"")  # the topic removed: its alarms are no longer known
    lines = render(city, "c").splitlines()
    assert lines[1].endswith("; alarms unknown") and lines[2].startswith("City: ")


def test_energy_not_kept_and_a_bad_alarms_topic_are_said() -> None:
    city = CityState()
    city.apply("energrid/1/status", j({"status": "online"}))
    city.apply("energrid/1/state/neighborhood", j({**SUMMARY, "energy": None}))
    city.apply("energrid/1/alarms", b"not json")
    line = render(city, "c").splitlines()[1]
    assert line.endswith(
        "; energy not kept; alarms: invalid alarms topic (8 bytes that are not a JSON object "
        "with its alarms)"
    ), line
    # An energy object without today's figures is unknown, and a removed alarms topic too.
    city.apply("energrid/1/state/neighborhood", j({**SUMMARY, "energy": {"imported_wh": 1.0}}))
    city.apply("energrid/1/alarms", b"")
    lines = render(city, "c").splitlines()
    assert lines[1].endswith("; energy today unknown; alarms unknown"), lines[1]
    assert "today imported" not in lines[2] and lines[2].endswith("; alarms: 0")


def test_a_neighborhood_without_totals_says_so() -> None:
    city = CityState()
    city.apply("energrid/5/status", j({"status": "online"}))
    assert render(city, "c").splitlines()[1] == "Neighborhood 5: online; no totals yet"
    city.apply("energrid/5/state/neighborhood", b"[1]")
    assert "invalid state topic" in render(city, "c").splitlines()[1]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--set", "1", "0", "1", "1"], "house and consumer from 1"),
        (["--set", "1", "1", "1", "2"], "the state is 0 (off) or 1 (on), not 2"),
        (["--set", "1", "1", "1", "1", "--set-supplier", "1", "1", "1", "1"], "not both"),
        (["--timeout-s", "0"], "--timeout-s must be more than 0"),
    ],
)
def test_wrong_flags_are_one_line(
    extra: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--mqtt-port=1", "city", *extra]) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1


def test_once_without_a_city_broker_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--mqtt-port=1", "city", "--once", "--timeout-s=0.3"]) == 1
    assert "could not connect to the city broker at 127.0.0.1:1" in capsys.readouterr().err


def test_the_live_view_draws_until_ctrl_c(
    broker: MosquittoProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    draws = []

    def sleep(seconds: float) -> None:
        draws.append(seconds)
        if len(draws) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("energrid.city.city_cli.time.sleep", sleep)
    assert cli.main([f"--mqtt-port={broker.port}", "city", "--refresh-s=0.2"]) == 0
    out = capsys.readouterr().out
    assert draws == [0.2, 0.2, 0.2]
    assert out.count("Ctrl-C quits") == 3
    assert f"City broker 127.0.0.1:{broker.port}:" in out
