"""Energrid's receive path (energrid_core/mqtt/receive.py) takes in what paho's own would.

First against packets written by hand into a socket pair, cut anywhere (the packet format and
the buffer's bookkeeping); then against a real Mosquitto, through the server's GridClient.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import pytest
from helpers import unique
from hypothesis import given, settings
from hypothesis import strategies as st
from mosquitto_fixture import MosquittoProcess
from paho.mqtt import _packet
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from energrid_core.mqtt import bulk, receive
from energrid_core.mqtt.client import ClientOptions, GridClient
from energrid_core.mqtt.receive import FastReceive


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool = False
    dup: bool = False
    mid: int = 0
    client: str | None = None  # a `client` user property
    response: str | None = None  # a response topic


def _properties(message: Message) -> Properties | None:
    if message.client is None and message.response is None:
        return None
    properties = Properties(PacketTypes.PUBLISH)
    if message.client is not None:
        properties.UserProperty = ("client", message.client)
    if message.response is not None:
        properties.ResponseTopic = message.response
    return properties


def encode(message: Message) -> bytes:
    """An MQTT 5 PUBLISH, written here rather than by paho (the test's own reference)."""
    topic = message.topic.encode()
    body = struct.pack("!H", len(topic)) + topic
    if message.qos:
        body += struct.pack("!H", message.mid)
    properties = _properties(message)
    body += properties.pack() if properties is not None else b"\x00"
    body += message.payload
    header = 0x30 | message.qos << 1 | message.retain | message.dup << 3
    return bytes([header]) + bulk.remaining_length(len(body)) + body


class Receiver:
    """A FastReceive client reading one end of a socket pair; the test writes the other end."""

    def __init__(self) -> None:
        self.client = FastReceive(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.got: list[Message] = []
        self.client.on_publish_raw = self._raw
        self.client.on_message = self._message
        self.ours, self.theirs = socket.socketpair()
        for end in (self.ours, self.theirs):  # room for a burst written before it is read
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 18)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
        self.ours.setblocking(False)
        self.client._sock = self.ours

    def _raw(self, topic, payload, qos, retain, dup, mid, properties) -> None:  # noqa: ANN001
        pairs = getattr(properties, "UserProperty", None) or []
        client = next((value for name, value in pairs if name == "client"), None)
        response = getattr(properties, "ResponseTopic", None)
        self.got.append(Message(topic, payload, qos, retain, dup, mid, client, response))

    def _message(self, client, userdata, message) -> None:  # noqa: ANN001
        self.got.append(Message(message.topic, message.payload, message.qos, mid=message.mid))

    def read_all(self) -> list[MQTTErrorCode]:
        """loop_read until the socket is empty, as paho's loop does after each select()."""
        codes = []
        while True:
            codes.append(self.client.loop_read())
            if codes[-1] != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return codes
            assert not self.complete_packet_buffered(), "a whole packet left in the buffer"
            if not _readable(self.ours):
                return codes

    def complete_packet_buffered(self) -> bool:
        """Whether the buffer holds a whole packet that select() would never announce."""
        rest = self.client._rx[self.client._rx_pos :]
        if len(rest) < 2:
            return False
        length, mult, index = 0, 1, 1
        while index < len(rest):
            byte = rest[index]
            index += 1
            length += (byte & 127) * mult
            mult <<= 7
            if not byte & 128:
                return index + length <= len(rest)
        return False

    def acks(self) -> list[int]:
        """The mids of the PUBACKs written back, in order (paho writes at once without a
        network thread)."""
        self.theirs.setblocking(False)
        data = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := self.theirs.recv(65536):
                data += chunk
        self.theirs.setblocking(True)
        mids = []
        for start in range(0, len(data), 4):
            header, length, mid = struct.unpack("!BBH", data[start : start + 4])
            assert (header, length) == (0x40, 2)
            mids.append(mid)
        return mids

    def close(self) -> None:
        self.ours.close()
        self.theirs.close()


def _readable(sock: socket.socket) -> bool:
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


topics = st.text(st.sampled_from("abcé/Ω01"), min_size=1, max_size=30)
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10)  # MQTT's strings
payloads = st.one_of(
    st.binary(max_size=64),
    st.integers(0, 70_000).map(lambda n: bytes(range(256)) * (n // 256) + b"x" * (n % 256)),
)
messages = st.builds(
    Message,
    topic=topics,
    payload=payloads,
    qos=st.integers(0, 1),
    retain=st.booleans(),
    dup=st.booleans(),
    mid=st.integers(1, 65535),
    client=st.none() | texts,
    response=st.none() | topics,
)


def _normal(message: Message) -> Message:
    """What arrives: QoS 0 has no mid."""
    return message if message.qos else Message(**{**message.__dict__, "mid": 0})


@settings(max_examples=60, deadline=None)
@given(st.lists(messages, min_size=1, max_size=12), st.lists(st.integers(1, 9000), min_size=1))
def test_every_message_arrives_whole_however_the_bytes_are_cut(
    sent: list[Message], cuts: list[int]
) -> None:
    receiver = Receiver()
    try:
        data = b"".join(encode(message) for message in sent)
        position, index = 0, 0
        while position < len(data):
            size = cuts[index % len(cuts)]
            receiver.theirs.sendall(data[position : position + size])
            position += size
            index += 1
            assert set(receiver.read_all()) == {MQTTErrorCode.MQTT_ERR_SUCCESS}
        assert receiver.got == [_normal(message) for message in sent]
        assert receiver.acks() == [message.mid for message in sent if message.qos == 1]
    finally:
        receiver.close()


def test_a_publish_decodes_as_paho_decodes_it() -> None:
    message = Message("energrid/1/command", b'{"on": true}', 1, mid=77, client="vr", response="r/1")
    packet = encode(message)
    body = packet[2:]  # header and a one-byte remaining length
    topic, mid, properties, payload = receive.split_publish(packet[0], body)
    reference = _packet.decode_publish(packet[0], body, mqtt.MQTTv5)
    assert (topic, mid, payload) == (reference.topic, reference.mid, reference.payload)
    assert properties is not None and reference.properties is not None
    assert properties.UserProperty == reference.properties.UserProperty
    assert properties.ResponseTopic == reference.properties.ResponseTopic


def test_a_burst_is_handled_before_the_loop_returns_without_reading_forever(
    receiver: Receiver,
) -> None:
    """Five reads' worth of small messages: one loop_read takes REFILLS_PER_LOOP reads of it
    and handles every whole packet they brought; the rest waits on the socket for select()."""
    sent = [Message("t", b"%05d" % n + b"." * 90, 0) for n in range(900)]
    receiver.theirs.sendall(b"".join(encode(m) for m in sent))
    assert receiver.client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert not receiver.complete_packet_buffered()
    assert 0 < len(receiver.got) < len(sent)
    assert _readable(receiver.ours)
    receiver.read_all()
    assert receiver.got == sent


def test_other_packets_go_to_paho_s_own_handlers(receiver: Receiver) -> None:
    receiver.client._ping_t = 123.0
    receiver.theirs.sendall(b"\xd0\x00")  # PINGRESP
    receiver.read_all()
    assert receiver.client._ping_t == 0


def test_qos_2_takes_paho_s_own_path(receiver: Receiver) -> None:
    receiver.theirs.sendall(encode(Message("q2", b"two", 2, mid=9)))
    receiver.read_all()
    assert receiver.got == []  # held until the PUBREL, as paho does
    receiver.theirs.sendall(b"\x62\x02\x00\x09")  # PUBREL for mid 9
    receiver.read_all()
    assert receiver.got == [Message("q2", b"two", 2, mid=9)]


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(b"\x30\xff\xff\xff\xff\x01", id="remaining length of five bytes"),
        pytest.param(b"\x30\x04\x00\x09ab", id="topic longer than the packet"),
        pytest.param(b"\x32\x05\x00\x01a\x00", id="QoS 1 without its mid"),
    ],
)
def test_a_malformed_packet_is_a_protocol_error(receiver: Receiver, packet: bytes) -> None:
    receiver.theirs.sendall(packet + b"\x00" * 8)
    assert receiver.client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS
    assert receiver.got == []


def test_with_another_paho_release_paho_s_own_path_is_used(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receive, "ENABLED", False)
    receiver.theirs.sendall(encode(Message("t/1", b"one", 0)) + encode(Message("t/2", b"2", 0)))
    for _ in range(10):
        receiver.client.loop_read()
    assert [m.topic for m in receiver.got] == ["t/1", "t/2"]
    assert receiver.client._rx == b""  # the buffer was never used


# --- against a real broker, through the server's client -------------------------------------


class Received:
    def __init__(self) -> None:
        self.items: list[tuple] = []
        self._lock = threading.Lock()

    def __call__(self, topic: str, payload: bytes, retained: bool, *sender: str) -> None:
        with self._lock:
            self.items.append((topic, payload, retained, *sender))

    def wait(self, count: int, timeout_s: float = 10.0) -> list[tuple]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.items) >= count:
                    return list(self.items)
            time.sleep(0.01)
        with self._lock:
            return list(self.items)


@pytest.fixture
def grid_client(broker: MosquittoProcess) -> Iterator[tuple[GridClient, Received, str]]:
    received = Received()
    prefix = unique("fast")
    client = GridClient(ClientOptions(broker.host, broker.port, client_id=unique("g")), received)
    client.add_topic(f"{prefix}/#", 1)
    assert client.start(5.0)
    yield client, received, prefix
    client.stop()


def _publisher(broker: MosquittoProcess) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, unique("p"), protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(100)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def test_a_burst_of_qos_1_messages_arrives_once_each_and_is_acknowledged(
    broker: MosquittoProcess, grid_client: tuple[GridClient, Received, str]
) -> None:
    """Mosquitto sends 20 QoS 1 messages ahead of their PUBACKs: without the coalesced acks
    the stream would stop at 20."""
    _client, received, prefix = grid_client
    publisher = _publisher(broker)
    try:
        infos = [publisher.publish(f"{prefix}/{n % 7}", b"%d" % n, qos=1) for n in range(3000)]
        for info in infos:
            info.wait_for_publish(10)
        got = received.wait(3000)
        assert sorted(int(item[1]) for item in got) == list(range(3000))
        time.sleep(0.2)
        assert len(received.items) == 3000
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def test_large_payloads_qos_2_retained_and_the_client_property_come_through(
    broker: MosquittoProcess, grid_client: tuple[GridClient, Received, str]
) -> None:
    _client, received, prefix = grid_client
    publisher = _publisher(broker)
    try:
        big = bytes(range(256)) * 1200  # 300 kB: many reads of the socket
        publisher.publish(f"{prefix}/big", big, qos=1).wait_for_publish(5)
        publisher.publish(f"{prefix}/two", b"2", qos=2).wait_for_publish(5)
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = ("client", "headset")
        publisher.publish(f"{prefix}/cmd", b"c", qos=1, properties=properties).wait_for_publish(5)
        publisher.publish(f"{prefix}/kept", b"k", qos=0, retain=True)
        got = received.wait(4)
        assert (f"{prefix}/big", big, False) in got
        assert (f"{prefix}/two", b"2", False) in got
        assert (f"{prefix}/cmd", b"c", False, "headset") in got
        assert (f"{prefix}/kept", b"k", False) in got
    finally:
        publisher.publish(f"{prefix}/kept", b"", qos=0, retain=True)
        publisher.loop_stop()
        publisher.disconnect()


# --- the bulk send path (energrid_core/mqtt/bulk.py) ------------------------------------------


def _split_packets(data: bytes) -> list[tuple[int, bytes]]:
    packets, position = [], 0
    while position < len(data):
        header, length, mult, index = data[position], 0, 1, position + 1
        while True:
            byte = data[index]
            index += 1
            length += (byte & 127) * mult
            mult <<= 7
            if not byte & 128:
                break
        packets.append((header, data[index : index + length]))
        position = index + length
    return packets


@pytest.mark.parametrize("retain", [True, False])
def test_bulk_packets_decode_as_paho_decodes_them(retain: bool) -> None:
    properties = Properties(PacketTypes.PUBLISH)
    properties.ContentType = "application/json"
    messages = [
        ("energrid/1/house/1", b'{"w": 1}'),
        ("energrid/1/house/2", b""),
        ("é/x", b"y" * 300),
    ]
    data = bulk.publish_packets(messages, retain, properties.pack())
    decoded = []
    for header, body in _split_packets(data):
        packet = _packet.decode_publish(header, body, mqtt.MQTTv5)
        assert (packet.qos, packet.retain, packet.dup) == (0, retain, False)
        decoded.append((packet.topic.decode(), packet.payload))
        content_type = getattr(packet.properties, "ContentType", None)
        assert content_type == ("application/json" if packet.payload else None)
    assert decoded == messages


def test_a_republish_in_bulk_reaches_a_late_subscriber_retained(
    broker: MosquittoProcess, grid_client: tuple[GridClient, Received, str]
) -> None:
    client, _received, prefix = grid_client
    messages = [(f"{prefix}/state/{n}", b'{"n": %d}' % n) for n in range(50)]
    client.publish_bulk(messages, retain=True, content_type="application/json")
    late = Received()
    watcher = GridClient(ClientOptions(broker.host, broker.port, client_id=unique("w")), late)
    watcher.add_topic(f"{prefix}/state/#", 0)
    try:
        assert watcher.start(5.0)
        got = late.wait(50)
        assert sorted(item[:3] for item in got) == sorted((t, p, True) for t, p in messages)
    finally:
        client.publish_bulk([(topic, b"") for topic, _ in messages], retain=True)
        watcher.stop()


def test_bulk_with_another_paho_release_goes_through_paho_s_publish(
    broker: MosquittoProcess,
    grid_client: tuple[GridClient, Received, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "ENABLED", False)
    client, _received, prefix = grid_client
    seen = Received()  # another client: the server's own messages never come back to it
    watcher = GridClient(ClientOptions(broker.host, broker.port, client_id=unique("w")), seen)
    watcher.add_topic(f"{prefix}/#", 0)
    try:
        assert watcher.start(5.0)
        client.publish_bulk([(f"{prefix}/a", b"1"), (f"{prefix}/b", b"2")], retain=False)
        got = seen.wait(2)
        assert sorted(item[:2] for item in got) == [(f"{prefix}/a", b"1"), (f"{prefix}/b", b"2")]
    finally:
        watcher.stop()


def test_a_command_queued_during_a_burst_leaves_before_the_next_read(
    receiver: Receiver,
) -> None:
    """A publish queued by another thread (here: while the first message is handled) is
    written between two reads of one loop_read, not after the loop_read's last read."""
    client = receiver.client
    client._thread = threading.current_thread()  # as with loop_start(): publish only queues
    command = encode(Message("cmd", b"on", 0))
    seen_on_the_wire: list[bool] = []
    handle = receiver._raw

    def raw(topic, payload, qos, retain, dup, mid, properties) -> None:  # noqa: ANN001
        handle(topic, payload, qos, retain, dup, mid, properties)
        if len(receiver.got) == 1:
            client._packet_queue(PacketTypes.PUBLISH, command, 0, 0)
        if len(receiver.got) == 400:  # the third read's worth (about 160 messages a read)
            seen_on_the_wire.append(_readable(receiver.theirs))

    client.on_publish_raw = raw
    sent = [Message("t", b"%05d" % n + b"." * 90, 0) for n in range(900)]
    receiver.theirs.sendall(b"".join(encode(m) for m in sent))
    receiver.theirs.setblocking(False)  # _readable peeks without waiting
    assert client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert len(receiver.got) > 400, "one loop_read takes several reads"
    assert seen_on_the_wire == [True]
    assert receiver.theirs.recv(65536) == command
