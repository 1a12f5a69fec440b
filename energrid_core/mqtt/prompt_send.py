"""Sending the operator's commands at once without slowing the ingest down.

With Nagle's algorithm on, a small packet waits until the previous one is acknowledged. On an
idle connection Energrid's last PUBACK often is not yet (the broker delays its TCP ACK up to
40 ms), so a command typed in the shell waited ~40 ms before leaving. Turning Nagle off for good
(TCP_NODELAY) fixes that but makes every PUBACK of a busy ingest a TCP segment of its own: it
measured ~45 us of CPU more per message received and ~30 % less throughput.

So Nagle is turned off only while a *prompt* publish (a command) is on its way: on before it is
handed to paho, back on once the broker acknowledged it and no other prompt one is pending.
Other publishes (the retained state, a steady flow) leave Nagle alone: were they counted, Nagle
would stay off as long as the state flows, and every PUBACK of the ingest would cost a segment.

Acknowledgements name a message id, which paho hands out inside publish(): the network thread
can report the PUBACK before the publishing thread has the id in hand. Acknowledgements that
arrive while a prompt publish is between begin() and track() are kept until track() looks.
"""

from __future__ import annotations

import contextlib
import socket
import threading


def set_no_delay(sock: object, on: bool) -> None:
    """TCP_NODELAY on a TCP socket; anything else (None, a websocket wrapper) is left alone."""
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        # OSError: the connection is closing; the next one starts with the default.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if on else 0)


class PromptSends:
    """Counts the prompt publishes in flight; Nagle is off while there is at least one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0  # begun and not yet acknowledged (or abandoned)
        self._tracked: set[int] = set()  # message ids of pending prompt publishes
        self._early: set[int] = set()  # ids acknowledged while a publish awaited its id

    @property
    def pending(self) -> int:
        return self._pending

    def begin(self, sock: object) -> None:
        """Before a prompt publish is handed to paho."""
        with self._lock:
            self._pending += 1
            set_no_delay(sock, True)

    def track(self, mid: int, sock: object) -> None:
        """The id paho gave the prompt publish begun last."""
        with self._lock:
            if mid in self._early:  # already acknowledged
                self._early.discard(mid)
                self._finish(sock)
            else:
                self._tracked.add(mid)
            if self._pending == len(self._tracked):
                self._early.clear()

    def abandon(self, sock: object) -> None:
        """The prompt publish begun last was not handed over after all."""
        with self._lock:
            if self._pending > len(self._tracked):
                self._finish(sock)

    def acked(self, mid: int, sock: object) -> None:
        """Any publish of ours was acknowledged (the network thread's on_publish)."""
        with self._lock:
            if mid in self._tracked:
                self._tracked.discard(mid)
                self._finish(sock)
            elif self._pending > len(self._tracked):  # a prompt publish awaits its id
                self._early.add(mid)

    def _finish(self, sock: object) -> None:
        self._pending -= 1
        if self._pending == 0:
            set_no_delay(sock, False)

    def reset(self) -> None:
        """A new connection: its socket starts with Nagle on and nothing of ours in flight."""
        with self._lock:
            self._pending = 0
            self._tracked.clear()
            self._early.clear()
