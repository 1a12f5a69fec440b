"""(topic, payload) -> Decoded or Rejected: the one edge where MQTT messages enter the model."""

from __future__ import annotations

from dataclasses import dataclass

from energrid_core.config import Calibration, Settings
from energrid_core.topics import TopicKind, parse_topic
from energrid_core.wire.device_json import decode_consumer, decode_supplier
from energrid_core.wire.legacy import decode_consumer_batch, decode_supplier_batch
from energrid_core.wire.readings import CommandSeen, Decoded, Rejected
from energrid_core.wire.values import parse_json

_COMMAND_PAYLOADS = {b"0": 0, b"1": 1}


@dataclass(frozen=True)
class Decoder:
    """Pure and thread-safe: knows the calibration and limits, not the grid."""

    neighborhood: int = 0
    calibration: Calibration = Calibration()
    on_threshold_a: float = 0.05
    max_payload_bytes: int = 16384

    @classmethod
    def from_settings(cls, settings: Settings) -> Decoder:
        return cls(
            settings.neighborhood,
            settings.calibration,
            settings.on_threshold_a,
            settings.max_payload_bytes,
        )

    def decode(self, topic: str, payload: bytes, retained: bool = False) -> Decoded:
        parsed = parse_topic(topic, self.neighborhood)
        if parsed is None:
            raise Rejected("topic", "not a reading or command topic of this neighborhood")
        kind = parsed.kind
        if retained:
            raise Rejected("retained", "a retained message is stale; boards publish without retain")
        if kind is TopicKind.CONSUMER_COMMAND or kind is TopicKind.SUPPLIER_COMMAND:
            state = _COMMAND_PAYLOADS.get(payload.strip())
            if state is None:
                raise Rejected("command", "command payload must be 1 or 0")
            supplier = kind is TopicKind.SUPPLIER_COMMAND
            return Decoded(parsed.house, command=CommandSeen(parsed.device, supplier, state))
        obj = parse_json(payload, self.max_payload_bytes)
        if kind is TopicKind.CONSUMER_BATCH:
            return Decoded(parsed.house, consumers=decode_consumer_batch(obj, self.calibration))
        if kind is TopicKind.SUPPLIER_BATCH:
            return Decoded(parsed.house, suppliers=decode_supplier_batch(obj, self.on_threshold_a))
        if kind is TopicKind.CONSUMER_READING:
            reading = decode_consumer(obj, parsed.device, self.on_threshold_a)
            return Decoded(parsed.house, consumers=(reading,))
        reading = decode_supplier(obj, parsed.device, self.on_threshold_a)
        return Decoded(parsed.house, suppliers=(reading,))
