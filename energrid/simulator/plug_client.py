"""Simulated plugs on a broker: one MQTT connection each, with the vendor's last will.

The only module of the plug simulator that imports paho; SimPlug (plugs.py) holds the behaviour.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energrid.simulator.plugs import SimPlug
from energrid_core.mqtt.client import log_in

log = logging.getLogger("energrid.sim")


class PlugClient:
    """One plug's connection: announces itself online, reports, obeys its command topic."""

    def __init__(
        self,
        plug: SimPlug,
        host: str,
        port: int,
        keepalive_s: int = 30,
        tls_ca: str | None = None,
        obeyed: Callable[[str], None] = lambda what: None,
    ) -> None:
        self.plug = plug
        self.host, self.port, self.keepalive_s = host, port, keepalive_s
        self.obeyed = obeyed
        self.lock = threading.Lock()  # the plug is stepped by the run loop, commanded by paho
        self.ready = threading.Event()
        self.published = 0
        client_id = "sim-" + plug.device.replace("/", "-")
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        client.suppress_exceptions = True
        log_in(client, None, None, tls_ca)
        will_topic, will_payload, _retain = plug.online_message(False)
        client.will_set(will_topic, will_payload, qos=1, retain=True)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, self.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Say offline (as the plug's will would) and disconnect."""
        if self.ready.is_set():
            self._send([self.plug.online_message(False)])
        self._client.disconnect()
        self._client.loop_stop()
        self.ready.clear()

    def report(self, sim_s: float) -> None:
        with self.lock:
            messages = self.plug.step(sim_s)
        if self.ready.is_set():
            self._send(messages)

    def _send(self, messages: Sequence[tuple[str, bytes, bool]]) -> None:
        for topic, payload, retain in messages:
            self._client.publish(topic, payload, qos=1, retain=retain)
            self.published += 1

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if reason_code.is_failure:
                log.warning("broker refused plug %s: %s", self.plug.device, reason_code)
                return
            for topic in self.plug.command_topics():
                client.subscribe(topic, qos=1)
            self._send([self.plug.online_message(True)])
            self.ready.set()
        except Exception:
            log.warning("error in plug %s on_connect", self.plug.device, exc_info=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        self.ready.clear()

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        try:
            with self.lock:
                answer = self.plug.command(message.topic, message.payload)
            if answer is None:
                return
            self._send(answer)
            self.obeyed(f"{self.plug.flavour} {self.plug.device} {'ON' if self.plug.on else 'OFF'}")
        except Exception:
            log.warning("error in plug %s on_message", self.plug.device, exc_info=True)


def run_plugs(
    clients: Sequence[PlugClient],
    period_s: float,
    stop: threading.Event,
    duration_s: float | None = None,
    time_factor: float = 1.0,
    start_s: float = 36_000.0,
) -> int:
    """Report every period until stop is set (or duration_s); returns the rounds done."""
    for client in clients:
        client.start()
    started = time.monotonic()
    rounds = 0
    try:
        while not stop.is_set():
            elapsed = time.monotonic() - started
            if duration_s is not None and elapsed >= duration_s:
                break
            for client in clients:
                client.report(start_s + elapsed * time_factor)
            rounds += 1
            stop.wait(max(0.0, started + rounds * period_s - time.monotonic()))
    finally:
        for client in clients:
            client.stop()
    return rounds
