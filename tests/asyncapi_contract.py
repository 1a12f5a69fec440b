"""docs/asyncapi.yaml as a test oracle: which channel a topic belongs to, and does a payload fit.

Payload schemas are JSON Schema (AsyncAPI's default schema format is a superset of Draft 7) and
are checked with `jsonschema`, resolving `$ref`s inside the document. A JSON message must be
strict JSON (orjson refuses NaN and Infinity); a text/plain one is checked as a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml"
BASE_URI = "urn:energrid:asyncapi"
_PARAMETER = re.compile(r"\{([a-z]+)\}")


@dataclass(frozen=True)
class Message:
    name: str
    content_type: str
    validator: Draft7Validator

    def error(self, payload: bytes) -> str | None:
        """Why the payload does not fit this message, or None when it does."""
        try:
            if self.content_type == "application/json":
                value = orjson.loads(payload)
            else:
                value = payload.decode("utf-8")
        except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
            return f"not {self.content_type}: {exc}"
        found = sorted(self.validator.iter_errors(value), key=lambda e: list(e.path))
        if not found:
            return None
        first = found[0]
        where = "/".join(str(p) for p in first.path) or "(payload)"
        return f"{where}: {first.message}"


@dataclass(frozen=True)
class Channel:
    name: str
    address: str
    pattern: re.Pattern[str]
    messages: tuple[Message, ...]

    def error(self, payload: bytes) -> str | None:
        """None when one of the channel's messages accepts the payload."""
        errors = [message.error(payload) for message in self.messages]
        if any(e is None for e in errors):
            return None
        return "; ".join(f"as {m.name}: {e}" for m, e in zip(self.messages, errors, strict=True))

    def subscription(self, neighborhood: int) -> str:
        """The channel's topic filter for one neighborhood: other parameters become '+'."""
        text = self.address.replace("{neighborhood}", str(neighborhood))
        return _PARAMETER.sub("+", text)


class Contract:
    def __init__(self, document: dict) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT7)
        self.registry = Registry().with_resource(BASE_URI, resource)
        self.channels = {name: self._channel(name) for name in document["channels"]}

    @classmethod
    def load(cls, path: Path = DOCUMENT) -> Contract:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def resolve(self, ref: str) -> object:
        """A local `#/a/b` reference inside the document."""
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are used, not {ref!r}")
        node: object = self.document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]  # type: ignore[index]
        return node

    def _channel(self, name: str) -> Channel:
        channel = self.document["channels"][name]
        address = channel["address"]
        # A parameter stands for one topic level or a part of one (energrid_{neighborhood}).
        pieces = _PARAMETER.split(address)  # literal, name, literal, name, ..., literal
        levels = "".join("[^/]+" if i % 2 else re.escape(p) for i, p in enumerate(pieces))
        regex = "^" + levels + "$"
        messages = []
        for entry in channel["messages"].values():
            ref = entry["$ref"]
            message = self.resolve(ref)
            content_type = message.get("contentType", self.document["defaultContentType"])
            schema = {"$ref": f"{BASE_URI}{ref}/payload"}
            validator = Draft7Validator(schema, registry=self.registry)
            messages.append(Message(message["name"], content_type, validator))
        return Channel(name, address, re.compile(regex), tuple(messages))

    def sent_channels(self) -> list[Channel]:
        """The channels of the operations whose action is `send`: what the server publishes."""
        names = []
        for operation in self.document["operations"].values():
            if operation["action"] == "send":
                name = operation["channel"]["$ref"].removeprefix("#/channels/")
                if name not in names:
                    names.append(name)
        return [self.channels[name] for name in names]

    def match(self, topic: str, channels: list[Channel] | None = None) -> Channel | None:
        for channel in channels if channels is not None else self.channels.values():
            if channel.pattern.match(topic):
                return channel
        return None

    def error(
        self, topic: str, payload: bytes, channels: list[Channel] | None = None
    ) -> str | None:
        """Why a message breaks the contract, or None."""
        channel = self.match(topic, channels)
        if channel is None:
            return "no channel of the AsyncAPI document has this address"
        return channel.error(payload)
