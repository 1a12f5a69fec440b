"""History: readings written in blocks, downsampled by age, plotted by showHistory()."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from helpers import FakeClock
from mosquitto_fixture import free_port

from energrid.shell import plot
from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.history.store import HistoryStore, Retention
from energrid_core.server import GridServer

DAY_S = 86400.0


def test_tiers_keep_means_and_drop_by_age(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", Retention(3600.0, 7 * DAY_S, 365 * DAY_S))
    start = 1_000_000_020.0 - 1_000_000_020.0 % 900  # a quarter's start
    # 2 hours of one sample a second: 100 W in even minutes, 300 W in odd ones.
    samples = [(1, 1, 1, start + k, 100.0 if (k // 60) % 2 == 0 else 300.0) for k in range(7200)]
    for block in range(0, len(samples), 500):
        store.append(samples[block : block + 500])
    store.roll(start + 7200)
    counts = store.counts()
    assert counts["raw"] == 3600  # the first hour is past the raw tier's age
    assert counts["minute"] == 120 and counts["quarter"] == 8
    minutes = store.series(1, "consumer", 1, start, start + 7200, 60.0)
    assert store.tier_for(start, start + 7200) == "minute"
    assert [w for _t, w in minutes[:4]] == [100.0, 300.0, 100.0, 300.0]
    quarters = store.series(1, "consumer", 1, start, start + 2 * DAY_S * 4, 900.0)
    assert store.tier_for(start, start + 8 * DAY_S) == "quarter"
    assert len(quarters) == 8 and all(abs(w - 200.0) < 14 for _t, w in quarters)
    store.close()


@pytest.fixture
def server(tmp_path: Path) -> GridServer:
    clock = FakeClock(1_750_000_000.0)
    server = GridServer(
        Settings(state_dir=tmp_path, start_broker=False, mqtt_port=free_port()), clock=clock
    )
    server.energy.start(server.bus, thread=False)
    assert server.history is not None
    server.history.start(server.bus, thread=False)
    server.clock_for_test = clock  # type: ignore[attr-defined]
    return server


def test_show_history_plots_a_house_that_imports_then_exports(server: GridServer, capsys) -> None:  # noqa: ANN001
    clock = server.clock_for_test  # type: ignore[attr-defined]
    sh = ShellCommands(server).namespace()
    sh["newHouse"](1)
    sh["newConsumer"](1, "Lamp")
    sh["newSupplier"](1, "Solar Panel")
    for k in range(3600):  # an hour: the first half the lamp alone, then the sun as well
        server.ingest.handle(
            "Neighborhood/0/House/1/Consumer/1", orjson.dumps({"current_a": 1.0, "on": True})
        )
        amps = 0.0 if k < 1800 else 10.0  # 0 W, then 1000 W
        payload = orjson.dumps({"load_voltage_v": 100.0, "load_current_a": amps})
        server.ingest.handle("Neighborhood/0/House/1/Supplier/1", payload)
        server.energy.sweep()
        clock.advance(1.0)
    assert server.history is not None
    assert server.history.flush() > 0
    capsys.readouterr()
    sh["showHistory"](1, period="1h")
    text = capsys.readouterr().out
    assert "House 1: net draw" in text and "every reading" in text
    assert "230 W" in text and "-770 W" in text  # the scale: what it imported, then exported
    assert "█" in text and "▀" in text or text.count("█") > 30
    sh["showHistory"](1, 1, period="1h")
    assert "consumer 1 (Lamp): power" in capsys.readouterr().out
    sh["showHistory"](1, period="2h")
    assert capsys.readouterr().out.startswith("error: period must be")
    server.stop()


def test_the_chart_rises_for_import_and_hangs_for_export() -> None:
    text = plot.bar_chart([100.0, None, -100.0], height=4)
    rows = text.splitlines()
    assert rows[0].endswith("█  ")  # the import column is full height above the axis
    assert rows[-1].endswith("  █")  # the export column hangs to the bottom
    assert plot.bar_chart([None, None]) == "  (no readings in this period)"


def test_history_on_request_over_mqtt5(broker, contract) -> None:  # noqa: ANN001
    """A client asks with a response topic and correlation data and gets the points back."""
    import queue
    import uuid

    import paho.mqtt.client as mqtt
    from jsonschema import Draft7Validator
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from simulated import connected_server

    from energrid_core.history.requests import request_topic

    with connected_server(broker) as server:
        n = server.settings.neighborhood
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        for _ in range(5):
            payload = orjson.dumps({"current_a": 2.0, "on": True})
            server.ingest.handle(f"Neighborhood/{n}/House/1/Consumer/1", payload)
        server.energy.sweep()
        assert server.history is not None
        server.history.flush()
        answers: queue.Queue = queue.Queue()
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"req-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        reply_to = f"client/{uuid.uuid4().hex[:8]}/history"
        client.on_message = lambda _c, _u, m: answers.put(m)
        client.connect(broker.host, broker.port)
        client.loop_start()
        try:
            client.subscribe(reply_to, qos=1)
            for body, correlation in (
                (b'{"house": 1, "consumer": 1, "period": "1h", "points": 60}', b"req-1"),
                (b'{"house": 1, "period": "2h"}', b"req-2"),
            ):
                props = Properties(PacketTypes.PUBLISH)
                props.ResponseTopic = reply_to
                props.CorrelationData = correlation
                client.publish(request_topic(n), body, qos=1, properties=props)
            got = {}
            for _ in range(2):
                message = answers.get(timeout=10)
                got[message.properties.CorrelationData] = orjson.loads(message.payload)
        finally:
            client.disconnect()
            client.loop_stop()
    schema = {"$ref": "urn:energrid:asyncapi#/components/schemas/HistoryResponse"}
    validator = Draft7Validator(schema, registry=contract.registry)
    for answer in got.values():
        validator.validate(answer)
    first = got[b"req-1"]
    assert first["kind"] == "consumer" and first["device"] == 1
    assert [round(w) for _t, w in first["points"]] == [460]
    assert got[b"req-2"] == {"error": "period must be '1h', '24h' or '7d'"}


def test_show_history_with_too_little_history_says_so_in_one_line(
    server: GridServer,
    capsys,  # noqa: ANN001
) -> None:
    """Right after the demo started, showHistory(3) printed '(every reading, 0 s a column)'."""
    clock = server.clock_for_test  # type: ignore[attr-defined]
    sh = ShellCommands(server).namespace()
    sh["newHouse"](1)
    sh["newConsumer"](1, "Lamp")
    for _ in range(10):  # ten seconds of readings
        server.ingest.handle(
            "Neighborhood/0/House/1/Consumer/1", orjson.dumps({"current_a": 1.0, "on": True})
        )
        server.energy.sweep()
        clock.advance(1.0)
    capsys.readouterr()
    sh["showHistory"](1)
    text = capsys.readouterr().out
    assert text.splitlines() == [
        "House 1: net draw (above 0 imported, below 0 exported): too little history to plot yet "
        "(10 s of readings, a plot needs 2 min); try again later"
    ]
    sh["setLanguage"]("fr")
    sh["showHistory"](1, 1)
    assert "trop peu d'historique" in capsys.readouterr().out


def test_a_history_of_rows_per_sample_is_packed_into_blocks(tmp_path: Path) -> None:
    """A history.sqlite3 from before the blocks (schema 1) opens with its readings and means."""
    import sqlite3

    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    for tier in ("raw", "minute", "quarter"):  # version 1's tables, as it created them
        db.execute(
            f"CREATE TABLE {tier} (house INTEGER NOT NULL, kind INTEGER NOT NULL,"
            " device INTEGER NOT NULL, t REAL NOT NULL, value REAL NOT NULL,"
            " PRIMARY KEY (house, kind, device, t)) WITHOUT ROWID"
        )
    db.execute("CREATE TABLE rolled (tier TEXT PRIMARY KEY, up_to REAL NOT NULL)")
    start = 1_750_000_020.0 - 1_750_000_020.0 % 900
    rows = [(1, 1, 2, start + k, 40.0 + k % 2) for k in range(120)]
    rows += [(1, 0, 0, start + k, -10.5) for k in range(120)]
    db.executemany("INSERT INTO raw VALUES (?,?,?,?,?)", rows)
    db.execute("INSERT INTO minute VALUES (1, 1, 2, ?, 40.5)", (start - 60,))
    db.execute("INSERT INTO rolled VALUES ('minute', ?)", (start,))
    db.commit()
    db.close()

    store = HistoryStore(path, Retention())
    assert store.counts() == {"raw": 240, "minute": 1, "quarter": 0}
    assert store.series(1, "consumer", 2, start, start + 120, 60.0) == [
        (start, 40.5),
        (start + 60, 40.5),
    ]
    assert store.series(1, "house", 0, start, start + 120, 120.0) == [(start, -10.5)]
    assert store.first_time(1, "consumer", 2, start - 3600) == start - 60  # the minute's
    store.roll(start + 120)  # the minutes of the migrated readings, after the one rolled
    assert store.counts()["minute"] == 1 + 2 * 2
    store.close()
    reopened = HistoryStore(path, Retention())  # already at version 2: nothing to do
    assert reopened.counts()["raw"] == 240
    reopened.close()


def test_show_history_integrates_its_own_house_only(server: GridServer, capsys) -> None:  # noqa: ANN001
    """What a house's boards sent since the last sweep is in its plot; the other houses wait
    for the sweep (on 10,000 houses, sweeping them all made the first call take half a second)."""
    sh = ShellCommands(server).namespace()
    sh["newHouse"](2)
    payload = orjson.dumps({"current_a": 2.0, "on": True})
    for house in (1, 2):
        sh["newConsumer"](house, "Lamp")
        server.ingest.handle(f"Neighborhood/0/House/{house}/Consumer/1", payload)
    server.energy.sweep()  # a first reading each, then two minutes (a plot needs that much)
    server.clock_for_test.advance(125.0)  # type: ignore[attr-defined]
    for house in (1, 2):
        server.ingest.handle(f"Neighborhood/0/House/{house}/Consumer/1", payload)
    server.clock_for_test.advance(5.0)  # type: ignore[attr-defined]
    capsys.readouterr()
    sh["showHistory"](1, 1, period="1h")
    assert "460 W" in capsys.readouterr().out
    assert server.energy.sweep() == 2  # house 2's lamp and net draw; nothing new in house 1
    server.stop()
