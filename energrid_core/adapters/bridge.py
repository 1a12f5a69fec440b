"""Bound plugs' messages into the ingest path, and Energrid's commands out to the plugs.

A plug's report becomes the per-device reading Energrid already reads
(`{"current_a": ..., "on": ...}` on `Neighborhood/<n>/House/<h>/Consumer/<c>`), so the grid,
confirmations and state topics treat a bound plug like any board. Energrid's model counts a
consumer in amps at the mains voltage: a plug's active power P becomes P / mains voltage, so that
the watts Energrid shows are the plug's own.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

import orjson

from energrid_core.adapters.bindings import Binding, Bindings
from energrid_core.ingest import Ingest
from energrid_core.topics import TopicKind, house_topic, parse_topic
from energrid_core.wire import Rejected
from energrid_core.wire.vendor import DeviceReport

log = logging.getLogger("energrid.adapters")

Handler = Callable[[str, bytes, bool], None]
_OURS = "Neighborhood/"


class AdapterBridge:
    """The server's MQTT message handler: boards' topics go straight to the ingest path."""

    def __init__(
        self, bindings: Bindings, ingest: Ingest, neighborhood: int, mains_voltage_v: float
    ) -> None:
        self.bindings = bindings
        self.ingest = ingest
        self.neighborhood = neighborhood
        self.mains_voltage_v = mains_voltage_v
        self.max_payload_bytes = ingest.decoder.max_payload_bytes
        self.routes: list[tuple[str, Handler]] = []  # (topic prefix, handler), e.g. HA commands
        self.online_reports = 0  # plugs' online/offline messages (they change no reading)

    def handle(
        self, topic: str, payload: bytes, retained: bool = False, sender: str | None = None
    ) -> None:
        """sender: who sent a command on Energrid's own topics (Ingest.handle says more)."""
        if topic.startswith(_OURS):
            self.ingest.handle(topic, payload, retained, sender)
            return
        binding = self.bindings.by_topic(topic)
        try:
            if binding is not None:
                self._from_plug(binding, topic, payload, retained)
                return
            for prefix, handler in self.routes:
                if topic.startswith(prefix):
                    handler(topic, payload, retained)
                    return
        except Exception:  # a bug costs one message, never the network thread
            self.ingest.stats.callback_errors += 1
            log.exception("internal error on %s (message dropped)", topic[:120])
            return
        self.ingest.handle(topic, payload, retained)  # counted as a wrong topic

    def _from_plug(self, binding: Binding, topic: str, payload: bytes, retained: bool) -> None:
        try:
            report = binding.wire.decode(binding.device, topic, payload, self.max_payload_bytes)
            if retained and report.measures:
                raise Rejected("retained", "a retained reading is stale")
        except Rejected as rejected:
            self.ingest.reject(topic, rejected.reason, rejected.detail)
            return
        reading = self.merge(binding, report)
        if reading is None:
            self.ingest.count_received()
            self.online_reports += 1
            return
        consumer_topic = f"{house_topic(self.neighborhood, binding.house)}/Consumer/"
        self.ingest.handle(consumer_topic + str(binding.consumer), reading, False)

    def merge(self, binding: Binding, report: DeviceReport) -> bytes | None:
        """Fold a report into what the plug said before; the per-device reading, if any."""
        if report.online is not None:
            binding.online = report.online
        if not report.measures:
            return None
        if report.energy_total_kwh is not None:
            binding.energy_total_kwh = report.energy_total_kwh
        if report.on is not None:
            binding.on = report.on
        if report.power_w is not None:
            binding.power_w = max(0.0, report.power_w)  # a plug's small negative drift: 0 W
            binding.current_a = None
        elif report.current_a is not None:
            binding.power_w, binding.current_a = None, report.current_a
        if binding.on is False:  # the plug measures behind its relay: off draws nothing
            binding.power_w, binding.current_a = 0.0, None
        if binding.power_w is not None:
            current_a = binding.power_w / self.mains_voltage_v
        else:
            current_a = binding.current_a or 0.0
        reading: dict[str, object] = {"current_a": round(current_a, 6)}
        if binding.on is not None:
            reading["on"] = binding.on
        return orjson.dumps(reading)


class CommandRouter:
    """What the command path publishes through: a bound consumer's command in its plug's words.

    Energrid's command for consumer c of house h (`.../Consumer/<c>/set`, `1` or `0`) is sent as
    the plug's own (`cmnd/<t>/POWER ON`, a Shelly `Switch.Set` RPC...); any other goes as it is.
    """

    def __init__(self, publisher, bindings: Bindings, neighborhood: int) -> None:  # noqa: ANN001
        self.publisher = publisher
        self.bindings = bindings
        self.neighborhood = neighborhood
        self._ids = itertools.count(1)

    @property
    def connected(self) -> bool:
        return self.publisher.connected

    def translate(self, topic: str, payload: bytes | str) -> tuple[str, bytes | str]:
        parsed = parse_topic(topic, self.neighborhood)
        if parsed is None or parsed.kind is not TopicKind.CONSUMER_COMMAND:
            return topic, payload
        binding = self.bindings.get(parsed.house, parsed.device)
        if binding is None:
            return topic, payload
        state = 1 if str(payload if isinstance(payload, str) else payload.decode()) == "1" else 0
        return binding.wire.encode_command(binding.device, state, next(self._ids))

    def publish(
        self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False, **kw: object
    ) -> int:
        topic, payload = self.translate(topic, payload)
        return self.publisher.publish(topic, payload, qos=qos, retain=retain, **kw)
