"""The stats line of `energrid --headless --stats-interval-s`, and running_server's hook."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import pytest
from mosquitto_fixture import MosquittoProcess

from energrid.app import running_server
from energrid.shell.stats_report import StatsReporter, counters, stats_line
from energrid_core.config import Settings
from energrid_core.server import GridServer

LINE = re.compile(
    r"^stats uptime_s=[\d.]+ received=(\d+) applied=(\d+) readings=(\d+) rejected=(\d+) "
    r"republishes=(\d+) rate=[\d.]+ cpu_s=[\d.]+$"
)


def test_stats_line_holds_every_counter(make_offline_server: Callable[..., GridServer]) -> None:
    server = make_offline_server()
    server.new_houses(1)
    server.new_consumers(1, 1, "LED")
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b'{"0": 900, "1": 900}')
    server.ingest.handle("Neighborhood/0/House/1/Consumer", b"not json")
    match = LINE.match(stats_line(counters(server), 1.5, 2.0))
    assert match is not None
    assert match.groups() == ("2", "1", "2", "1", "0")  # offline: nothing republished


def test_reporter_logs_periodically_and_once_more_on_stop(
    caplog: pytest.LogCaptureFixture, make_offline_server: Callable[..., GridServer]
) -> None:
    caplog.set_level(logging.INFO, logger="energrid.stats")
    server = make_offline_server()
    reporter = StatsReporter(server, 0.01).start()
    deadline = time.monotonic() + 5
    while len(caplog.records) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    before = len(caplog.records)
    reporter.stop()
    assert before >= 3
    assert len(caplog.records) >= before + 1
    assert all(LINE.match(r.getMessage()) for r in caplog.records)


def test_running_server_prepares_before_it_connects(broker: MosquittoProcess, tmp_path) -> None:
    settings = Settings(
        mqtt_port=broker.port, client_id="test-prepare", state_dir=tmp_path, start_broker=False
    )
    seen: list[bool] = []

    def prepare(server: GridServer) -> None:
        seen.append(server.client.connected)
        server.new_houses(2)

    with running_server(settings, prepare=prepare) as server:
        assert server.client.connected
        assert len(server.grid.houses) == 2
    assert seen == [False]


def test_republishes_counts_the_state_published_after_the_connect(
    broker: MosquittoProcess, tmp_path
) -> None:
    """The benchmark starts an Energrid drain's window past it (bench/drain.py)."""
    settings = Settings(
        mqtt_port=broker.port, client_id="test-republish", state_dir=tmp_path, start_broker=False
    )
    with running_server(settings, prepare=lambda server: server.new_houses(3)) as server:
        deadline = time.monotonic() + 10
        while counters(server)["republishes"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert counters(server)["republishes"] == 1
