"""Long passes over the grid that let readings in: the server lock held a slice at a time, and
the GIL left to the MQTT thread while it has readings waiting.

The MQTT thread takes the server lock for every reading. A pass over a large grid (the energy
sweep, the availability sweep, the statistics snapshot) holds it one slice of houses at a time.
Releasing a lock does not hand it to the thread waiting for it, though: the releasing thread,
still holding the GIL, would take it straight back. So after each slice this thread sleeps,
which lets the woken thread run and take the lock first.

How long it sleeps is `ingest_first`'s to say. Under the GIL a pass and the MQTT thread share
one core, and a pass that merely yields (sleeps for zero seconds) is runnable again at once:
each time the MQTT thread blocks in a system call (every read of the socket), the pass takes
the GIL back and keeps it until the interpreter's switch interval (5 ms) forces it to let go.
While the MQTT thread has fallen behind the stream, that halves its pace, the messages queue,
and a board's answer to a command waits behind them (the loaded round trip's tail). So while
the MQTT thread says it is behind (its last read filled the buffer: more is waiting), a pass
sleeps for real, a millisecond at a time, up to `MAX_WAIT_S` a slice: the ingest first, the
pass still done, later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

STEP_S = 0.001  # one sleep while the ingest is behind
MAX_WAIT_S = 0.02  # at most this long a slice: a pass under a saturated ingest still ends


class IngestFirst:
    """Whether the MQTT thread has readings waiting, and the wait that leaves it the GIL.

    One per process: the server that receives sets `behind` when it starts and puts it back
    when it stops (a process runs one server; tests that run several only wait less)."""

    def __init__(self) -> None:
        self.behind: Callable[[], bool] = _never
        self.waits = 0  # slices that waited for the ingest (tests and curiosity)

    def follow(self, behind: Callable[[], bool]) -> None:
        self.behind = behind

    def forget(self, behind: Callable[[], bool]) -> None:
        if self.behind is behind:
            self.behind = _never

    def wait(self, max_wait_s: float = MAX_WAIT_S) -> None:
        """Sleep while the ingest is behind (up to max_wait_s); otherwise only yield."""
        behind = self.behind
        if not behind():
            time.sleep(0)
            return
        self.waits += 1
        deadline = time.monotonic() + max_wait_s
        while True:
            time.sleep(STEP_S)
            if not behind() or time.monotonic() >= deadline:
                return


def _never() -> bool:
    return False


ingest_first = IngestFirst()


def locked_slices(lock: threading.RLock, items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Yield items a slice at a time, each while holding lock; waiting threads get in between,
    the MQTT thread first while it is behind (see the module)."""
    for first in range(0, len(items), size):
        with lock:
            yield items[first : first + size]
        ingest_first.wait()
