"""The server's one MQTT connection (paho-mqtt 2.x, MQTT 5). The only module that imports paho."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from energrid_core.errors import BrokerUnavailableError
from energrid_core.prompt_send import PromptSends

log = logging.getLogger("energrid.mqtt")

MessageHandler = Callable[[str, bytes, bool], None]
ConnectionListener = Callable[[bool, str], None]


@dataclass(frozen=True)
class ClientOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "energrid-server"
    keepalive_s: int = 30
    session_expiry_s: int = 3600
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30


class GridClient:
    """One paho client: network loop in a background thread, subscriptions remade on every connect.

    Callbacks only decode, apply and count; none of them blocks or lets an exception reach paho.
    """

    def __init__(self, options: ClientOptions, on_message: MessageHandler) -> None:
        self.options = options
        self._handler = on_message
        self._topics: dict[str, int] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.connection_listeners: list[ConnectionListener] = []
        self.connects = 0
        self.disconnects = 0
        self.callback_errors = 0
        self._prompt = PromptSends()  # Nagle off while our own publishes are on their way
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=options.client_id,
            protocol=mqtt.MQTTv5,
        )
        client.suppress_exceptions = True  # second line of defence: our callbacks catch first
        client.reconnect_delay_set(options.reconnect_min_s, options.reconnect_max_s)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        self._client = client

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, wait_s: float = 0.0) -> bool:
        """Connect in the background, retrying with backoff; optionally wait for the CONNACK."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.options.session_expiry_s
        self._client.connect_async(
            self.options.host,
            self.options.port,
            self.options.keepalive_s,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()
        return self._connected.wait(wait_s) if wait_s > 0 else self.connected

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    @property
    def address(self) -> str:
        return f"{self.options.host}:{self.options.port}"

    # --- subscriptions and publishing ---------------------------------------------------------

    def add_topic(self, topic: str, qos: int = 1) -> None:
        """Subscribe now if connected, and again after every reconnect."""
        with self._lock:
            self._topics[topic] = qos
        if self.connected:
            self._subscribe({topic: qos})

    def rm_topic(self, topic: str) -> None:
        with self._lock:
            self._topics.pop(topic, None)
        if self.connected:
            self._client.unsubscribe(topic)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> int:
        """Hand a message to paho; raises BrokerUnavailableError when it cannot go out now."""
        if not self.connected:
            raise BrokerUnavailableError(
                f"the broker at {self.address} is not connected: nothing was sent"
            )
        self._prompt.begin(self._client.socket())
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._prompt.end(self._client.socket())
            raise BrokerUnavailableError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")
        return info.mid

    def _subscribe(self, topics: dict[str, int]) -> None:
        for topic, qos in topics.items():
            # noLocal: our own commands do not come back to us as traffic.
            self._client.subscribe(topic, options=SubscribeOptions(qos=qos, noLocal=True))

    # --- paho callbacks (network thread) ---------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if reason_code.is_failure:
                log.warning("broker at %s refused the connection: %s", self.address, reason_code)
                return
            self._prompt.reset()
            with self._lock:
                topics = dict(self._topics)
            self._subscribe(topics)
            self.connects += 1
            self._connected.set()
            self._notify(True, f"connected to the broker at {self.address}")
        except Exception:
            self.callback_errors += 1
            log.warning("error in on_connect", exc_info=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            was_connected = self._connected.is_set()
            self._connected.clear()
            if was_connected:
                self.disconnects += 1
                self._notify(False, f"lost the broker at {self.address} ({reason_code}); retrying")
        except Exception:
            self.callback_errors += 1
            log.warning("error in on_disconnect", exc_info=True)

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        try:
            try:
                topic = message.topic
            except UnicodeDecodeError:  # Mosquitto refuses these; be safe with other brokers
                topic = message._topic.decode("utf-8", "replace")
            self._handler(topic, message.payload, message.retain)
        except Exception:
            self.callback_errors += 1
            log.warning("error in on_message", exc_info=True)

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # noqa: ANN001
        try:
            self._prompt.end(client.socket())
        except Exception:
            self.callback_errors += 1
            log.warning("error in on_publish", exc_info=True)

    def _notify(self, connected: bool, text: str) -> None:
        for listener in self.connection_listeners:
            listener(connected, text)

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"GridClient({self.options.client_id!r} {state} to {self.address})"
