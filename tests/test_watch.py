"""`energrid watch`: the grid rebuilt from state topics, pure and against a real broker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace

import orjson
import pytest
from grid_helpers import Peer
from helpers import wait_for
from mosquitto_fixture import MosquittoProcess
from state_fixtures import MakeGridServer

from energrid import cli
from energrid.shell import views
from energrid.shell.commands import ShellCommands
from energrid.watch import cli as watch
from energrid.watch.cli import Watcher, render
from energrid.watch.grid import WatchedGrid


def j(value: object) -> bytes:
    return orjson.dumps(value)


HOUSE_1 = {
    "house": 1,
    "online": True,
    "last_reading_unix_s": 100.0,
    "metered": False,
    "consumption_a": 2.5,
    "consumption_w": 575.0,
    "supply_a": 0.0,
    "supply_w": 0.0,
    "net_w": -575.0,
    "consumers": [1],
    "suppliers": [],
}
HOUSES = {"neighborhood": 0, "houses": [1], "layout_spacing_m": 14.0, "places": []}
SUMMARY = {
    "neighborhood": 0,
    "house_count": 1,
    "houses_online": 1,
    "device_count": 1,
    "devices_online": 1,
    "consumption_a": 2.5,
    "consumption_w": 575.0,
    "supply_a": 0.0,
    "supply_w": 0.0,
    "net_w": -575.0,
    "houses_left_out": 0,
    "left_out_consumption_a": 0.0,
    "left_out_consumption_w": 0.0,
    "mains_voltage_v": 230.0,
    "last_reading_unix_s": 100.0,
}


def test_the_server_line_gives_the_date_and_the_zone() -> None:
    grid = WatchedGrid(0)
    since = 1_800_000_000.0
    grid.apply("energrid/0/status", j({"status": "online", "since_unix_s": since}))
    stamp = datetime.fromtimestamp(since).astimezone()
    expected = f"server ONLINE since {stamp:%Y-%m-%d %H:%M:%S} {stamp.tzname()}"
    assert expected in render(grid, "127.0.0.1:1883", since + 1)


def test_the_grid_is_complete_once_every_listed_topic_arrived() -> None:
    grid = WatchedGrid(0)
    assert not grid.complete()
    grid.apply("energrid/0/state/house/1", j(HOUSE_1))
    grid.apply("energrid/0/state/house/9", j(dict(HOUSE_1, house=9)))  # a ghost: not listed
    grid.apply("energrid/0/state/neighborhood", j(SUMMARY))
    assert grid.missing() == 1  # the house list (without it, no house is known)
    grid.apply("energrid/0/state/houses", j(HOUSES))
    assert grid.missing() == 1  # consumer 1 of house 1
    grid.apply("energrid/0/state/house/1/consumer/1", j({"online": True, "command": None}))
    assert grid.complete()
    assert grid.house_totals() == grid.totals()
    assert grid.devices_online() == (1, 1)


def test_an_empty_payload_removes_and_junk_is_counted() -> None:
    grid = WatchedGrid(0)
    grid.apply("energrid/0/state/house/1", j(HOUSE_1))
    grid.apply("energrid/0/state/house/1", b"")
    assert grid.houses == {}
    grid.apply("energrid/0/state/house/2", b"{NaN")
    grid.apply("energrid/0/state/house/2", b"[1]")
    grid.apply("energrid/1/state/house/2", j(HOUSE_1))  # another neighborhood
    grid.apply("energrid/0/state/nonsense", b"{}")
    assert grid.unreadable == 2 and grid.houses == {}


def test_render_shows_status_totals_houses_and_commands() -> None:
    grid = WatchedGrid(0)
    grid.apply("energrid/0/status", j({"status": "offline"}))
    grid.apply("energrid/0/state/neighborhood", j(SUMMARY))
    grid.apply("energrid/0/state/houses", j(HOUSES))
    grid.apply("energrid/0/state/house/1", j(HOUSE_1))
    command = {"state": 1, "status": "confirmed", "sent_unix_s": 99.0}
    grid.apply("energrid/0/state/house/1/consumer/1", j({"online": False, "command": command}))
    text = render(grid, "127.0.0.1:1883", 101.0)
    assert "server OFFLINE" in text
    assert views.neighborhood_line(0, grid.totals()) in text
    assert "Online: 1 of 1 houses, 0 of 1 devices" in text
    assert "house 1 consumer 1: ON (confirmed)" in text
    ignored = {"state": 0, "status": "unconfirmed", "phase": "unconfirmed", "sent_unix_s": 100.0}
    ignored |= {"device_shows": 1, "obeyed": False}
    grid.apply("energrid/0/state/house/1/consumer/1", j({"online": True, "command": ignored}))
    text = render(grid, "127.0.0.1:1883", 101.0)
    assert "house 1 consumer 1: OFF (device ON: not obeyed)" in text


def test_watch_once_prints_what_show_houses_prints(
    make_grid_server: MakeGridServer,
    broker: MosquittoProcess,
    capsys: pytest.CaptureFixture[str],
) -> None:
    grid = make_grid_server()
    grid.server.new_houses(2)
    grid.server.new_consumers(1, 2, "LED")
    grid.board.consumers(1, {1: 1200, 2: 860})
    wait_for(lambda: grid.server.stats.messages_applied == 1)
    wait_for(grid.settled)
    capsys.readouterr()
    ShellCommands(grid.server).showHouses()
    shown = capsys.readouterr().out.splitlines()[0]
    argv = [f"--mqtt-port={broker.port}", "watch", "--once", f"--neighborhood={grid.n}"]

    def watched() -> str:
        assert cli.main(argv) == 0
        return capsys.readouterr().out

    wait_for(lambda: shown in watched(), what="watch --once to print showHouses' totals")
    out = watched()
    assert "server ONLINE" in out
    assert "the 2 house topics add up to the neighborhood's totals" in out


def test_watch_once_says_when_there_is_nothing_to_watch(
    broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [f"--mqtt-port={broker.port}", "watch", "--once", "--neighborhood=999999"]
    assert cli.main([*argv, "--timeout-s=0.3"]) == 1
    assert "nothing retained on energrid/999999/state" in capsys.readouterr().err
    assert cli.main([*argv, "--timeout-s=-1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "energrid: --timeout-s must be more than 0, not -1.0"
    )


def test_watch_takes_the_settings_flags_after_the_subcommand(
    broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `energrid sim` does: --mqtt-host/--mqtt-port/--neighborhood after `watch`, and the
    short --host/--port as aliases (README and docs/protocol.md use the long ones)."""
    once = ["--once", "--timeout-s=0.3"]
    for argv in (
        ["watch", "--mqtt-host", broker.host, "--mqtt-port", str(broker.port)],
        ["watch", "--host", broker.host, "--port", str(broker.port)],
        ["--mqtt-port", "1", "watch", "--mqtt-port", str(broker.port)],  # after wins
    ):
        assert cli.main([*argv, "--neighborhood", "999998", *once]) == 1
        err = capsys.readouterr().err
        assert f"nothing retained on energrid/999998/state at {broker.host}:{broker.port}" in err


def test_a_listed_house_without_its_topic_is_shown_as_not_received() -> None:
    """A house the house list names whose retained topic was cleared (mosquitto_pub -r -n)."""
    grid = WatchedGrid(0)
    grid.apply("energrid/0/state/neighborhood", j(dict(SUMMARY, house_count=2)))
    grid.apply("energrid/0/state/houses", j(dict(HOUSES, houses=[1, 3])))
    grid.apply("energrid/0/state/house/1", j(HOUSE_1))
    text = render(grid, "127.0.0.1:1883", 101.0)
    row = next(line for line in text.splitlines() if line.split()[:1] == ["3"])
    assert row.split() == ["3", "?", "-", "-", "-", "-", "-", "-", "not", "received"]


@pytest.fixture
def half_cleared(broker: MosquittoProcess) -> Iterator[int]:
    """Retained state of a neighborhood listing houses 1 and 3, house 3's topic cleared."""
    n = 999_997
    peer = Peer(broker.port).wait_connected()
    summary = dict(SUMMARY, neighborhood=n, house_count=2)
    topics = {
        f"energrid/{n}/state/neighborhood": j(summary),
        f"energrid/{n}/state/houses": j(dict(HOUSES, neighborhood=n, houses=[1, 3])),
        f"energrid/{n}/state/house/1": j(HOUSE_1),
        f"energrid/{n}/state/house/1/consumer/1": j({"online": True, "command": None}),
        f"energrid/{n}/state/house/3": b"",
    }
    for topic, payload in topics.items():
        peer.wait_acked(peer.publish(topic, payload, retain=True))
    yield n
    for topic in topics:
        peer.wait_acked(peer.publish(topic, b"", retain=True))
    peer.close()


def test_watch_once_reports_a_house_topic_that_never_came(
    broker: MosquittoProcess, half_cleared: int, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["watch", f"--mqtt-port={broker.port}", f"--neighborhood={half_cleared}", "--once"]
    assert cli.main([*argv, "--timeout-s=0.5"]) == 1
    printed = capsys.readouterr().out
    assert "not received" in printed
    assert "incomplete after 0.5 s: 1 listed topic did not arrive" in printed


def test_the_live_view_draws_a_house_topic_that_never_came(
    broker: MosquittoProcess,
    half_cleared: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watcher = Watcher(broker.host, broker.port, half_cleared)

    def refresh(_seconds: float) -> None:  # the next frame only once house 1 has arrived
        with watcher.lock:
            received = 1 in watcher.grid.houses
        if received and "not received" in capsys.readouterr().out:
            raise KeyboardInterrupt
        time.sleep(0.01)

    clock = SimpleNamespace(time=time.time, monotonic=time.monotonic, sleep=refresh)
    monkeypatch.setattr(watch, "time", clock)
    assert watch.live(watcher, 0.5) == 0


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--port", "70000"], "mqtt_port must be from 1 to 65535, not 70000"),
        (["--mqtt-port", "0"], "mqtt_port must be from 1 to 65535, not 0"),
        (["--neighborhood", "-1"], "neighborhood must be from 0 to 999999, not -1"),
    ],
)
def test_out_of_range_flags_are_one_line(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["watch", "--once", *flags]) == 2
    assert capsys.readouterr().err == f"energrid: {message}\n"


@pytest.mark.parametrize(
    "payload, problem",
    [
        (b"garbage", "7 bytes that are not a JSON object"),
        (b"[1, 2]", "6 bytes that are not a JSON object"),
        (b'{"houses": [1]}', "a JSON object without its totals"),
    ],
)
def test_an_invalid_neighborhood_payload_is_called_invalid(payload: bytes, problem: str) -> None:
    grid = WatchedGrid(0)
    grid.apply("energrid/0/state/neighborhood", payload)
    assert grid.summary is None and grid.summary_problem == problem
    assert f"the neighborhood topic is invalid: {problem}" in render(grid, "here", 0.0)
    grid.apply("energrid/0/state/neighborhood", j(SUMMARY))  # a good one replaces it
    assert grid.summary_problem is None and grid.totals() is not None


def test_watch_once_says_the_neighborhood_topic_is_invalid_not_empty(
    broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 999_996
    topic = f"energrid/{n}/state/neighborhood"
    peer = Peer(broker.port).wait_connected()
    peer.wait_acked(peer.publish(topic, b"\xff garbage", retain=True))
    try:
        argv = ["watch", f"--mqtt-port={broker.port}", f"--neighborhood={n}", "--once"]
        assert cli.main([*argv, "--timeout-s=0.3"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{topic} at 127.0.0.1:{broker.port} is invalid (9 bytes that are not a JSON" in err
        assert "nothing retained" not in err
    finally:
        peer.wait_acked(peer.publish(topic, b"", retain=True))
        peer.close()
