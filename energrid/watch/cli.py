"""`energrid watch`: a live terminal view of the grid built only from Energrid's state topics.

It is a plain MQTT client of the broker (from this machine or another one) and never talks to the
server, which proves the state topics are enough for a client such as the VR interface. It is
client-side, so it has its own paho client rather than the server's GridClient.

    energrid watch [--mqtt-host H] [--mqtt-port P] [--neighborhood N]   live view, Ctrl-C quits
    energrid watch --once                          print the grid rebuilt from retained
                                                   messages, then exit

It takes the settings flags after `watch` as `energrid sim` does (--host and --port are aliases
of --mqtt-host and --mqtt-port).
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energrid.watch.grid import WatchedGrid
from energrid.watch.view import agreement, render
from energrid_core import config
from energrid_core.auth import read_password
from energrid_core.errors import BadArgumentError
from energrid_core.mqtt.client import log_in
from energrid_core.state.topics import root_filter

HELP = "live view of the grid from the state topics alone (runs on any machine)"
POLL_S = 0.01


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The settings flags (--mqtt-host, --mqtt-port, --neighborhood, --mqtt-username, ...) work "
        "before or after `watch`. Example: energrid watch --mqtt-host 192.168.1.10 --once"
    )
    # Short aliases of --mqtt-host and --mqtt-port, kept for those who learnt them first.
    parser.add_argument(
        "--host",
        dest="mqtt_host",
        default=argparse.SUPPRESS,
        metavar="HOST",
        help="the same as --mqtt-host",
    )
    parser.add_argument(
        "--port",
        dest="mqtt_port",
        default=argparse.SUPPRESS,
        metavar="PORT",
        type=int,
        help="the same as --mqtt-port",
    )
    parser.add_argument(
        "--once", action="store_true", help="print the grid rebuilt from retained messages; exit"
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=5.0,
        metavar="S",
        help="--once: wait this long for the whole grid (5)",
    )
    parser.add_argument(
        "--refresh-s", type=float, default=0.5, metavar="S", help="redraw period (0.5)"
    )
    config.add_arguments(parser, in_subcommand=True, shown=WATCH_SETTINGS, helps=WATCH_HELPS)


# The settings `watch` uses: its --help lists only these (the others are still accepted).
WATCH_SETTINGS = (
    "mqtt_host",
    "mqtt_port",
    "neighborhood",
    "mqtt_username",
    "mqtt_password_file",
    "mqtt_tls_ca",
    "state_dir",
)
WATCH_HELPS = {
    "mqtt_username": "the broker account to log in with (secure profile)",
    "state_dir": "where a kept password of that account is read from",
}


class Watcher:
    """A paho subscriber on energrid/<n>/#, feeding a WatchedGrid under a lock."""

    def __init__(
        self,
        host: str,
        port: int,
        neighborhood: int,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.grid = WatchedGrid(neighborhood)
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.refusal: str | None = None  # why the broker refused the last attempt
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=username or f"energrid-watch-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,  # nothing of MQTT 5 is needed; paho reads 3.1.1 faster
        )
        log_in(self._client, username, password, tls_ca)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        try:
            if reason_code.is_failure:
                self.refusal = str(reason_code)
                return
            self.refusal = None
            # QoS 0: state is retained and resent on resubscribe; no PUBACK per message.
            client.subscribe(root_filter(self.grid.neighborhood), qos=0)
            self.connected.set()
        except Exception:  # never into paho's thread: the view goes on saying "connecting"
            self.connected.clear()

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def refusal_text(self) -> str:
        """One line for a refusal: what the broker said, and what to check."""
        return (
            f"the broker at {self.where} refused the connection: {self.refusal}; check "
            "--mqtt-username and --mqtt-password-file (docs/security.md)"
        )

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        try:
            with self.lock:
                self.grid.apply(message.topic, message.payload)
        except Exception:  # a strange topic or payload costs one message, never the thread
            with self.lock:
                self.grid.unreadable += 1

    def wait_complete(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                if self.grid.complete():
                    return True
            if time.monotonic() >= deadline or (self.refusal and not self.connected.is_set()):
                return False
            time.sleep(POLL_S)


def run(args: argparse.Namespace) -> int:
    settings: config.Settings = args.settings
    for name in ("timeout_s", "refresh_s"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            raise BadArgumentError(f"--{name.replace('_', '-')} must be more than 0, not {value}")
    username = settings.mqtt_username
    password = read_password(username, settings.mqtt_password_file, settings.state_dir)
    watcher = Watcher(
        settings.mqtt_host,
        settings.mqtt_port,
        settings.neighborhood,
        username or None,
        password,
        settings.mqtt_tls_ca or None,
    )
    if args.once:
        return once(watcher, args.timeout_s)
    return live(watcher, args.refresh_s)


def once(watcher: Watcher, timeout_s: float) -> int:
    started = time.monotonic()
    watcher.start()
    try:
        complete = watcher.wait_complete(timeout_s)
        elapsed_s = time.monotonic() - started
    finally:
        watcher.stop()
    grid = watcher.grid
    where = watcher.where
    if not watcher.connected.is_set():
        if watcher.refusal is not None:
            print(f"energrid watch: {watcher.refusal_text()}", file=sys.stderr)
        else:
            print(f"energrid watch: could not connect to the broker at {where}", file=sys.stderr)
        return 1
    if grid.summary is None and grid.summary_problem is not None:
        print(
            f"energrid watch: energrid/{grid.neighborhood}/state/neighborhood at {where} is "
            f"invalid ({grid.summary_problem}): is something other than Energrid publishing there?",
            file=sys.stderr,
        )
        return 1
    if grid.summary is None:
        print(
            f"energrid watch: nothing retained on energrid/{grid.neighborhood}/state at {where}: "
            "has an Energrid server run for this neighborhood?",
            file=sys.stderr,
        )
        return 1
    print(render(grid, where, time.time()))
    if not complete:
        missing = grid.missing()
        topics = "listed topic did" if missing == 1 else "listed topics did"
        print(f"incomplete after {timeout_s:g} s: {missing} {topics} not arrive")
        return 1
    print(
        f"Rebuilt from {grid.messages} retained messages in {elapsed_s:.3f} s; " + agreement(grid)
    )
    return 0


def live(watcher: Watcher, refresh_s: float) -> int:
    where = f"{watcher.host}:{watcher.port}"
    watcher.start()
    try:
        while True:
            height = _terminal_height()
            with watcher.lock:
                text = render(watcher.grid, where, time.time(), max_rows=max(3, height - 10))
            if not watcher.connected.is_set() and watcher.refusal is not None:
                text = f"{watcher.refusal_text()}; retrying\n" + text
            elif not watcher.connected.is_set():
                text = f"connecting to the broker at {where}...\n" + text
            sys.stdout.write("\x1b[H\x1b[2J" + text + "\nCtrl-C quits\n")
            sys.stdout.flush()
            time.sleep(refresh_s)
    except KeyboardInterrupt:
        return 0
    finally:
        watcher.stop()


def _terminal_height() -> int:
    import shutil

    return shutil.get_terminal_size((100, 40)).lines
