"""In-memory stand-ins for the ledger's publisher (the MQTT client) and journal (the store)."""

from __future__ import annotations

from energrid_core.commands.command import Command, Key
from energrid_core.errors import BrokerUnavailableError


class Wire:
    """Stands for GridClient: records what was handed over, raises when 'down'."""

    def __init__(self) -> None:
        self.connected = True
        self.fail_next = False
        self.sent: list[tuple[int, str, str, int | None]] = []

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
        prompt: bool = False,
    ) -> int:
        if not self.connected or self.fail_next:
            self.fail_next = False
            raise BrokerUnavailableError("not connected")
        mid = len(self.sent) + 1
        self.sent.append((mid, topic, payload, expiry_s))
        return mid

    def payloads(self) -> list[str]:
        return [payload for _mid, _topic, payload, _exp in self.sent]


class Journal:
    def __init__(self) -> None:
        self.rows: dict[Key, Command] = {}

    def save(self, command: Command) -> None:
        self.rows[command.key] = command

    def forget(self, key: Key) -> None:
        self.rows.pop(key, None)
