"""QoS 0 PUBLISH packets written here and handed to paho as one write.

After a connect the server republishes the retained state of its whole grid: 110,000 messages
for 10,000 houses of 10 consumers. Through `Client.publish` each of them costs paho a message
info with its `threading.Condition`, a topic check, a debug line, a wake-up of the network
thread through its socket pair (a system call), a `send()` of its own, and after the send a
`ReasonCode` and a `Properties` built to call `on_publish`. Written here, a house's messages are
one packet in paho's queue: one wake-up and one `send()` for all of them, nothing per message
after the write.

paho's queue entry carries command 0 (no packet type), so that paho's writer takes it for bytes
to write and nothing else: no `on_publish`, no message info. Like `receive.py` this leans on
paho 2.2.0's internals; with another release `publish_bulk` hands each message to `publish()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties

from energrid_core.mqtt.receive import ENABLED, FastReceive

PUBLISH = 0x30
Messages = Sequence[tuple[str, bytes]]


def remaining_length(value: int) -> bytes:
    """MQTT's variable byte integer: seven bits a byte, low first, the high bit saying more."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def publish_packets(messages: Messages, retain: bool, properties: bytes) -> bytes:
    """MQTT 5 QoS 0 PUBLISH packets, one after the other. properties: packed, with their length
    (`Properties.pack()`), given to every message that has a payload; an empty payload (a
    retained message cleared) carries none."""
    header = bytes((PUBLISH | (1 if retain else 0),))
    out = []
    for topic, payload in messages:
        name = topic.encode("utf-8")
        props = properties if payload else b"\x00"
        length = 2 + len(name) + len(props) + len(payload)
        out += (header, remaining_length(length), len(name).to_bytes(2, "big"), name)
        out += (props, payload)
    return b"".join(out)


class BulkSend(FastReceive):
    """A paho client that can queue ready-made packets as one write."""

    def queue_bytes(self, data: bytes) -> MQTTErrorCode:
        """Queue `data` (whole packets) for the network thread to write after what is queued."""
        if self._sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        return self._packet_queue(0, data, 0, 0)

    def publish_bulk(
        self, messages: Messages, retain: bool, properties: Properties | None
    ) -> MQTTErrorCode:
        """QoS 0 messages in one write (paho's own publish, one by one, with another release);
        `properties` go with every message that has a payload."""
        if not ENABLED:
            rc = MQTTErrorCode.MQTT_ERR_SUCCESS
            for topic, payload in messages:
                kept = properties if payload else None
                rc = self.publish(topic, payload, 0, retain, properties=kept).rc
                if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    return rc
            return rc
        packed = b"\x00" if properties is None else properties.pack()
        return self.queue_bytes(publish_packets(messages, retain, packed))
