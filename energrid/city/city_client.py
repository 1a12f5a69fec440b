"""The city view's MQTT client: the city broker's bridged state topics into a CityState.

A plain paho client with its own network thread, as `energrid watch` has. It subscribes to the
status, totals (with the energy), alarms and bridge topics of every neighborhood (a few messages
each, whatever the size of the neighborhoods) and, for a command, to the topics of one house and
one device. paho reconnects by itself and every connect subscribes again, so the broker re-sends
the retained state and the view is whole again after the city broker comes back.

`sync()` tells when the retained state has arrived: the client publishes a token on its own echo
topic after its subscriptions; the broker sends a subscriber the retained messages of a
subscription before it handles that client's next packet, so the echo comes back after them.
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from energrid.city.city_state import CityState
from energrid.city.topics import (
    ALARMS_FILTER,
    BRIDGE_FILTER,
    STATUS_FILTER,
    SUMMARY_FILTER,
    echo_topic,
)
from energrid_core.mqtt.client import log_in

POLL_S = 0.01


class CityClient:
    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.city = CityState()
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.refusal: str | None = None
        self.client_id = username or f"energrid-city-{uuid.uuid4().hex[:8]}"
        self._topics = [
            STATUS_FILTER,
            SUMMARY_FILTER,
            ALARMS_FILTER,
            BRIDGE_FILTER,
            echo_topic(self.client_id),
        ]
        self._token = 0  # the last echo sent
        self._echoed = -1  # the last echo received
        self._connects = 0
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,  # for a command's message expiry
        )
        log_in(self._client, username, password, tls_ca)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    # --- paho's thread --------------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if reason_code.is_failure:
                self.refusal = str(reason_code)
                return
            self.refusal = None
            with self.lock:
                topics = list(self._topics)
                if self._connects:
                    # What the broker held may be gone (a restart without its database): start
                    # again from what it re-sends, rather than show the last values as current.
                    self.city = CityState()
                self._connects += 1
            client.subscribe([(topic, 0) for topic in topics])
            self.connected.set()
            self._send_echo()
        except Exception:  # never into paho's thread: the view says it is not connected
            self.connected.clear()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        self.connected.clear()

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        try:
            if message.topic == echo_topic(self.client_id):
                token = int(message.payload)
                with self.lock:
                    self._echoed = max(self._echoed, token)
                return
            with self.lock:
                self.city.apply(message.topic, message.payload)
        except Exception:  # a strange topic or payload costs one message, never the thread
            pass

    def _send_echo(self) -> None:
        with self.lock:
            self._token += 1
            token = self._token
        self._client.publish(echo_topic(self.client_id), str(token).encode(), qos=0)

    # --- the caller's thread --------------------------------------------------------------

    def watch(self, topics: list[str]) -> None:
        """Subscribe to more topics, now and after every reconnect."""
        with self.lock:
            self._topics += [t for t in topics if t not in self._topics]
        self._client.subscribe([(topic, 0) for topic in topics])

    def sync(self, timeout_s: float) -> bool:
        """Wait until the retained messages of every subscription so far have arrived."""
        deadline = time.monotonic() + timeout_s
        if not self._wait(self.connected.is_set, deadline):
            return False
        self._send_echo()
        with self.lock:
            token = self._token
        return self._wait(lambda: self._echoed >= token, deadline)

    def _wait(self, condition, deadline: float) -> bool:  # noqa: ANN001
        while True:
            with self.lock:
                if condition():
                    return True
            if time.monotonic() >= deadline or self.refusal is not None:
                return False
            time.sleep(POLL_S)

    def publish_command(
        self, topic: str, payload: bytes, expiry_s: float, timeout_s: float
    ) -> bool:
        """QoS 1, never retained (a retained command would replay at every bridge reconnect).

        True once the city broker acknowledged it.
        """
        properties = Properties(PacketTypes.PUBLISH)
        properties.MessageExpiryInterval = max(1, round(expiry_s))
        info = self._client.publish(topic, payload, qos=1, retain=False, properties=properties)
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def no_echo_text(self, timeout_s: float) -> str:
        return (
            f"the city broker at {self.where} did not echo {echo_topic(self.client_id)} within "
            f"{timeout_s:g} s: its ACL must let this client read and write it (docs/scale-out.md)"
        )

    def refusal_text(self) -> str:
        return (
            f"the city broker at {self.where} refused the connection: {self.refusal}; check "
            "--mqtt-username and --mqtt-password-file (docs/scale-out.md)"
        )
