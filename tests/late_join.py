"""A retained grid of the size a VR client must receive whole, and a client that counts it.

Used by the late-join tests (shipped broker configurations) and by bench/view_late_join.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt

CONSUMERS_PER_HOUSE = 10

# A consumer's state payload as the server publishes it (docs/protocol.md), about 280 bytes.
_CONSUMER = {
    "house": 0,
    "consumer": 0,
    "type": "Radiateur",
    "on": True,
    "current_a": 7.5,
    "power_w": 1725.0,
    "online": True,
    "last_reading_unix_s": 1732570012.5,
    "command": {
        "state": 1,
        "status": "confirmed",
        "sent_unix_s": 1732570012.2,
        "resolved_unix_s": 1732570012.5,
        "timeout_s": 5.0,
        "source": "server",
    },
}


def grid_messages(neighborhood: int, houses: int) -> list[tuple[str, bytes]]:
    """Every retained state topic of `houses` houses of 10 consumers and 1 supplier."""
    base = f"energrid/{neighborhood}"
    messages: list[tuple[str, bytes]] = [
        (f"{base}/status", b'{"status": "online", "since_unix_s": 1732570000.25}'),
        (f"{base}/state/neighborhood", json.dumps({"house_count": houses}).encode()),
        (f"{base}/state/houses", json.dumps({"houses": list(range(1, houses + 1))}).encode()),
    ]
    for house in range(1, houses + 1):
        messages.append((f"{base}/state/house/{house}", json.dumps({"house": house}).encode()))
        for consumer in range(1, CONSUMERS_PER_HOUSE + 1):
            payload = dict(_CONSUMER, house=house, consumer=consumer)
            messages.append(
                (f"{base}/state/house/{house}/consumer/{consumer}", json.dumps(payload).encode())
            )
        messages.append(
            (f"{base}/state/house/{house}/supplier/1", json.dumps({"house": house}).encode())
        )
    return messages


def publish_retained(
    client: mqtt.Client, messages: list[tuple[str, bytes]], timeout_s: float
) -> None:
    """Publish every message retained at QoS 1 and wait until the broker acknowledged the last."""
    last = None
    for topic, payload in messages:
        last = client.publish(topic, payload, qos=1, retain=True)
    assert last is not None
    last.wait_for_publish(timeout_s)
    if not last.is_published():
        raise TimeoutError("the broker did not acknowledge the retained grid")


def late_join(
    port: int,
    neighborhood: int,
    expected: int,
    transport: str = "tcp",
    qos: int = 0,
    username: str | None = None,
    password: str | None = None,
    timeout_s: float = 20.0,
) -> tuple[set[str], float]:
    """Subscribe once to energrid/<n>/# and collect the retained topics received.

    Returns the topics and the seconds from CONNACK to the last one (or to the timeout).
    """
    topics: set[str] = set()
    whole = threading.Event()
    started: list[float] = []
    last = [0.0]

    def on_connect(client: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        started.append(time.monotonic())
        client.subscribe(f"energrid/{neighborhood}/#", qos=qos)

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            topics.add(message.topic)
            last[0] = time.monotonic()
            if len(topics) >= expected:
                whole.set()

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=username or f"late-{uuid.uuid4().hex[:8]}",
        transport=transport,
        protocol=mqtt.MQTTv5,
    )
    if username is not None:
        client.username_pw_set(username, password)
    client.on_connect = on_connect
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        whole.wait(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    elapsed = last[0] - started[0] if started and last[0] else float("nan")
    return set(topics), elapsed
