"""(topic, payload) -> Decoded or Rejected: the one edge where MQTT messages enter the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from energrid_core.config import Calibration, Settings
from energrid_core.topics import ParsedTopic, TopicKind, parse_topic
from energrid_core.wire.device_json import decode_consumer, decode_supplier
from energrid_core.wire.legacy import decode_consumer_batch, decode_supplier_batch
from energrid_core.wire.readings import CommandSeen, Decoded, Rejected
from energrid_core.wire.values import parse_json

_COMMAND_PAYLOADS = {b"0": 0, b"1": 1}

# Valid topics already parsed, so that a board's topic is split and checked once, not on every
# message. Only topics that parse are kept, and the cache is emptied when it is full, so a
# flood of made-up topics costs memory up to this bound and nothing more.
TOPIC_CACHE_MAX = 1 << 18


@dataclass(frozen=True)
class Decoder:
    """Thread-safe: knows the calibration and limits, not the grid; remembers parsed topics."""

    neighborhood: int = 0
    calibration: Calibration = Calibration()
    on_threshold_a: float = 0.05
    max_payload_bytes: int = 16384
    _topics: dict[str, ParsedTopic] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Legacy readings already made, by (key, raw value): see decode_consumer_batch.
    _readings: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Decoder:
        return cls(
            settings.neighborhood,
            settings.calibration,
            settings.on_threshold_a,
            settings.max_payload_bytes,
        )

    def parse(self, topic: str) -> ParsedTopic:
        """The topic's kind, house and device, from the cache when it was seen before."""
        parsed = self._topics.get(topic)
        if parsed is not None:
            return parsed
        parsed = parse_topic(topic, self.neighborhood)
        if parsed is None:
            raise Rejected("topic", "not a reading or command topic of this neighborhood")
        if len(self._topics) >= TOPIC_CACHE_MAX:
            self._topics.clear()
        self._topics[topic] = parsed
        return parsed

    def decode(self, topic: str, payload: bytes, retained: bool = False) -> Decoded:
        parsed = self.parse(topic)
        if retained:  # a stored reading or command handed over at subscription: stale
            raise Rejected("retained", "a retained message is stale; boards publish without retain")
        return _BY_KIND[parsed.kind](self, parsed, payload, retained)

    def _json(self, payload: bytes, retained: bool) -> object:
        return parse_json(payload, self.max_payload_bytes)


def _command(decoder: Decoder, parsed: ParsedTopic, payload: bytes, retained: bool) -> Decoded:
    state = _COMMAND_PAYLOADS.get(payload.strip())
    if state is None:
        raise Rejected("command", "command payload must be 1 or 0")
    supplier = parsed.kind is TopicKind.SUPPLIER_COMMAND
    return Decoded(parsed.house, command=CommandSeen(parsed.device, supplier, state))


def _consumer_batch(
    decoder: Decoder, parsed: ParsedTopic, payload: bytes, retained: bool
) -> Decoded:
    obj = decoder._json(payload, retained)
    readings = decode_consumer_batch(obj, decoder.calibration, decoder._readings)
    return Decoded(parsed.house, consumers=readings)


def _supplier_batch(
    decoder: Decoder, parsed: ParsedTopic, payload: bytes, retained: bool
) -> Decoded:
    obj = decoder._json(payload, retained)
    return Decoded(parsed.house, suppliers=decode_supplier_batch(obj, decoder.on_threshold_a))


def _consumer(decoder: Decoder, parsed: ParsedTopic, payload: bytes, retained: bool) -> Decoded:
    obj = decoder._json(payload, retained)
    reading = decode_consumer(obj, parsed.device, decoder.on_threshold_a)
    return Decoded(parsed.house, (reading,))


def _supplier(decoder: Decoder, parsed: ParsedTopic, payload: bytes, retained: bool) -> Decoded:
    obj = decoder._json(payload, retained)
    reading = decode_supplier(obj, parsed.device, decoder.on_threshold_a)
    return Decoded(parsed.house, suppliers=(reading,))


# One function per kind of topic: a dictionary look-up instead of a chain of comparisons.
_BY_KIND: dict[TopicKind, Callable[[Decoder, ParsedTopic, bytes, bool], Decoded]] = {
    TopicKind.CONSUMER_COMMAND: _command,
    TopicKind.SUPPLIER_COMMAND: _command,
    TopicKind.CONSUMER_BATCH: _consumer_batch,
    TopicKind.SUPPLIER_BATCH: _supplier_batch,
    TopicKind.CONSUMER_READING: _consumer,
    TopicKind.SUPPLIER_READING: _supplier,
}
