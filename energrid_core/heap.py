"""Keeping Python's cyclic garbage collector off the grid.

A grid of 100,000 devices is about a million long-lived objects. paho-mqtt makes reference
cycles on every message it receives (MQTTMatcher.iter_match defines a recursive closure: six
cyclic objects a message), so the collector runs all the time, and now and then a full
collection walks the whole grid: 0.1-0.3 s during which no message is handled. That showed as
a command round trip p99 of 63 ms under load, and as a cost per reading that grew with the
grid (docs/performance.md).

The grid holds no reference cycles (a house refers to its devices, never back), so the
collector has nothing to find in it. After the grid grows, the objects alive are moved to the
permanent generation (gc.freeze), which collections skip. Objects removed later are still freed
at once by reference counting; only a cycle alive at that moment and broken later would stay.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Exclude every object alive now from future collections (called after the grid grows)."""
    gc.freeze()
