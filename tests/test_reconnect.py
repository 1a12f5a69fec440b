"""The server's durable session and its recovery from broker restarts (reliability matrix C4,
A1, A4, A9, A10), with what the operator is told."""

from __future__ import annotations

import itertools
import re
import threading
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from grid_helpers import Peer, running, server_settings
from helpers import TIMEOUT_S, wait_for
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from energrid.app import running_server
from energrid_core.events import ReadingApplied
from energrid_core.mqtt.client import ClientOptions, GridClient


def consumer_topic(house: int, consumer: int) -> str:
    return f"Neighborhood/0/House/{house}/Consumer/{consumer}"


def test_the_client_asks_for_a_durable_session(make_broker) -> None:
    """C4 and A10: fixed client id, MQTT 5, clean start 0 (paho's default would be 1 on the
    first connect, wiping the backlog at every restart), QoS 1 subscription."""
    broker = make_broker()
    client = GridClient(ClientOptions(port=broker.port, client_id="supervisor-c4"), print)
    client.add_topic("Neighborhood/0/House/#")
    try:
        assert client.start(TIMEOUT_S)
        wait_for(lambda: "supervisor-c4 1 Neighborhood/0/House/#" in broker.log_text(), "SUBSCRIBE")
    finally:
        client.stop()
    log = broker.log_text()
    assert re.search(r"as supervisor-c4 \(p5, c0, k30\)", log), log
    # Mosquitto logs a subscription as "<client> <qos> <filter>".
    assert re.search(r"supervisor-c4 1 Neighborhood/0/House/#", log), log


def test_readings_sent_while_the_server_was_away_arrive_when_it_returns(
    make_broker, tmp_path: Path
) -> None:
    """A9: the session outlives the connection; the backlog is delivered on return."""
    broker = make_broker()
    settings = server_settings(broker.port, tmp_path / "state")
    with running(settings) as server:
        server.new_houses(2)
        server.new_consumers(2, 1, "Lamp")
    board = Peer(broker.port).wait_connected()
    mids = [board.publish(consumer_topic(2, 1), orjson.dumps({"current_a": v})) for v in (1, 2, 3)]
    for mid in mids:
        board.wait_acked(mid)
    with running(server_settings(broker.port, tmp_path / "state")) as server:
        lamp = server.grid.house(2).consumer(1)
        wait_for(lambda: lamp.current_a.count == 3, "the backlog")
        assert lamp.current_a.history()[-1][1] == 3.0
    board.close()


def test_a_broker_restart_mid_stream_loses_nothing_acknowledged(
    make_broker, tmp_path: Path
) -> None:
    """A1: every reading the broker acknowledged to a board reaches the model; the server
    reconnects by itself, resumes its session and says so."""
    broker = make_broker(persistence=True)
    notices: list[str] = []
    settings = server_settings(broker.port, tmp_path / "state")
    with running(settings) as server:
        server.client.connection_listeners.append(lambda _up, text: notices.append(text))
        server.new_houses(3)
        for house in (1, 2, 3):
            server.new_consumers(house, 1, "Lamp")
        applied: list[tuple[int, float]] = []
        lock = threading.Lock()

        def record(event: ReadingApplied) -> None:
            with lock:
                applied.extend((event.house, r.current_a) for r in event.decoded.consumers)

        server.bus.subscribe(ReadingApplied, record)
        boards = [Peer(broker.port, client_id=f"board-{h}").wait_connected() for h in (1, 2, 3)]
        sent: dict[int, dict[int, float]] = {1: {}, 2: {}, 3: {}}  # house -> mid -> value
        values = itertools.count(1)

        def burst(count: int) -> None:
            for _ in range(count):
                for house, peer in zip((1, 2, 3), boards, strict=True):
                    value = float(next(values))
                    mid = peer.publish(consumer_topic(house, 1), orjson.dumps({"current_a": value}))
                    sent[house][mid] = value

        burst(50)
        broker.stop()  # SIGTERM: the broker saves its sessions
        burst(20)  # the boards' paho keeps these and sends them after reconnecting
        broker.start()
        burst(50)
        for house, peer in zip((1, 2, 3), boards, strict=True):
            wait_for(lambda p=peer, h=house: set(sent[h]) <= set(p.acks), f"board {house} acks")
        acknowledged = {(h, v) for h in sent for mid, v in sent[h].items()}
        wait_for(lambda: acknowledged <= set(applied), "every acknowledged reading", 20)
        assert server.client.connects == 2 and server.client.disconnects == 1
        assert server.client.callback_errors == 0
        for peer in boards:
            peer.close()
    assert any(text.startswith("lost the broker at") for text in notices), notices
    assert any(text.endswith("(session resumed)") for text in notices), notices


def test_the_shell_says_when_the_broker_goes_and_comes_back(make_broker, tmp_path: Path) -> None:
    broker = make_broker()
    notices: list[tuple[bool, str]] = []
    settings = server_settings(broker.port, tmp_path / "state")
    with running_server(settings, lambda up, text: notices.append((up, text))) as server:
        assert server.client.connected
        broker.stop()
        wait_for(lambda: not server.client.connected, "the disconnect")
        broker.start()
        wait_for(lambda: server.client.connected, "the reconnect")
    address = f"127.0.0.1:{broker.port}"
    assert notices[0] == (True, f"connected to the broker at {address} (new session)")
    assert notices[1][0] is False and notices[1][1].startswith(f"lost the broker at {address}")
    assert notices[1][1].endswith("; retrying")
    assert notices[2][0] is True and notices[2][1].startswith(
        f"connected to the broker at {address}"
    )
    assert notices[-1] == (False, f"disconnected from the broker at {address}")


def test_a_broker_that_is_down_at_start_up_is_waited_for(make_broker, tmp_path: Path) -> None:
    """A4: no crash, retries with backoff, connects when the broker comes."""
    broker = make_broker()
    broker.stop()
    with running(server_settings(broker.port, tmp_path / "state"), connect=False) as server:
        assert not server.client.connected
        broker.start()
        wait_for(lambda: server.client.connected, "the first connection")
        assert server.client.callback_errors == 0


def test_a_publish_gets_an_expiry_for_the_broker(make_broker, tmp_path: Path) -> None:
    """Commands carry MessageExpiryInterval: a broker holding one for an offline board drops it
    when it is stale (A19)."""
    broker = make_broker()
    observer = Peer(broker.port).wait_connected()
    observer.subscribe("Neighborhood/0/House/+/Consumer/+/set")
    settings = server_settings(broker.port, tmp_path / "state", command_ttl_s=45.0)
    with running(settings) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        server.set_consumer(1, 1, 1)
        message = observer.received.get(timeout=TIMEOUT_S)
    expiry = getattr(message.properties, "MessageExpiryInterval", None)
    assert expiry is not None and 40 <= expiry <= 45
    observer.close()


def test_redelivered_duplicates_are_dropped_before_the_model(tmp_path: Path) -> None:
    """The broker resends a QoS 1 message it has no PUBACK for with the same packet id and DUP;
    the client drops it when it already received it. A different message reusing the packet id,
    or one with DUP that it never received, goes through."""
    got: list[bytes] = []
    client = GridClient(ClientOptions(), lambda _t, payload, _r: got.append(payload))

    def message(mid: int, payload: bytes, dup: bool) -> mqtt.MQTTMessage:
        m = mqtt.MQTTMessage(mid, b"Neighborhood/0/House/1/Consumer")
        m.payload, m.qos, m.dup = payload, 1, dup
        m.properties = Properties(PacketTypes.PUBLISH)
        return m

    for mid, payload, dup in [
        (7, b'{"0": 1}', False),
        (7, b'{"0": 1}', True),  # redelivery: dropped
        (7, b'{"0": 2}', False),  # the id reused for a new message
        (8, b'{"0": 3}', True),  # DUP, but never received before: applied
        (8, b'{"0": 3}', True),  # and its own redelivery dropped
    ]:
        client._on_message(None, None, message(mid, payload, dup))
    assert got == [b'{"0": 1}', b'{"0": 2}', b'{"0": 3}']
    assert client.duplicates_dropped == 2
