"""A look at one retained message before the server connects for good.

A server must know whether another server already serves its neighborhood before it announces
itself, and without touching its own durable session: so this is a connection of its own, with a
client id of its own, a clean start and no session kept. Like mqtt_client, it alone talks to paho
for this.
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energrid_core.mqtt.client import ClientOptions, log_in

BARRIER_ROOT = "energrid/probe"


def read_retained(options: ClientOptions, topic: str, wait_s: float) -> bytes | None:
    """The message retained on `topic` (b"" or None when there is none).

    Raises TimeoutError when the broker could not be asked within wait_s (down, refusing us):
    the caller then cannot tell, and the main connection reports why.

    The broker sends a subscription's retained messages right after its SUBACK, and handles a
    client's packets in order: so once a second subscription (to a topic nobody uses) is
    acknowledged, the first one's retained message, if any, has arrived.
    """
    found: list[bytes] = []
    barrier_done = threading.Event()
    failed = threading.Event()
    barrier = f"{BARRIER_ROOT}/{uuid.uuid4().hex}"
    barrier_mid: list[int] = []

    def on_connect(client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        if reason_code.is_failure:
            failed.set()
            return
        client.subscribe(topic, qos=0)
        barrier_mid.append(client.subscribe(barrier, qos=0)[1])

    def on_message(client, userdata, message) -> None:  # noqa: ANN001
        if message.topic == topic and message.retain:
            found.append(bytes(message.payload))

    def on_subscribe(client, userdata, mid, reason_codes, properties) -> None:  # noqa: ANN001
        if barrier_mid and mid == barrier_mid[0]:
            barrier_done.set()

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"{options.client_id}-probe-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    log_in(client, options.username, options.password, options.tls_ca)
    client.on_connect = on_connect
    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.connect_timeout = max(0.1, wait_s)
    deadline = time.monotonic() + wait_s
    try:
        client.connect(options.host, options.port, options.keepalive_s, clean_start=True)
    except OSError as exc:
        raise TimeoutError(f"cannot reach the broker at {options.host}:{options.port}") from exc
    client.loop_start()
    try:
        while not barrier_done.wait(0.02):
            if failed.is_set() or time.monotonic() >= deadline:
                raise TimeoutError(f"the broker at {options.host}:{options.port} did not answer")
    finally:
        client.disconnect()
        client.loop_stop()
    return found[-1] if found else None
