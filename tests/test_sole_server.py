"""One server per neighborhood per broker: a second one refuses to start, the first is untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import orjson
import pytest
from helpers import TestClient, wait_for

from energrid_core.config import Settings
from energrid_core.errors import AnotherServerError
from energrid_core.instance import default_client_id, instance_id
from energrid_core.server import GridServer
from energrid_core.sole_server import other_server
from energrid_core.state.topics import neighborhood_state_topic, status_topic


def test_the_default_client_id_is_the_state_directory_s_own(tmp_path) -> None:  # noqa: ANN001
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    made = instance_id(first)
    assert instance_id(first) == made, "kept in the state directory, not made again"
    assert instance_id(second) != made
    assert (first / "instance-id").stat().st_mode & 0o777 == 0o600
    server = GridServer(Settings(state_dir=first))
    try:
        assert server.client.options.client_id == default_client_id(made)
    finally:
        server.stop()
    server = GridServer(Settings(state_dir=first, client_id="chosen"))
    try:
        assert server.client.options.client_id == "chosen"
    finally:
        server.stop()


def test_only_another_instance_online_counts() -> None:
    online = orjson.dumps({"status": "online", "since_unix_s": 1.0, "instance": "aaa"})
    assert other_server(online, "bbb") is not None
    assert other_server(online, "aaa") is None  # our own, left over a crash
    assert other_server(orjson.dumps({"status": "offline"}), "bbb") is None
    assert other_server(None, "bbb") is None
    assert other_server(b"not json", "bbb") is None


def test_a_second_server_refuses_and_the_first_is_untouched(settings, tmp_path) -> None:  # noqa: ANN001
    n = settings.neighborhood
    watcher = TestClient(settings.mqtt_port, settings.mqtt_host)
    first = GridServer(settings)
    try:
        assert first.start(5.0)
        first.new_houses(2)
        watcher.subscribe(f"energrid/{n}/#")
        wait_for(
            lambda: any(json.loads(p)["house_count"] == 2 for p in received(watcher, n)),
            what="the neighborhood with its two houses",
        )
        # From the first message with both houses on (an earlier retained one may have none).
        seen = len(received(watcher, n)) - 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENERGRID_")}
        command = [
            sys.executable,
            "-m",
            "energrid",
            "--headless",
            "--no-start-broker",
            f"--mqtt-host={settings.mqtt_host}",
            f"--mqtt-port={settings.mqtt_port}",
            f"--neighborhood={n}",
            f"--state-dir={tmp_path / 'second'}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "another Energrid (instance " + first.instance in lines[0]
        assert "--takeover" in lines[0]
        assert "Stopped" not in result.stdout  # it never started
        # The first never lost its connection; its status and totals never changed hands.
        assert first.client.connected and first.client.disconnects == 0
        assert first.client.connects == 1
        payloads = [json.loads(p) for p in received(watcher, n)[seen:]]
        assert payloads and all(p["house_count"] == 2 for p in payloads)
        statuses = [json.loads(p) for p in watcher.received(status_topic(n))]
        assert statuses and all(s["instance"] == first.instance for s in statuses)
    finally:
        first.stop()
        watcher.close()


def test_takeover_starts_anyway_and_a_restart_is_not_another(settings, tmp_path) -> None:  # noqa: ANN001
    n = settings.neighborhood
    watcher = TestClient(settings.mqtt_port, settings.mqtt_host)
    first = GridServer(settings)
    second = GridServer(replace(settings, state_dir=tmp_path / "second", explicit=set()))
    try:
        assert first.start(5.0)
        watcher.subscribe(status_topic(n))
        wait_for(lambda: watcher.received(status_topic(n)), what="the first's status")
        with pytest.raises(AnotherServerError):
            second.start(5.0)
        assert not second.client.connected
        second.settings.takeover = True
        assert second.start(5.0)
        wait_for(
            lambda: (
                json.loads(watcher.received(status_topic(n))[-1]).get("instance") == second.instance
            ),
            what="the status of the server that took over",
        )
    finally:
        first.stop()
        second.stop()
    # A server whose own status was left online (its broker kept it over a crash) starts again.
    left = orjson.dumps({"status": "online", "since_unix_s": 1.0, "instance": second.instance})
    watcher.publish(status_topic(n), left, retain=True)
    again = GridServer(replace(settings, state_dir=tmp_path / "second", explicit=set()))
    try:
        assert again.start(5.0)
    finally:
        again.stop()
        watcher.close()


def received(watcher: TestClient, n: int) -> list[bytes]:
    return [p for p in watcher.received(neighborhood_state_topic(n)) if p]
