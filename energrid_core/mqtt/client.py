"""The server's one MQTT connection (paho-mqtt 2.x, MQTT 5); only this room imports paho."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from energrid_core.errors import BrokerUnavailableError
from energrid_core.mqtt.bulk import BulkSend, Messages
from energrid_core.mqtt.flapping import FlapDetector
from energrid_core.mqtt.prompt_send import PromptSends
from energrid_core.mqtt.properties import publish_properties
from energrid_core.mqtt.reasons import (
    SESSION_TAKEN_OVER,
    connect_failure_text,
    lost_text,
    refusal_text,
    taken_over_text,
)
from energrid_core.mqtt.redelivery import RedeliveryFilter
from energrid_core.notes import NoteText, note

log = logging.getLogger("energrid.mqtt")

MessageHandler = Callable[..., None]  # (topic, payload, retained[, sender])

CLIENT_PROPERTY = "client"  # the MQTT 5 user property naming who sent a command
CLIENT_MAX_CHARS = 64


def client_of(properties: Properties | None) -> str | None:
    """The `client` user property of a message (MQTT 5), cut to CLIENT_MAX_CHARS; else None."""
    pairs = getattr(properties, "UserProperty", None)
    if not pairs:
        return None
    for name, value in pairs:
        if name == CLIENT_PROPERTY and isinstance(value, str) and value:
            return value[:CLIENT_MAX_CHARS]
    return None


ConnectionListener = Callable[[bool, str], None]
PublishListener = Callable[[int, bool, str], None]  # mid, accepted by the broker, reason


class _Paho(BulkSend):
    """paho's client with Energrid's receive path, keeping what made the last attempt fail.

    paho tells on_connect_fail that an attempt failed, not why; reconnect() is where it raises.
    """

    connect_error: BaseException | None = None

    def reconnect(self) -> MQTTErrorCode:
        try:
            return super().reconnect()
        except OSError as exc:
            self.connect_error = exc
            raise


@dataclass(frozen=True)
class ClientOptions:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "energrid-server"
    keepalive_s: int = 30
    session_expiry_s: int = 3600
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    username: str | None = None
    password: str | None = None
    tls_ca: str | None = None  # CA certificate file: TLS, with the broker's name checked


def log_in(
    client: mqtt.Client, username: str | None, password: str | None, tls_ca: str | None
) -> None:
    """Give a paho client its broker account and, with a CA certificate, TLS (before connect).

    Every Energrid client (the server, `energrid watch`, simulated boards) logs in this way.
    """
    if username:
        client.username_pw_set(username, password)
    if tls_ca:
        try:
            client.tls_set(ca_certs=tls_ca)
        except (OSError, ValueError) as exc:
            raise BrokerUnavailableError(
                f"cannot use {tls_ca} as the broker's CA certificate: {exc}"
            ) from None


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
        self._ready = threading.Event()  # connected and every subscription acknowledged
        self._pending_subacks: set[int] = set()
        self._stopping = False
        # Told of every connect and disconnect, with a line for a person: English text that
        # carries its note (notes.NoteText), for the shell to say in its language.
        self.connection_listeners: list[ConnectionListener] = []
        # Called after connection_listeners, for the work a (re)connect brings: resending
        # commands, republishing state. Same arguments.
        self.session_listeners: list[ConnectionListener] = []
        self.publish_listeners: list[PublishListener] = []
        self.connects = 0
        self.disconnects = 0
        self.callback_errors = 0
        self._has_will = False
        self.connect_failures = 0  # attempts that did not reach a CONNACK (refused TCP, TLS)
        self.loop_restarts = 0
        self.refusals = 0  # CONNACKs refusing us (bad account, not authorized)
        self._refusal: str | None = None
        self._failure: str | None = None  # the line said for the last failed attempt
        self._socket_error: str | None = None  # what the socket said while connected
        self.gave_up: str | None = None  # why it stopped reconnecting (client id taken over)
        self.redeliveries = RedeliveryFilter()
        self._flaps = FlapDetector()
        self._prompt = PromptSends()  # Nagle off while our own publishes are on their way
        client = _Paho(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=options.client_id,
            protocol=mqtt.MQTTv5,
        )
        client.suppress_exceptions = True  # second line of defence: our callbacks catch first
        client.reconnect_delay_set(options.reconnect_min_s, options.reconnect_max_s)
        log_in(client, options.username, options.password, options.tls_ca)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message  # with another paho release (receive.py)
        client.on_publish_raw = self._on_publish_raw
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        client.on_connect_fail = self._on_connect_fail
        # paho's log lines through a logger of our own rather than on_log: on_log formats every
        # line paho writes, a debug line per message received (7 µs a message, measured).
        client.enable_logger(_SocketErrors(self))
        self._routes: dict[str, Callable[[bytes, Properties | None], None]] = {}
        self._client = client

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, wait_s: float = 0.0) -> bool:
        """Connect in the background, retrying; optionally wait until subscriptions are acked.

        The wait ends early when the broker refuses the connection (see `refusal`).
        """
        self._connect_async()
        self._client.loop_start()
        if wait_s <= 0:
            return self.connected
        deadline = time.monotonic() + wait_s
        while not self._ready.wait(0.05):
            if self._refusal is not None or time.monotonic() >= deadline:
                return False
        return True

    @property
    def refusal(self) -> str | None:
        """Why the broker refused the last connection attempt (None once connected)."""
        return self._refusal

    @property
    def explained(self) -> bool:
        """Whether why it is not connected was said already (a refusal, a failed attempt)."""
        return self._refusal is not None or self._failure is not None or self.gave_up is not None

    @property
    def problem(self) -> str:
        """The line for why it is not connected yet: the last attempt's failure, if any."""
        if self.gave_up is not None:
            return self.gave_up
        if self._failure is not None:
            return self._failure
        return connect_failure_text(self.address, None, self.options.tls_ca)

    def _connect_async(self) -> None:
        """Set up the (re)connection the network thread makes: durable session, clean start 0."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.options.session_expiry_s
        self._client.connect_async(
            self.options.host,
            self.options.port,
            self.options.keepalive_s,
            clean_start=False,
            properties=properties,
        )

    def set_will(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = True,
        content_type: str | None = None,
    ) -> None:
        """What the broker publishes for us when we vanish; call before start()."""
        properties = None
        if content_type is not None:
            properties = Properties(PacketTypes.WILLMESSAGE)
            properties.ContentType = content_type
        self._client.will_set(topic, payload, qos=qos, retain=retain, properties=properties)
        self._has_will = True

    def stop(self) -> None:
        self._stopping = True
        if self._has_will:
            # MQTT 5: the broker publishes the will on a clean stop too (the server is gone).
            self._client.disconnect(
                ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
            )
        else:
            self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        self._ready.clear()

    @property
    def loop_alive(self) -> bool:
        """Whether paho's network thread runs (paho clears _thread when loop_forever ends)."""
        thread = self._client._thread
        return thread is not None and thread.is_alive()

    @property
    def duplicates_dropped(self) -> int:
        """Redelivered QoS 1 messages dropped before the handler (see redelivery.py)."""
        return self.redeliveries.dropped

    @property
    def stopping(self) -> bool:
        return self._stopping

    def restart_loop(self) -> None:
        """A new network thread on a new connection, after the last thread died.

        The dead thread may have left a packet half handled, so the session is resumed on a
        fresh connection. The message being handled when the thread died comes back from the
        broker marked DUP and is dropped as a duplicate: it cannot kill the thread twice.
        """
        self._client.loop_stop()
        if self._connected.is_set():
            self._connected.clear()
            self.disconnects += 1
            self._tell(self.session_listeners, False, "network thread restarted")
        self._connect_async()
        self._client.loop_start()
        self.loop_restarts += 1

    def announce(self, text: str) -> None:
        """Tell the connection listeners (not the session ones) something for a person."""
        self._tell(self.connection_listeners, self.connected, text)

    @property
    def unacked_publishes(self) -> int:
        """QoS 1 messages handed to paho that the broker has not acknowledged yet."""
        return len(getattr(self._client, "_out_messages", ()))

    def behind(self) -> bool:
        """Whether readings wait in the socket (the last read filled the receive buffer):
        the server's long passes step aside meanwhile (energrid_core.lock_slices)."""
        return self._connected.is_set() and self._client.behind

    @property
    def queued_packets(self) -> int:
        """Packets handed to paho that its network thread has not written to the socket yet."""
        return len(getattr(self._client, "_out_packet", ()))

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until connected with every subscription acknowledged by the broker."""
        return self._ready.wait(timeout_s)

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

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
        prompt: bool = False,
        content_type: str | None = None,
    ) -> int:
        """Hand a message to paho and return its mid; publish_listeners hear of its PUBACK.

        Raises BrokerUnavailableError when not connected (nothing is handed over). A QoS 1
        message handed over just as the connection drops is kept by paho, which sends it after
        the reconnect. expiry_s: the broker drops it if undelivered for that long (MQTT 5).
        prompt: send it at once, with Nagle off until it is acknowledged (an operator's command;
        QoS 1, as only an acknowledgement says when Nagle may come back). content_type: the
        MQTT 5 Content Type property (the state topics say application/json).
        """
        prompt = prompt and qos > 0
        self._require_connection()
        properties = publish_properties(content_type, expiry_s)
        if prompt:
            self._prompt.begin(self._client.socket())
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        handed = info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS
        if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and qos > 0:
            handed = True  # paho queued it and resends it on reconnect
        if prompt and handed:
            self._prompt.track(info.mid, self._client.socket())
        elif prompt:
            self._prompt.abandon(self._client.socket())
        if not handed:
            raise BrokerUnavailableError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")
        return info.mid

    def publish_bulk(
        self, messages: Messages, retain: bool = True, content_type: str | None = None
    ) -> None:
        """QoS 0 messages handed to paho as one write (mqtt/bulk.py): the republish of a house's
        state after a connect. Raises BrokerUnavailableError when not connected."""
        self._require_connection()
        rc = self._client.publish_bulk(messages, retain, publish_properties(content_type, None))
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise BrokerUnavailableError(f"state not handed over: {mqtt.error_string(rc)}")

    def _require_connection(self) -> None:
        """Raise BrokerUnavailableError, nothing handed over, when not connected."""
        if not self.connected:
            raise BrokerUnavailableError(note("link.not connected", address=self.address))

    def add_request_route(
        self, topic: str, handler: Callable[[bytes, str | None, bytes | None], None]
    ) -> None:
        """MQTT 5 requests on `topic` (a topic, not a filter) go to handler(payload, response
        topic, correlation data) rather than to the readings' handler; subscribed now and after
        every reconnect. One dictionary look-up a message, where paho's per-topic callbacks
        would match every message against every filter."""

        def on_request(payload: bytes, properties: Properties | None) -> None:
            try:
                response = getattr(properties, "ResponseTopic", None)
                correlation = getattr(properties, "CorrelationData", None)
                handler(payload, response, correlation)
            except Exception:
                self.callback_errors += 1
                log.exception("error in a request handler")

        with self._lock:
            self._routes[topic] = on_request
        self.add_topic(topic)

    def respond(self, topic: str, payload: bytes, correlation: bytes | None) -> None:
        """An MQTT 5 response: QoS 1, not retained, with the request's correlation data."""
        if not self.connected:
            raise BrokerUnavailableError(f"the broker at {self.address} is not connected")
        properties = Properties(PacketTypes.PUBLISH)
        if correlation is not None:
            properties.CorrelationData = correlation
        self._client.publish(topic, payload, qos=1, retain=False, properties=properties)

    def _subscribe(self, topics: dict[str, int]) -> None:
        for topic, qos in topics.items():
            # noLocal: our own commands do not come back to us as traffic.
            _rc, mid = self._client.subscribe(
                topic, options=SubscribeOptions(qos=qos, noLocal=True)
            )
            if mid is not None:
                with self._lock:
                    self._pending_subacks.add(mid)

    # --- paho callbacks (network thread) ---------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if reason_code.is_failure:
                self.refusals += 1
                if self._refusal == str(reason_code):  # said once per reason, not every retry
                    log.debug("broker at %s refused again: %s", self.address, reason_code)
                    return
                self._refusal = str(reason_code)
                text = refusal_text(self.address, str(reason_code))
                if self.connection_listeners:
                    self._tell(self.connection_listeners, False, text)
                else:
                    log.warning("%s", text)
                return
            self._refusal = None
            self._failure = None
            self._socket_error = None
            self._prompt.reset()
            with self._lock:
                topics = dict(self._topics)
                self._pending_subacks.clear()
            self._subscribe(topics)
            self.connects += 1
            self._connected.set()
            self._flaps.connected()
            if not topics:
                self._ready.set()
            session = note("link.session resumed" if flags.session_present else "link.new session")
            self._notify(
                True, NoteText(note("link.connected", address=self.address, session=session))
            )
        except Exception:
            self.callback_errors += 1
            log.exception("error in on_connect")

    def _on_connect_fail(self, client, userdata) -> None:  # noqa: ANN001
        try:
            self.connect_failures += 1
            self._flaps.interrupted()
            text = connect_failure_text(self.address, client.connect_error, self.options.tls_ca)
            if text == self._failure:  # said once per cause, not at every retry
                return
            self._failure = text
            if self.connection_listeners:
                self._tell(self.connection_listeners, False, text)
            else:
                log.warning("%s", text)
        except Exception:
            self.callback_errors += 1
            log.exception("error in on_connect_fail")

    def socket_said(self, text: str) -> None:
        """What the socket said when paho lost it (from paho's log): a reset is not the broker's
        doing."""
        self._socket_error = text

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            was_connected = self._connected.is_set()
            self._connected.clear()
            self._ready.clear()
            if was_connected and self._stopping:
                self._notify(False, NoteText(note("link.disconnected", address=self.address)))
            elif was_connected:
                self.disconnects += 1
                from_broker = flags.is_disconnect_packet_from_server
                said = from_broker and reason_code.value == SESSION_TAKEN_OVER
                socket_error, self._socket_error = self._socket_error, None
                # The broker closing a fresh connection again and again without a word is
                # Mosquitto 2.0 handing our client id to another client each time it connects.
                flapping = not from_broker and socket_error is None and self._flaps.lost()
                if said or flapping:
                    self._give_up(taken_over_text(self.address, self.options.client_id, said))
                    return
                text = lost_text(self.address, str(reason_code), from_broker, socket_error)
                self._notify(False, text)
        except Exception:
            self.callback_errors += 1
            log.exception("error in on_disconnect")

    def _give_up(self, text: str) -> None:
        """Stop reconnecting (called in the network thread, which then ends) and say why."""
        self.gave_up = text
        self._stopping = True  # the watchdog leaves the ended network thread alone
        self._client.loop_stop()  # from the network thread itself: it ends after this callback
        self._notify(False, text)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # noqa: ANN001
        try:
            refused = [code for code in reason_codes if code.is_failure]
            if refused:
                log.error("the broker refused a subscription: %s", refused[0])
            with self._lock:
                self._pending_subacks.discard(mid)
                done = not self._pending_subacks
            if done and self._connected.is_set():
                self._ready.set()
        except Exception:
            self.callback_errors += 1
            log.exception("error in on_subscribe")

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        """paho's own receive path (a paho release receive.py was not tested with)."""
        try:
            topic = message.topic
        except UnicodeDecodeError:  # Mosquitto refuses these; be safe with other brokers
            topic = message._topic.decode("utf-8", "replace")
        self._on_publish_raw(
            topic,
            message.payload,
            message.qos,
            message.retain,
            message.dup,
            message.mid,
            message.properties,
        )

    def _on_publish_raw(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        dup: bool,
        mid: int,
        properties: Properties | None,
    ) -> None:
        """Every message received, in paho's network thread: a request, or the handler's."""
        try:
            route = self._routes.get(topic)
            if route is not None:
                route(payload, properties)
                return
            if qos > 0 and self.redeliveries.is_redelivery(mid, dup, topic, payload):
                return
            sender = None if properties is None else client_of(properties)
            if sender is None:
                self._handler(topic, payload, retain)
            else:  # a command from a client that said who it is (MQTT 5 user property)
                self._handler(topic, payload, retain, sender)
        except Exception:
            self.callback_errors += 1
            log.exception("error in on_message")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # noqa: ANN001
        try:
            # paho keeps a QoS 1 message in _out_messages until after this call for its
            # PUBACK, and never keeps a QoS 0 one, for which this call only says "written".
            sent = client._out_messages.get(mid)
            if sent is None or sent.qos == 0:
                return  # no listener waits for a write, only for a PUBACK
            self._prompt.acked(mid, client.socket())
            accepted = not reason_code.is_failure
            reason = "" if reason_code.value == 0 else str(reason_code)
            for listener in self.publish_listeners:
                listener(mid, accepted, reason)
        except Exception:
            self.callback_errors += 1
            log.warning("error in on_publish", exc_info=True)

    def _notify(self, connected: bool, text: str) -> None:
        """A connect or a disconnect: the people first, then the session work."""
        self._tell(self.connection_listeners + self.session_listeners, connected, text)

    def _tell(self, listeners: list[ConnectionListener], connected: bool, text: str) -> None:
        for listener in listeners:
            try:
                listener(connected, text)
            except Exception:
                self.callback_errors += 1
                log.warning("connection listener failed", exc_info=True)

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"GridClient({self.options.client_id!r} {state} to {self.address})"


class _SocketErrors(logging.Logger):
    """paho's logger: keeps what the socket said when paho lost it; prints nothing.

    A logger of its own, outside logging's tree: paho's lines reach no handler of the
    application, and its debug lines cost a level check.
    """

    def __init__(self, client: GridClient) -> None:
        super().__init__("energrid.mqtt.paho", logging.ERROR)
        self.propagate = False
        self._client = client
        self.addHandler(logging.NullHandler())

    def handle(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if " on socket: " in text:
            self._client.socket_said(text.split(" on socket: ", 1)[1])
