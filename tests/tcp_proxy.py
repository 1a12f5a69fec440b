"""A TCP relay between a client and a real broker, which a test can cut as a network would."""

from __future__ import annotations

import socket
import struct
import threading


class TcpProxy:
    """Listens on a free loopback port and relays every connection to host:port."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def cut(self, reset: bool) -> None:
        """End every relayed connection: with a TCP reset (reset=True) or a plain close."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            # (A blocked recv() in the pump keeps a socket open past close(): shutdown wakes it.)
            if reset:  # linger 0: close() then sends RST instead of FIN
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.shutdown(socket.SHUT_RD)
            else:
                client.shutdown(socket.SHUT_RDWR)
            client.close()
            upstream.close()

    def close(self) -> None:
        self._listener.close()
        self.cut(reset=False)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
