"""Sending the server's own commands at once without slowing the ingest down.

With Nagle's algorithm on, a small packet waits until the previous one is acknowledged. On an
idle connection Energrid's last PUBACK often is not yet (the broker delays its TCP ACK up to
40 ms), so a command typed in the shell waited ~40 ms before leaving. Turning Nagle off for good
(TCP_NODELAY) fixes that but makes every PUBACK of a busy ingest a TCP segment of its own: it
measured ~45 us of CPU more per message received and ~30 % less throughput.

So Nagle is turned off only while one of our publishes is on its way: on when publish() is
called, back on once paho reports the message sent (on_publish) and no other one is pending.
Setting TCP_NODELAY also pushes out anything the kernel was holding back.
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
    """Counts our publishes in flight; Nagle is off while there is at least one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def begin(self, sock: object) -> None:
        with self._lock:
            self._pending += 1
            set_no_delay(sock, True)

    def end(self, sock: object) -> None:
        with self._lock:
            if self._pending == 0:
                return
            self._pending -= 1
            if self._pending == 0:
                set_no_delay(sock, False)

    def reset(self) -> None:
        """A new connection: its socket starts with Nagle on and nothing of ours in flight."""
        with self._lock:
            self._pending = 0
