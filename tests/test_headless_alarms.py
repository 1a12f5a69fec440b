"""`energrid --headless` logs each alarm raised or cleared and each shedding action, once.

A reviewer found the alarm history filled while a headless server's log said nothing: only the
shell listened to the alarms. Here a headless server on a real broker goes over its limit, sheds,
comes back under and restores, and its log says each of those once (a raise as a warning).
"""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest
from grid_helpers import Peer, server_settings
from helpers import wait_for

from energrid import headless
from energrid_core.server import GridServer
from energrid_core.topics import house_topic

NEIGHBORHOOD = 4712
STEP_TIMEOUT_S = 30.0


@pytest.mark.usefixtures("headless_leaves_no_trace")
def test_headless_logs_each_alarm_and_shedding_action_once(
    broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = server_settings(
        broker.port,
        tmp_path / "state",
        neighborhood=NEIGHBORHOOD,
        alarm_min_s=0.3,
        shed_step_s=0.3,
        shed_restore_after_s=0.3,
    )
    stop = threading.Event()
    board = Peer(broker.port).wait_connected()
    base = house_topic(NEIGHBORHOOD, 1)

    def events(server: GridServer) -> list[str]:
        return [row.event for row in server.alarms.history(100)]

    def prepare(server: GridServer) -> None:
        server.new_houses(1)
        server.new_consumers(1, 1, "Relay")
        server.shedding.set_enabled(True)
        server.alarms.set_limit(0, 100.0)

        def drive() -> None:
            def report() -> None:  # a relay drawing 2 A (460 W) that never obeys
                board.publish(f"{base}/Consumer/0", orjson.dumps({"current_a": 2.0}))
                board.publish(f"{base}/Consumer/1", orjson.dumps({"current_a": 2.0, "on": True}))

            def reporting(what: str) -> bool:
                report()
                return what in events(server)

            try:
                wait_for(lambda: reporting("shed"), "the relay shed", STEP_TIMEOUT_S)
                server.alarms.set_limit(0, 100_000.0)
                wait_for(lambda: reporting("restored"), "the relay restored", STEP_TIMEOUT_S)
            finally:
                stop.set()

        threading.Thread(target=drive, daemon=True).start()

    try:
        assert headless.run_headless(settings, stop, prepare) == 0
    finally:
        stop.set()
        board.close()
    lines = capsys.readouterr().out.splitlines()

    def said(text: str) -> list[str]:
        return [line for line in lines if text in line]

    assert len(said("[alarm] warning: Neighborhood over its limit: 460 W drawn")) == 1, lines
    assert len(said("[shedding] House 1 consumer 1 (Relay, priority 5, 460 W) switched OFF")) == 1
    assert len(said("[alarm] Neighborhood back under its limit")) == 1, lines
    assert len(said("[shedding] House 1 consumer 1 restored ON")) == 1, lines
    # The connection's lines carry the shell's tag (README: `[broker] text`).
    assert said("[broker] connected to the broker at"), lines
