"""Serves the 3D web view: the page's own files from web/, three.js and MQTT.js from
web/node_modules (installed by `./energrid.sh` with `npm ci`), and /config.json telling the page
where the broker's websockets listener is.

The page talks to the broker directly; this server only hands out files, so it holds no MQTT
connection and no grid. Nothing is fetched from elsewhere at run time: a file not in the table
below is a 404.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from energrid_core.errors import EnergridError

log = logging.getLogger("energrid.view")

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
MODULES = WEB_DIR / "node_modules"
EXAMPLES = MODULES / "three" / "examples" / "jsm"

# URL path -> file. The vendor files are the libraries' own builds, unchanged.
PAGE_FILES = {
    "/": WEB_DIR / "index.html",
    "/index.html": WEB_DIR / "index.html",
    "/app.js": WEB_DIR / "app.js",
    "/scene.js": WEB_DIR / "scene.js",
    "/grid.js": WEB_DIR / "grid.js",
    "/panel.js": WEB_DIR / "panel.js",
    "/style.css": WEB_DIR / "style.css",
    "/vendor/three.module.js": MODULES / "three" / "build" / "three.module.js",
    "/vendor/three.core.js": MODULES / "three" / "build" / "three.core.js",
    "/vendor/VRButton.js": EXAMPLES / "webxr" / "VRButton.js",
    "/vendor/OrbitControls.js": EXAMPLES / "controls" / "OrbitControls.js",
    "/vendor/mqtt.min.js": MODULES / "mqtt" / "dist" / "mqtt.min.js",
}


class ViewNotInstalledError(EnergridError):
    """The page's libraries are missing: `./energrid.sh` installs them."""


@dataclass
class PageConfig:
    """What the page needs to reach the broker; served as /config.json."""

    ws_host: str  # "" means: the host the page itself was loaded from
    ws_port: int
    neighborhood: int
    username: str = ""
    password: str = ""  # only a kept password of --account, and only to this machine
    ws_tls: bool = False  # the listener speaks TLS: wss://, even from a page loaded over http

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__).encode()


def missing_files() -> list[Path]:
    return [path for path in PAGE_FILES.values() if not path.is_file()]


class _Handler(BaseHTTPRequestHandler):
    server: _ViewHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        if path == "/config.json":
            self._send(HTTPStatus.OK, "application/json", self.server.page_config.as_json())
            return
        file = PAGE_FILES.get(path)
        if file is None or not file.is_file():
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n")
            return
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".js":
            kind = "text/javascript"
        self._send(HTTPStatus.OK, kind, file.read_bytes())

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8" if "text" in kind else kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("view: " + format, *args)


class _ViewHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], page_config: PageConfig) -> None:
        self.page_config = page_config
        super().__init__(address, _Handler)


class ViewServer:
    """The view's HTTP server in a thread of its own; start() then stop()."""

    def __init__(self, page_config: PageConfig, port: int, host: str = "127.0.0.1") -> None:
        self.page_config = page_config
        self.host = host
        self.port = port
        self._httpd: _ViewHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> None:
        missing = missing_files()
        if missing:
            raise ViewNotInstalledError(
                f"The web view's files are missing ({missing[0]}): run ./energrid.sh once "
                "(it installs them with npm ci in web/)."
            )
        try:
            self._httpd = _ViewHTTPServer((self.host, self.port), self.page_config)
        except OSError as exc:
            raise EnergridError(
                f"The web view cannot listen on {self.host}:{self.port} ({exc.strerror}): "
                "choose another port with --view-port or ENERGRID_VIEW_PORT."
            ) from exc
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="energrid-view", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._httpd is not None
