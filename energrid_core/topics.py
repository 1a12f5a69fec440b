"""The MQTT topic tree of the legacy boards: parsing incoming topics and building command topics."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MAX_ID = 999_999


class TopicKind(Enum):
    CONSUMER_BATCH = "consumer_batch"  # Neighborhood/<n>/House/<h>/Consumer
    SUPPLIER_BATCH = "supplier_batch"  # Neighborhood/<n>/House/<h>/Supplier
    CONSUMER_READING = "consumer_reading"  # .../Consumer/<c>  (c = 0: the house meter)
    SUPPLIER_READING = "supplier_reading"  # .../Supplier/<s>
    CONSUMER_COMMAND = "consumer_command"  # .../Consumer/<c>/set
    SUPPLIER_COMMAND = "supplier_command"  # .../Supplier/<s>/booleanLoad


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    kind: TopicKind
    house: int
    device: int | None = None


_DEVICE_LEVEL = {"Consumer": 0, "Supplier": 1}
_BATCH = (TopicKind.CONSUMER_BATCH, TopicKind.SUPPLIER_BATCH)
_READING = (TopicKind.CONSUMER_READING, TopicKind.SUPPLIER_READING)
_COMMAND = {
    ("Consumer", "set"): TopicKind.CONSUMER_COMMAND,
    ("Supplier", "booleanLoad"): TopicKind.SUPPLIER_COMMAND,
}


def parse_id(text: str) -> int | None:
    """A device or house number: ASCII decimal digits without a leading zero, 0..MAX_ID."""
    if not text or len(text) > 6 or not text.isascii() or not text.isdigit():
        return None
    if text[0] == "0" and len(text) > 1:  # "01" would be a second name for device 1
        return None
    return int(text)


def parse_topic(topic: str, neighborhood: int) -> ParsedTopic | None:
    """Classify a topic under Neighborhood/<neighborhood>/House/...; None when it is not ours."""
    parts = topic.split("/")
    if len(parts) < 5 or len(parts) > 7:
        return None
    if parts[0] != "Neighborhood" or parts[2] != "House" or parse_id(parts[1]) != neighborhood:
        return None
    house = parse_id(parts[3])
    level = _DEVICE_LEVEL.get(parts[4])
    if house is None or house == 0 or level is None:
        return None
    if len(parts) == 5:
        return ParsedTopic(_BATCH[level], house)
    device = parse_id(parts[5])
    if device is None:
        return None
    if len(parts) == 6:
        return ParsedTopic(_READING[level], house, device)
    kind = _COMMAND.get((parts[4], parts[6]))
    if kind is None or device == 0:
        return None
    return ParsedTopic(kind, house, device)


def neighborhood_filter(neighborhood: int) -> str:
    """The one subscription that carries every reading and command of a neighborhood."""
    return f"Neighborhood/{neighborhood}/House/#"


def house_topic(neighborhood: int, house: int) -> str:
    return f"Neighborhood/{neighborhood}/House/{house}"


def consumer_command_topic(neighborhood: int, house: int, consumer: int) -> str:
    return f"{house_topic(neighborhood, house)}/Consumer/{consumer}/set"


def supplier_command_topic(neighborhood: int, house: int, supplier: int) -> str:
    return f"{house_topic(neighborhood, house)}/Supplier/{supplier}/booleanLoad"
