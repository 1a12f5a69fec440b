"""The baselines Energrid is compared with, each run as its own process.

    bare: a paho-mqtt client whose on_message only counts;
    diy:  paho-mqtt + json.loads + a dict of amps per sensor, what a user would write by hand.

Both connect like Energrid does (MQTT 5, clean_start False, the same subscription and QoS, the
network loop in paho's thread) and print the same `stats uptime_s=... received=N` line as
`energrid --headless --stats-interval-s` does, so the benchmark reads all of them the same way.

    python -m bench.subscribers bare --port P --client-id ID --expect N [--qos 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

TOPIC = "Neighborhood/0/House/#"
SESSION_EXPIRY_S = 3600


def _client(client_id: str) -> mqtt.Client:
    return mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
    )


def _connect_properties() -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = SESSION_EXPIRY_S
    return properties


def prime_session(host: str, port: int, client_id: str, qos: int, timeout_s: float = 10) -> None:
    """Leave a session with the subscription on the broker, so that it queues a backlog."""
    client = _client(client_id)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, *args: c.subscribe(
        TOPIC, options=SubscribeOptions(qos=qos, noLocal=True)
    )
    client.connect(host, port, clean_start=True, properties=_connect_properties())
    client.loop_start()
    try:
        if not subscribed.wait(timeout_s):
            raise RuntimeError(f"no SUBACK for {client_id} within {timeout_s} s")
    finally:
        client.disconnect()
        client.loop_stop()


class Counting:
    """The bare subscriber: counts messages and nothing else."""

    def __init__(self) -> None:
        self.received = 0

    def on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self.received += 1


class DoItYourself(Counting):
    """paho + json.loads + a dict update: amps per (topic, sensor), the demonstrator's formula."""

    def __init__(self) -> None:
        super().__init__()
        self.amps: dict[tuple[str, str], float] = {}

    def on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self.received += 1
        try:
            reading = json.loads(message.payload)
            topic = message.topic
            if "current_a" in reading:
                self.amps[(topic, "current_a")] = reading["current_a"]
            else:
                for key, raw in reading.items():
                    self.amps[(topic, key)] = max(0.0, 30 * raw / 1700 - 15)
        except Exception:  # noqa: BLE001 - a hand-written subscriber drops what it cannot read
            pass


def run(
    kind: str,
    host: str,
    port: int,
    client_id: str,
    qos: int,
    expect: int,
    interval_s: float,
    timeout_s: float,
) -> int:
    handler = DoItYourself() if kind == "diy" else Counting()
    client = _client(client_id)
    client.on_message = handler.on_message

    def on_connect(c: mqtt.Client, *args: object) -> None:
        c.subscribe(TOPIC, options=SubscribeOptions(qos=qos, noLocal=True))
        print("connected to the broker", flush=True)  # the live benchmark starts publishing

    client.on_connect = on_connect
    start = time.monotonic()

    def report() -> None:
        uptime_s, cpu_s = time.monotonic() - start, time.process_time()
        print(f"stats uptime_s={uptime_s:.4f} received={handler.received} cpu_s={cpu_s:.4f}")

    client.connect(host, port, clean_start=False, properties=_connect_properties())
    client.loop_start()
    deadline = start + timeout_s
    try:
        while handler.received < expect and time.monotonic() < deadline:
            report()
            time.sleep(interval_s)
        report()
    finally:
        client.disconnect()
        client.loop_stop()
    return 0 if handler.received >= expect else 1


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("bare", "diy"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--qos", type=int, default=1, choices=(0, 1))
    parser.add_argument("--expect", type=int, required=True, help="stop after this many messages")
    parser.add_argument("--interval-s", type=float, default=0.1)
    parser.add_argument("--timeout-s", type=float, default=120.0)
    args = parser.parse_args(argv)
    return run(
        args.kind,
        args.host,
        args.port,
        args.client_id,
        args.qos,
        args.expect,
        args.interval_s,
        args.timeout_s,
    )


if __name__ == "__main__":
    sys.exit(main())
