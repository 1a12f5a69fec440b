"""paho's receive path without its per-message system calls, objects and log lines.

On a live stream paho-mqtt 2.2 spends more per message than Energrid does with the readings
(docs/performance.md): for every packet it calls `select()` once and `recv()` three times or
more (the first byte, each byte of the remaining length, the rest), and for every PUBLISH it
parses MQTT 5 properties that are almost always empty, builds an `MQTTMessage` (with a
`threading.Condition` the receiver never uses), matches the topic against the per-topic
callbacks, writes a debug line, and queues each PUBACK as its own packet with a wake-up of its
own. None of that has an option.

`FastReceive` keeps paho for everything else (connecting, TLS, websockets, keepalive, sending,
QoS 2, the session) and replaces three methods:
- `_packet_read` reads up to `RECV_BYTES` at once into a buffer and cuts packets out of it;
- `loop_read` handles every complete packet of the buffer before returning (at most
  `REFILLS_PER_LOOP` reads of the socket, so writes and keepalive get their turn, and never
  with a whole packet left in the buffer, where `select()` could not see it); what another
  thread queued to send meanwhile is written between two reads, so that a command typed
  during a burst waits for one read's worth of messages, not four;
- a PUBLISH at QoS 0 or 1 goes straight to `on_publish_raw(topic, payload, qos, retain, dup,
  mid, properties)`, its properties parsed only when there are some, and the PUBACKs of one
  `loop_read` leave as one write, after their messages were handled (as paho acknowledges).

It leans on paho's internals, so it is used only with the paho release it was written and tested
against (`TESTED_PAHO`); with another release every method falls back to paho's own.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Any

import paho.mqtt as paho_mqtt
import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.exception import MalformedPacket
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import MQTTException, Properties

log = logging.getLogger("energrid.mqtt")

TESTED_PAHO = "2.2.0"
ENABLED = getattr(paho_mqtt, "__version__", "") == TESTED_PAHO
RECV_BYTES = 16384  # one read; about 130 legacy batches of ten readings
REFILLS_PER_LOOP = 4  # socket reads in one loop_read before the loop writes and pings

PUBLISH = 0x30
PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")

# (topic, payload, qos, retain, dup, mid, properties or None when the message had none)
RawHandler = Callable[[str, bytes, int, bool, bool, int, "Properties | None"], None]


class Malformed(Exception):
    """A PUBLISH whose lengths do not add up."""


def split_publish(header: int, packet: bytes) -> tuple[bytes, int, Properties | None, bytes]:
    """An MQTT 5 PUBLISH's variable header and payload: (topic, mid, properties, payload)."""
    try:
        end = 2 + ((packet[0] << 8) | packet[1])
        if end > len(packet):
            raise Malformed(f"topic of {end - 2} bytes in a packet of {len(packet)}")
        topic = packet[2:end]
        mid = 0
        if header & 0x06:
            mid = (packet[end] << 8) | packet[end + 1]
            end += 2
        if packet[end] == 0:  # no properties: the usual case, and one byte
            return topic, mid, None, packet[end + 1 :]
        properties = Properties(PacketTypes.PUBLISH)
        _, length = properties.unpack(packet[end:])
        return topic, mid, properties, packet[end + length :]
    except (IndexError, MQTTException, struct.error, ValueError, TypeError) as exc:
        raise Malformed(str(exc) or type(exc).__name__) from None


class FastReceive(mqtt.Client):
    """A paho client whose receive path costs a fraction of paho's own (see the module)."""

    on_publish_raw: RawHandler | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rx_sock: object = None
        self._rx = b""
        self._rx_pos = 0
        self._refills = 0
        self._acks: list[int] = []
        # The last read filled the buffer: more is waiting in the socket, the stream is ahead
        # of us (energrid_core.lock_slices: the server's long passes step aside meanwhile).
        self.behind = False

    # --- reading packets ------------------------------------------------------------------

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        if not ENABLED:
            return super().loop_read(max_packets)
        if self._sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        self._refills = 0
        try:
            while True:
                if self._sock is None:
                    return MQTTErrorCode.MQTT_ERR_NO_CONN
                rc = self._packet_read()
                if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                    return MQTTErrorCode.MQTT_ERR_SUCCESS
                if rc > 0:
                    return self._loop_rc_handle(rc)
        finally:
            if self._acks:
                self._send_acks()

    def _packet_read(self) -> MQTTErrorCode:
        """Handle the next whole packet of the buffer, reading the socket when there is none.

        MQTT_ERR_AGAIN: no whole packet, and the socket has nothing more now (or this loop_read
        has read it REFILLS_PER_LOOP times): a partial packet waits for select() to say more came.
        """
        if not ENABLED:
            return super()._packet_read()
        if self._sock is not self._rx_sock:  # a new connection: nothing of the old one is kept
            self._rx_sock, self._rx, self._rx_pos = self._sock, b"", 0
        while True:
            buf, pos = self._rx, self._rx_pos
            have = len(buf)
            if have - pos >= 2:
                length, mult, index = 0, 1, pos + 1
                while index < have:
                    byte = buf[index]
                    index += 1
                    length += (byte & 127) * mult
                    if not byte & 128:
                        break
                    mult <<= 7
                    if index - pos > 4:
                        self._easy_log(mqtt.MQTT_LOG_ERR, "remaining length of more than 4 bytes")
                        return MQTTErrorCode.MQTT_ERR_PROTOCOL
                else:
                    length = -1  # the remaining length is not all here yet
                end = index + length
                if length >= 0 and end <= have:
                    self._rx_pos = end
                    return self._handle(buf[pos], buf[index:end])
            rc = self._refill()
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return rc

    def _refill(self) -> MQTTErrorCode:
        if self._refills >= REFILLS_PER_LOOP:
            return MQTTErrorCode.MQTT_ERR_AGAIN
        if self._refills and self._out_packet:
            # Something was queued to send (an operator's command) while this loop_read
            # handled a read's worth (~130 messages): it leaves now, not after the last read.
            self.loop_write()
            if self._sock is None:  # the write lost the connection (paho has said so)
                return MQTTErrorCode.MQTT_ERR_AGAIN
        self._refills += 1
        try:
            data = self._sock_recv(RECV_BYTES)
        except BlockingIOError:
            return MQTTErrorCode.MQTT_ERR_AGAIN
        except TimeoutError as err:
            self._easy_log(mqtt.MQTT_LOG_ERR, "timeout on socket: %s", err)
            return MQTTErrorCode.MQTT_ERR_CONN_LOST
        except OSError as err:
            self._easy_log(mqtt.MQTT_LOG_ERR, "failed to receive on socket: %s", err)
            return MQTTErrorCode.MQTT_ERR_CONN_LOST
        if not data:
            return MQTTErrorCode.MQTT_ERR_CONN_LOST
        self.behind = len(data) == RECV_BYTES
        self._rx = self._rx[self._rx_pos :] + data if self._rx_pos < len(self._rx) else data
        self._rx_pos = 0
        with self._msgtime_mutex:
            self._last_bytes_received = mqtt.time_func()
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle(self, header: int, packet: bytes) -> MQTTErrorCode:
        """One packet: a plain PUBLISH here, anything else through paho's own handlers."""
        qos = (header & 0x06) >> 1
        if (
            header & 0xF0 == PUBLISH
            and qos < 2
            and self.on_publish_raw is not None
            and not self._manual_ack
            and self._protocol == mqtt.MQTTv5
        ):
            return self._publish(header, qos, packet)
        in_packet = self._in_packet
        in_packet["command"], in_packet["packet"], in_packet["pos"] = header, packet, 0
        try:
            return self._packet_handle()
        except MalformedPacket as exc:
            self._easy_log(mqtt.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        finally:
            in_packet["command"], in_packet["packet"] = 0, b""

    def _publish(self, header: int, qos: int, packet: bytes) -> MQTTErrorCode:
        try:
            topic_bytes, mid, properties, payload = split_publish(header, packet)
        except Malformed as exc:
            self._easy_log(mqtt.MQTT_LOG_ERR, "malformed PUBLISH: %s", exc)
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        try:
            topic = topic_bytes.decode("utf-8")
        except UnicodeDecodeError:  # Mosquitto refuses these; the handler gets a readable one
            topic = topic_bytes.decode("utf-8", "replace")
        handler = self.on_publish_raw
        retain, dup = bool(header & 0x01), bool(header & 0x08)
        with self._in_callback_mutex:
            try:
                handler(topic, payload, qos, retain, dup, mid, properties)
            except Exception as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_publish_raw: %s", err)
                if not self.suppress_exceptions:
                    raise
        if qos == 1:
            self._acks.append(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _send_acks(self) -> None:
        """The PUBACKs of the messages just handled, as one packet for paho to write."""
        acks, self._acks = self._acks, []
        data = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in acks])
        self._packet_queue(PUBACK, data, 0, 0)
