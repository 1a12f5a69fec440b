"""Long passes over the grid that let readings in: the server lock held a slice at a time.

The MQTT thread takes the server lock for every reading. A pass over a large grid (the
availability sweep, the statistics snapshot) holds it one slice of houses at a time. Releasing a
lock does not hand it to the thread waiting for it, though: the releasing thread, still holding
the GIL, would take it straight back. So after each slice this thread sleeps for zero seconds,
which lets the woken thread run and take the lock first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def locked_slices(lock: threading.RLock, items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Yield items a slice at a time, each while holding lock; waiting threads get in between."""
    for first in range(0, len(items), size):
        with lock:
            yield items[first : first + size]
        time.sleep(0)
