"""Applies decoded messages to the grid: one dictionary look-up per house and per device."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from energrid_core.events import Bus, ReadingApplied, WireCommand
from energrid_core.model import DeviceKind, Neighborhood
from energrid_core.stats import IngestStats
from energrid_core.wire import Decoded, Decoder, Rejected

log = logging.getLogger("energrid.ingest")


class Ingest:
    """The path from an MQTT message to the model. Never raises: every fault is counted."""

    def __init__(
        self,
        grid: Neighborhood,
        decoder: Decoder,
        lock: threading.RLock,
        clock: Callable[[], float] = time.time,
        bus: Bus | None = None,
    ) -> None:
        self.grid = grid
        self.decoder = decoder
        self.lock = lock
        self.clock = clock
        self.stats = IngestStats()
        self.bus = bus or Bus()  # ReadingApplied, WireCommand
        # Seconds between two INFO lines about rejections of one reason (None: only at DEBUG).
        self.notice_interval_s: float | None = None
        self._next_notice: dict[str, float] = {}
        self._unreported: dict[str, int] = {}

    def handle(
        self, topic: str, payload: bytes, retained: bool = False, sender: str | None = None
    ) -> None:
        """Decode, validate against the grid, apply. Safe to call from paho's network thread.

        sender: who sent a command, when its publisher said so (MQTT 5 user property `client`).
        """
        stats = self.stats
        try:
            stats.messages_received += 1
            try:
                decoded = self.decoder.decode(topic, payload, retained)
                if sender is not None and decoded.command is not None:
                    decoded.command.client = sender
            except Rejected as rejected:
                with self.lock:
                    self._reject(self.clock(), topic, rejected.reason, rejected.detail)
                return
            with self.lock:
                applied = self._apply(topic, decoded)
            if applied and decoded.command is not None:
                self.bus.publish(WireCommand(decoded.house, decoded.command))
            elif applied:
                self.bus.publish(ReadingApplied(decoded.house, decoded))
        except Exception:  # a bug must cost one message, never the network thread
            stats.callback_errors += 1
            log.exception("internal error on %s (message dropped)", topic[:120])

    def reject(self, topic: str, reason: str, detail: str) -> None:
        """Count a message another decoder refused (a bound plug's), as this path would."""
        with self.lock:
            self.stats.messages_received += 1
            self._reject(self.clock(), topic, reason, detail)

    def count_received(self) -> None:
        """A message taken in that changes no reading (a plug's online flag)."""
        with self.lock:
            self.stats.messages_received += 1

    def _reject(self, now: float, topic: str, reason: str, detail: str) -> None:
        """Count a rejection; log it at DEBUG, and at INFO at most once an interval per reason."""
        self.stats.reject(now, topic, reason, detail)
        log.debug("rejected %s: %s: %s", topic[:120], reason, detail)
        if self.notice_interval_s is None:
            return
        if now < self._next_notice.get(reason, 0.0):
            self._unreported[reason] = self._unreported.get(reason, 0) + 1
            return
        more = self._unreported.pop(reason, 0)
        also = f" (and {more} more since the last notice)" if more else ""
        log.info("rejected %s: %s: %s%s", topic[:120], reason, detail[:200], also)
        self._next_notice[reason] = now + self.notice_interval_s

    def _apply(self, topic: str, decoded: Decoded) -> bool:
        now = self.clock()
        stats = self.stats
        house = self.grid.houses.get(decoded.house)
        if house is None:
            self._reject(now, topic, "unknown_house", f"no house {decoded.house}")
            return False
        command = decoded.command
        if command is not None:
            devices = house.suppliers if command.supplier else house.consumers
            device = devices.get(command.device)
            if device is None:
                kind = DeviceKind.of(command.supplier)
                detail = f"house {house.identifier} has no {kind} {command.device}"
                self._reject(now, topic, "unknown_device", detail)
                return False
            device.commanded = command.state
            stats.commands_seen += 1
            return True
        skipped = 0
        consumers = house.consumers
        for reading in decoded.consumers:
            device = reading.device
            if device == 0:
                house.meter_a.update(now, reading.current_a)
                continue
            consumer = consumers.get(device)
            if consumer is None:
                skipped += 1
                continue
            consumer.current_a.update(now, reading.current_a)
            consumer.on = reading.on
            consumer.raw = reading.raw
        for reading in decoded.suppliers:
            supplier = house.suppliers.get(reading.device)
            if supplier is None:
                skipped += 1
                continue
            supplier.update(now, reading.values, reading.load_on)
        applied = len(decoded.consumers) + len(decoded.suppliers) - skipped
        if applied == 0:
            self._reject(now, topic, "unknown_device", _none_known(house.identifier, decoded))
            return False
        if skipped:
            stats.skipped_readings["unknown_device"] += skipped
        stats.messages_applied += 1
        stats.readings_applied += applied
        return True


def _none_known(house: int, decoded: Decoded) -> str:
    consumers = [str(r.device) for r in decoded.consumers]
    suppliers = [str(r.device) for r in decoded.suppliers]
    kind, ids = (DeviceKind.CONSUMER, consumers) if consumers else (DeviceKind.SUPPLIER, suppliers)
    return f"house {house} has no {kind} {', '.join(ids[:10])}"
