"""The watchdog on paho's network thread (reliability matrix A20)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from grid_helpers import Peer, running, server_settings
from helpers import FakeClock, wait_for

from energrid import headless
from energrid_core.server import GridServer
from energrid_core.watchdog import LoopWatchdog

POISON = "Neighborhood/0/House/1/Consumer/99"


class LoopKiller(BaseException):
    """Gets past every `except Exception`, ours and paho's: the network thread dies of it."""


def poison(server: GridServer) -> None:
    """Make the client's handler die on POISON, as a bug past every guard would."""
    handle = server.client._handler

    def handler(topic: str, payload: bytes, retained: bool) -> None:
        if topic == POISON:
            raise LoopKiller("test: killing the network thread")
        handle(topic, payload, retained)

    server.client._handler = handler


def test_restarts_a_dead_loop_then_gives_up_past_the_limit() -> None:
    alive = [True]
    reports: list[str] = []
    clock = FakeClock()

    def restart() -> None:
        alive[0] = True

    dog = LoopWatchdog(lambda: alive[0], restart, reports.append, 2, 60.0, clock)
    assert dog.check() and reports == []
    for _ in range(2):
        alive[0] = False
        clock.now += 1
        assert dog.check() and alive[0]
    assert reports[-1].endswith("(2 of 2 within 60 s)")
    clock.now += 58  # both restarts still within the last 60 s
    alive[0] = False
    assert not dog.check() and dog.failure is not None
    assert "giving up" in reports[-1] and not alive[0]
    assert not dog.check()  # it stays given up


def test_restarts_far_apart_are_not_held_against_the_loop() -> None:
    alive = [True]
    clock = FakeClock()
    dog = LoopWatchdog(lambda: alive[0], lambda: alive.__setitem__(0, True), print, 1, 60.0, clock)
    for _ in range(5):
        alive[0] = False
        clock.now += 61
        assert dog.check()


def test_a_restart_that_fails_is_a_failure() -> None:
    def restart() -> None:
        raise RuntimeError("no thread for you")

    dog = LoopWatchdog(lambda: False, restart, print)
    assert not dog.check()
    assert dog.failure is not None and "no thread for you" in dog.failure


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_network_thread_is_restarted_and_readings_flow_again(
    make_broker, tmp_path: Path
) -> None:
    broker = make_broker()
    notices: list[str] = []
    with running(server_settings(broker.port, tmp_path / "state", watchdog_s=0.1)) as server:
        server.client.connection_listeners.append(lambda _up, text: notices.append(text))
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        poison(server)
        board = Peer(broker.port).wait_connected()
        board.publish(POISON, b'{"current_a": 1}')
        wait_for(lambda: server.client.loop_restarts == 1, "the watchdog's restart")
        board.publish("Neighborhood/0/House/1/Consumer/1", b'{"current_a": 2.5}')
        lamp = server.grid.house(1).consumer(1)
        wait_for(lambda: lamp.current_a.last == 2.5, "a reading after the restart")
        assert server.client.loop_alive and not server.failed.is_set()
        # A fresh connection resumed the session; the poison came back marked DUP and was
        # dropped instead of killing the thread again.
        wait_for(lambda: server.client.duplicates_dropped == 1, "the poison's redelivery")
        assert server.client.connects == 2 and server.client.loop_restarts == 1
        board.close()
    assert any("network thread stopped; restarted it (1 of 3" in text for text in notices)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.usefixtures("headless_leaves_no_trace")
def test_headless_exits_non_zero_when_the_watchdog_gives_up(
    make_broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service supervisor (systemd) then restarts Energrid."""
    broker = make_broker()
    started: list[GridServer] = []
    real = headless.running_server

    def keep(settings, on_connection, prepare=None):  # noqa: ANN001, ANN202 - needs the server
        context = real(settings, on_connection, prepare)
        server = context.__enter__()
        started.append(server)

        class Wrapper:
            def __enter__(self) -> GridServer:
                return server

            def __exit__(self, *exc: object) -> None:
                context.__exit__(*exc)

        return Wrapper()

    monkeypatch.setattr(headless, "running_server", keep)
    settings = server_settings(broker.port, tmp_path / "state", watchdog_s=0.1)
    stop = threading.Event()

    def kill_the_loop() -> None:
        wait_for(lambda: started and started[0].client.connected, "the headless server")
        server = started[0]
        server.watchdog.max_restarts = 0
        server.new_houses(1)
        poison(server)
        board = Peer(broker.port).wait_connected()
        board.publish(POISON, b"{}")
        board.close()

    helper = threading.Thread(target=kill_the_loop)
    helper.start()
    try:
        status = headless.run_headless(settings, stop)
    finally:
        stop.set()
        helper.join()
    assert status == 1
    assert started[0].watchdog.failure is not None
