"""A minimal simulated board for the command round trip: it answers every /set with a reading.

    python -m bench.responder --port P [--neighborhood 0] [--log FILE]

Subscribes to Neighborhood/<n>/House/+/Consumer/+/set and answers a command `1` or `0` on
.../Consumer/<c> with a per-device reading that shows the new state:
{"current_a": 0.5, "on": true} or {"current_a": 0.0, "on": false}. Prints `ready` once
subscribed. Any program that does the same can replace it (`bench.run --responder`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

READINGS = {b"1": b'{"current_a": 0.5, "on": true}', b"0": b'{"current_a": 0.0, "on": false}'}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--neighborhood", type=int, default=0)
    parser.add_argument(
        "--log", type=Path, help="append `<monotonic s> <topic>` for every command answered"
    )
    args = parser.parse_args(argv)
    log = args.log.open("a", buffering=1) if args.log else None
    commands = f"Neighborhood/{args.neighborhood}/House/+/Consumer/+/set"
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="bench-responder",
        protocol=mqtt.MQTTv5,
    )
    subscribed = threading.Event()

    def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        received = time.monotonic()  # one clock for every process of the machine
        reading = READINGS.get(message.payload.strip())
        if reading is not None:
            c.publish(message.topic.removesuffix("/set"), reading, qos=1)
            if log is not None:
                log.write(f"{received:.6f} {message.topic}\n")

    client.on_connect = lambda c, *rest: c.subscribe(commands, qos=1)
    client.on_subscribe = lambda *rest: subscribed.set()
    client.on_message = on_message
    client.connect(args.host, args.port)
    client.loop_start()
    if not subscribed.wait(10):
        print("no SUBACK from the broker", file=sys.stderr)
        return 1
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()  # until the benchmark closes our stdin or stops us
    client.disconnect()
    client.loop_stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
