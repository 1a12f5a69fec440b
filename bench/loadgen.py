"""The load: MQTT PUBLISH packets generated into a file once, then written by separate processes.

A load file holds ready-encoded MQTT 3.1.1 PUBLISH packets (QoS 1), so that the same bytes reach
the broker for every subscriber under test and the publisher costs almost nothing per message.

    python -m bench.loadgen publish FILE --port P              # as fast as possible, wait for acks
    python -m bench.loadgen publish FILE --port P --rate 5000 --duration-s 30   # paced, looping
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LEGACY = "legacy"  # {"0": raw, ..., "9": raw} on Neighborhood/0/House/<h>/Consumer
DEVICE = "device"  # {"current_a": 0.42, "on": true} on Neighborhood/0/House/<h>/Consumer/<c>
READINGS_PER_BATCH = 10  # key "0" (the house meter) and consumers 1..9

_CONNACK_LEN = 4
_PUBACK_LEN = 4


@dataclass(frozen=True)
class Workload:
    """`messages` readings messages over a grid of `houses` houses of `consumers` consumers."""

    kind: str
    houses: int
    consumers: int
    messages: int
    seed: int = 1
    neighborhood: int = 0

    @property
    def devices(self) -> int:
        return self.houses * self.consumers

    @property
    def readings_per_message(self) -> int:
        return READINGS_PER_BATCH if self.kind == LEGACY else 1


def messages(load: Workload) -> Iterator[tuple[str, bytes]]:
    """(topic, payload) pairs: every house (or device) once per round, in a new order each round."""
    rng = random.Random(load.seed)
    base = f"Neighborhood/{load.neighborhood}/House/"
    if load.kind == LEGACY:
        targets = [f"{base}{h}/Consumer" for h in range(1, load.houses + 1)]
    else:
        targets = [
            f"{base}{h}/Consumer/{c}"
            for h in range(1, load.houses + 1)
            for c in range(1, load.consumers + 1)
        ]
    sent = 0
    while sent < load.messages:
        rng.shuffle(targets)
        for topic in targets[: load.messages - sent]:
            yield topic, _payload(load.kind, rng)
        sent += min(len(targets), load.messages - sent)


def _payload(kind: str, rng: random.Random) -> bytes:
    if kind == LEGACY:
        raws = [rng.randrange(850, 1700) for _ in range(READINGS_PER_BATCH)]
        raws[0] = sum(raws[1:]) - 850 * 8  # the meter sees the whole house
        return ("{" + ", ".join(f'"{i}": {raw}' for i, raw in enumerate(raws)) + "}").encode()
    current = rng.randrange(0, 500) / 100
    return f'{{"current_a": {current}, "on": {"true" if current > 0.05 else "false"}}}'.encode()


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def encode_publish(topic: str, payload: bytes, packet_id: int, qos: int = 1) -> bytes:
    """An MQTT 3.1.1 PUBLISH at QoS 1 (or 0: no packet id), retain off."""
    name = topic.encode()
    if qos == 0:
        body = len(name).to_bytes(2, "big") + name + payload
        return b"\x30" + _remaining_length(len(body)) + body
    body = len(name).to_bytes(2, "big") + name + packet_id.to_bytes(2, "big") + payload
    return b"\x32" + _remaining_length(len(body)) + body


def write_load_file(load: Workload, path: Path, qos: int = 1) -> int:
    """Encode the workload into `path`; returns the number of messages."""
    chunks = []
    count = 0
    for count, (topic, payload) in enumerate(messages(load), start=1):
        chunks.append(encode_publish(topic, payload, (count - 1) % 65535 + 1, qos))
    path.write_bytes(b"".join(chunks))
    return count


def write_lines_file(load: Workload, path: Path) -> tuple[str, int]:
    """The payloads of a one-topic workload, one a line, for `mosquitto_pub -l`: (topic, count)."""
    topics: set[str] = set()
    lines = []
    for topic, payload in messages(load):
        topics.add(topic)
        lines.append(payload)
    if len(topics) != 1:
        raise ValueError(f"mosquitto_pub -l publishes on one topic; this load has {len(topics)}")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return topics.pop(), len(lines)


def split_packets(data: bytes) -> list[bytes]:
    """The packets of a load file, in order."""
    packets = []
    pos = 0
    while pos < len(data):
        length, mult, i = 0, 1, pos + 1
        while True:
            byte = data[i]
            length += (byte & 0x7F) * mult
            mult *= 128
            i += 1
            if not byte & 0x80:
                break
        packets.append(data[pos : i + length])
        pos = i + length
    return packets


class RawPublisher:
    """One MQTT 3.1.1 connection that writes ready-made packets and counts the PUBACKs."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        client_id = f"bench-load-{os.getpid()}".encode()
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
        self.sock.sendall(b"\x10" + _remaining_length(len(body)) + body)
        self.acks = 0
        self._received = 0
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self._received += len(chunk)
            self.acks = max(0, (self._received - _CONNACK_LEN) // _PUBACK_LEN)

    def wait_acks(self, count: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.acks < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        self._closed.set()
        try:
            self.sock.sendall(b"\xe0\x00")
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def publish_backlog(
    data: bytes, count: int, host: str, port: int, timeout_s: float = 120, acked: bool = True
) -> float:
    """Write every packet as fast as the broker takes them; seconds until all were acknowledged.

    acked=False (QoS 0 packets): seconds until the last byte was written.
    """
    publisher = RawPublisher(host, port)
    start = time.monotonic()
    view = memoryview(data)
    for offset in range(0, len(data), 1 << 20):
        publisher.sock.sendall(view[offset : offset + (1 << 20)])
    if acked and not publisher.wait_acks(count, timeout_s):
        raise SystemExit(f"the broker acknowledged {publisher.acks} of {count} messages")
    elapsed = time.monotonic() - start
    publisher.close()
    return elapsed


def publish_paced(
    packets: list[bytes], rate: float, duration_s: float, host: str, port: int
) -> int:
    """Write `rate` packets a second, looping over the file, for `duration_s`; returns the count."""
    publisher = RawPublisher(host, port)
    start = time.monotonic()
    sent = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= duration_s:
            break
        due = int(elapsed * rate)
        if due > sent:
            batch = [packets[i % len(packets)] for i in range(sent, due)]
            publisher.sock.sendall(b"".join(batch))
            sent = due
        time.sleep(0.002)
    publisher.wait_acks(sent, 10.0)
    publisher.close()
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    pub = sub.add_parser("publish", help="write a load file to the broker")
    pub.add_argument("file", type=Path)
    pub.add_argument("--host", default="127.0.0.1")
    pub.add_argument("--port", type=int, required=True)
    pub.add_argument("--rate", type=float, default=0.0, help="messages per second; 0: all at once")
    pub.add_argument("--duration-s", type=float, default=10.0, help="how long a paced run lasts")
    pub.add_argument("--qos", type=int, default=1, choices=(0, 1), help="the file's packets' QoS")
    args = parser.parse_args(argv)
    data = args.file.read_bytes()
    packets = split_packets(data)
    if args.rate > 0:
        sent = publish_paced(packets, args.rate, args.duration_s, args.host, args.port)
        print(f"published {sent} messages at {args.rate:.0f}/s", flush=True)
        return 0
    elapsed = publish_backlog(data, len(packets), args.host, args.port, acked=args.qos > 0)
    print(f"published {len(packets)} messages in {elapsed:.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
