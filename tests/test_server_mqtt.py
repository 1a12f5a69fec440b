"""The server end to end against a real Mosquitto: readings in, commands out, bad input counted."""

from __future__ import annotations

import pytest
from helpers import TestClient, wait_for

from energrid.shell.commands import ShellCommands
from energrid_core.server import GridServer


def base(server: GridServer) -> str:
    return f"Neighborhood/{server.settings.neighborhood}/House"


def seed_grid(server: GridServer) -> dict:
    sh = ShellCommands(server).namespace()
    sh["newHouse"](2)
    sh["newConsumer"](1, 2, "LED")
    sh["newConsumer"](2, "Lamp")
    sh["newSupplier"](1, 2, "Solar Panel")
    sh["newSupplier"](2, "Wind Turbine")
    return sh


def test_legacy_readings_published_by_a_board_land_in_the_model(
    server: GridServer,
    mqtt_client: TestClient,
    capsys,  # noqa: ANN001
) -> None:
    sh = seed_grid(server)
    mqtt_client.publish(f"{base(server)}/1/Consumer", '{"0": 2320, "1": 785, "2": 1275}')
    mqtt_client.publish(
        f"{base(server)}/1/Supplier",
        '{"1": {"pvvoltage": 18.2, "pvcurrent": 1.3, "lvoltage": 12.1, "lcurrent": 0.8,'
        ' "bvoltage": 12.6, "bcurrent": 0.4, "bremaining": 87}}',
    )
    house = server.grid.house(1)
    wait_for(lambda: house.supplier(1).last_seen is not None, what="the supplier reading")
    assert house.meter_a.last == pytest.approx(25.94, abs=0.01)
    assert house.consumer(1).current_a.last == 0.0
    assert house.consumer(2).current_a.last == pytest.approx(7.5)
    assert house.consumer(2).on is True
    assert house.supplier(1).value("battery_remaining_pct") == 87.0
    capsys.readouterr()
    sh["showHouse"](1)
    text = capsys.readouterr().out
    assert "consumption 25.94 A (5966.5 W, meter)" in text
    assert "7.50 A" in text and "1725.0 W" in text
    assert "87 %" in text and "9.7 W" in text


def test_per_device_readings_land_in_the_model(server: GridServer, mqtt_client: TestClient) -> None:
    seed_grid(server)
    mqtt_client.publish(f"{base(server)}/2/Consumer/1", '{"current_a": 0.26, "on": true}')
    mqtt_client.publish(
        f"{base(server)}/2/Supplier/1", '{"load_voltage_v": 24, "load_current_a": 2.5}'
    )
    house = server.grid.house(2)
    wait_for(lambda: house.supplier(1).last_seen is not None, what="the supplier reading")
    wait_for(lambda: house.consumer(1).last_seen is not None, what="the consumer reading")
    assert house.consumer(1).current_a.last == 0.26
    assert house.supply_w() == 60.0
    assert house.net_w(230.0) == pytest.approx(60.0 - 0.26 * 230.0)


def test_commands_arrive_on_the_broker(server: GridServer, mqtt_client: TestClient) -> None:
    sh = seed_grid(server)
    mqtt_client.subscribe(f"{base(server)}/+/+/+/+")
    sh["setConsumer"](2, 1, 1)
    sh["setConsumer"](2, 1, 0)
    sh["setSupplier"](1, 2, 0)
    set_topic = f"{base(server)}/2/Consumer/1/set"
    wait_for(lambda: len(mqtt_client.received(set_topic)) == 2, what="both commands")
    assert mqtt_client.received(set_topic) == [b"1", b"0"]
    load_topic = f"{base(server)}/1/Supplier/2/booleanLoad"
    wait_for(lambda: mqtt_client.received(load_topic) == [b"0"], what="the supplier command")
    qos = {m.qos for m in mqtt_client.messages}
    assert qos == {1}


def test_a_command_from_another_client_is_recorded(
    server: GridServer, mqtt_client: TestClient
) -> None:
    seed_grid(server)
    mqtt_client.publish(f"{base(server)}/2/Consumer/1/set", "1")
    wait_for(lambda: server.stats.commands_seen == 1, what="the VR command")
    assert server.grid.house(2).consumer(1).commanded == 1
    assert server.stats.rejected_total == 0


BAD = [
    ("json", "Consumer", b"hello"),
    ("json", "Consumer", b""),
    ("encoding", "Consumer", bytes(range(256))),
    ("non_finite", "Consumer", b'{"1": NaN}'),
    ("non_finite", "Consumer", b'{"1": 1e400}'),
    ("depth", "Consumer", b"[" * 5000),
    ("shape", "Consumer", b"[1]"),
    ("type", "Consumer", b'{"1": true}'),
    ("type", "Consumer", b'{"1": "785"}'),
    ("id", "Consumer", b'{"+": 785}'),
    ("id", "Consumer", b'{"a/b": 785}'),
    ("range", "Consumer", b'{"1": -1}'),
    ("oversize", "Consumer", b'{"1": 785' + b" " * 20000 + b"}"),
    ("field", "Supplier", b'{"1": {"volts": 3}}'),
    ("command", "Consumer/1/set", b"maybe"),
]


def test_each_kind_of_bad_message_is_counted_and_changes_nothing(
    server: GridServer, mqtt_client: TestClient
) -> None:
    seed_grid(server)
    mqtt_client.publish(f"{base(server)}/1/Consumer", '{"0": 900, "1": 900}')
    wait_for(lambda: server.stats.messages_applied == 1, what="the first reading")
    with server.lock:
        before = repr(server.grid.houses)
    for _reason, suffix, payload in BAD:
        mqtt_client.publish(f"{base(server)}/1/{suffix}", payload)
    mqtt_client.publish(f"{base(server)}/7/Consumer", '{"1": 900}')
    mqtt_client.publish(f"{base(server)}/1/Consumer", '{"9": 900}')
    expected = len(BAD) + 2
    wait_for(
        lambda: server.stats.rejected_total == expected,
        what=f"{expected} rejections, have {server.stats.rejected}",
    )
    with server.lock:
        assert repr(server.grid.houses) == before
    stats = server.stats
    for reason, _suffix, _payload in BAD:
        assert stats.rejected[reason] >= 1, reason
    assert stats.rejected["unknown_house"] == 1
    assert stats.rejected["unknown_device"] == 1
    assert stats.callback_errors == 0
    assert server.client.callback_errors == 0


def test_a_retained_reading_is_stale_when_the_server_subscribes(
    settings,
    mqtt_client: TestClient,  # noqa: ANN001
) -> None:
    topic = f"Neighborhood/{settings.neighborhood}/House/1/Consumer"
    mqtt_client.publish(topic, '{"1": 1275}', retain=True)
    server = GridServer(settings)
    server.new_houses(1)
    server.new_consumers(1, 1, "LED")
    try:
        assert server.start(5)
        wait_for(lambda: server.stats.rejected["retained"] == 1, what="the retained reading")
        assert server.grid.house(1).consumer(1).last_seen is None
    finally:
        server.stop()
        mqtt_client.publish(topic, b"", retain=True)


def test_a_flood_of_malformed_messages_is_counted_and_valid_readings_still_land(
    server: GridServer,
    mqtt_client: TestClient,
    capsys,  # noqa: ANN001
) -> None:
    sh = seed_grid(server)
    for i in range(1000):
        mqtt_client.client.publish(f"{base(server)}/1/Consumer", f"garbage {i}", qos=1)
    mqtt_client.publish(f"{base(server)}/2/Consumer/1", '{"current_a": 1.5}')
    wait_for(lambda: server.stats.rejected["json"] == 1000, timeout_s=20, what="1000 rejections")
    wait_for(lambda: server.grid.house(2).consumer(1).current_a.last == 1.5, what="valid reading")
    capsys.readouterr()
    sh["showStats"]()
    text = capsys.readouterr().out
    assert "Messages rejected: 1000" in " ".join(text.split())
    assert "json            1000" in text


def test_the_server_survives_a_broker_restart_and_resubscribes(make_broker, settings) -> None:  # noqa: ANN001
    mosquitto = make_broker()
    settings.mqtt_port = mosquitto.port
    server = GridServer(settings)
    server.client._client.reconnect_delay_set(1, 1)
    notices: list[str] = []
    server.client.connection_listeners.append(lambda up, text: notices.append(text))
    assert server.start(5)
    try:
        seed_grid(server)
        mosquitto.stop()
        wait_for(lambda: not server.client.connected, what="the disconnect")
        mosquitto.start()
        wait_for(lambda: server.client.connected, timeout_s=10, what="the reconnect")
        board = TestClient(mosquitto.port)
        try:
            board.publish(f"{base(server)}/1/Consumer", '{"1": 1275}')
            wait_for(
                lambda: server.grid.house(1).consumer(1).current_a.last == 7.5,
                what="a reading after the restart",
            )
        finally:
            board.close()
        assert server.client.connects == 2
        assert any("lost the broker" in n for n in notices)
        assert sum("connected to the broker" in n for n in notices) == 2
    finally:
        server.stop()
