"""End to end through a real Mosquitto: a bounded flood of malformed messages, retained garbage,
oversize and deeply nested payloads, huge numbers. The server stays up, counts each rejection
by reason, and other houses' readings still land (reliability matrix B1-B9, B20, B23)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
from grid_helpers import Peer, running, server_settings
from helpers import wait_for

HOUSE_1 = "Neighborhood/0/House/1/Consumer"
BAD = [
    (HOUSE_1, b"hello", "json"),
    (HOUSE_1, b"", "json"),
    (HOUSE_1, b'{"0": 900', "json"),
    (HOUSE_1, b'{"0": "\xff\xfe"}', "encoding"),
    (HOUSE_1, b'{"0": NaN}', "non_finite"),
    (HOUSE_1, b'{"0": 1e400}', "non_finite"),
    (HOUSE_1, b'{"0": ' + b"9" * 5000 + b"}", "non_finite"),
    (HOUSE_1, b"[" * 3000 + b"]" * 3000, "depth"),
    (HOUSE_1, b'{"0": ' + b" " * 20000 + b"1}", "oversize"),
    (HOUSE_1, b'{"+": 900}', "id"),
    (HOUSE_1, b'{"1": true}', "type"),
    (HOUSE_1, b'{"1": -4}', "range"),
    (HOUSE_1 + "/1", b'{"current_a": 1, "extra": 2}', "field"),
    (HOUSE_1 + "/1/set", b"ON", "command"),
    ("Neighborhood/0/House/1/Meter", b"{}", "topic"),
    ("Neighborhood/0/House/77/Consumer", b'{"1": 900}', "unknown_house"),
]
ROUNDS = 125  # 125 x 16 = 2000 bad messages


def test_a_flood_of_bad_messages_is_counted_and_good_ones_still_land(
    make_broker, tmp_path: Path
) -> None:
    broker = make_broker(extra_config=["max_queued_messages 100000"])
    with running(server_settings(broker.port, tmp_path / "state")) as server:
        server.new_houses(2)
        server.new_consumers(1, 1, "LED")
        server.new_consumers(2, 1, "Lamp")
        attacker = Peer(broker.port, client_id="flood").wait_connected()
        board = Peer(broker.port, client_id="board-2").wait_connected()
        good = 0
        for _round in range(ROUNDS):
            for topic, payload, _reason in BAD:
                attacker.publish(topic, payload)
            board.publish("Neighborhood/0/House/2/Consumer/1", orjson.dumps({"current_a": 1.0}))
            good += 1
        total = ROUNDS * len(BAD) + good
        wait_for(lambda: server.stats.messages_received == total, f"{total} messages", 30)
        expected = Counter(reason for _topic, _payload, reason in BAD)
        assert dict(server.stats.rejected) == {r: n * ROUNDS for r, n in expected.items()}
        assert server.stats.callback_errors == 0 and server.client.callback_errors == 0
        assert server.grid.house(2).consumer(1).current_a.count == good
        assert server.grid.house(1).consumer(1).current_a.count == 0
        assert not server.grid.house(1).metered
        assert server.client.loop_alive and server.client.connected
        attacker.close()
        board.close()


def test_retained_garbage_on_a_reading_topic_is_refused_after_a_restart(
    make_broker, tmp_path: Path
) -> None:
    broker = make_broker()
    with running(server_settings(broker.port, tmp_path / "state")) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "LED")
    vandal = Peer(broker.port).wait_connected()
    for topic, payload in [
        (HOUSE_1, b'{"0": 99999, "1": 1700}'),  # looks valid, but a retained reading is stale
        (HOUSE_1 + "/1", b"\x00garbage"),
    ]:
        vandal.wait_acked(vandal.publish(topic, payload, retain=True))
    with running(server_settings(broker.port, tmp_path / "state")) as server:
        wait_for(lambda: server.stats.rejected["retained"] == 2, "the retained messages")
        assert server.grid.house(1).consumer(1).current_a.count == 0
        assert not server.grid.house(1).metered
        vandal.publish(HOUSE_1, b'{"1": 1700}')  # the next live reading is applied
        wait_for(lambda: server.grid.house(1).consumer(1).current_a.count == 1, "a live reading")
    for topic in (HOUSE_1, HOUSE_1 + "/1"):
        vandal.publish(topic, b"", retain=True)  # clear them
    vandal.close()
