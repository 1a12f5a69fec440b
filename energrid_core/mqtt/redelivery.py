"""Spotting the broker's resends of QoS 1 messages, so that a reading is not applied twice.

The broker resends a QoS 1 message it got no PUBACK for (after a reconnect) with the same packet
id and the DUP flag. A message with DUP whose packet id, topic and payload match the last message
received under that id was already handled. What is remembered is bounded by the packet ids
(65535 fingerprints at most), and costs one hash per message.

A board's own resend (its PUBACK from the broker was lost) reaches the broker as a new message
under a new id: it cannot be told apart here, and is applied again (see docs/protocol.md).
"""

from __future__ import annotations


class RedeliveryFilter:
    def __init__(self) -> None:
        self._last: dict[int, int] = {}  # packet id -> fingerprint of (topic, payload)
        self.dropped = 0

    def is_redelivery(self, mid: int, dup: bool, topic: str, payload: bytes) -> bool:
        """True (and counted) for a resend of a message already received; remembers the rest."""
        fingerprint = hash((topic, payload))
        if dup and self._last.get(mid) == fingerprint:
            self.dropped += 1
            return True
        self._last[mid] = fingerprint
        return False
