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
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energrid import output as out
from energrid import views
from energrid.watch_grid import WatchedGrid
from energrid_core import config
from energrid_core.errors import BadArgumentError
from energrid_core.state_payloads import Totals
from energrid_core.state_topics import CONSUMER, root_filter

HELP = "live view of the grid from the state topics alone (runs on any machine)"
POLL_S = 0.01
MAX_HOUSE_ROWS = views.PAGE_SIZE


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
    config.add_arguments(parser, in_subcommand=True)


class Watcher:
    """A paho subscriber on energrid/<n>/#, feeding a WatchedGrid under a lock."""

    def __init__(self, host: str, port: int, neighborhood: int) -> None:
        self.host, self.port = host, port
        self.grid = WatchedGrid(neighborhood)
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"energrid-watch-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,  # nothing of MQTT 5 is needed; paho reads 3.1.1 faster
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        if not reason_code.is_failure:
            # QoS 0: state is retained and resent on resubscribe; no PUBACK per message.
            client.subscribe(root_filter(self.grid.neighborhood), qos=0)
            self.connected.set()

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
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)


def run(args: argparse.Namespace) -> int:
    settings: config.Settings = args.settings
    for name in ("timeout_s", "refresh_s"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            raise BadArgumentError(f"--{name.replace('_', '-')} must be more than 0, not {value}")
    watcher = Watcher(settings.mqtt_host, settings.mqtt_port, settings.neighborhood)
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
    where = f"{watcher.host}:{watcher.port}"
    if not watcher.connected.is_set():
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


def agreement(grid: WatchedGrid) -> str:
    """Whether the house topics add up to the neighborhood topic's totals."""
    published, summed = grid.totals(), grid.house_totals()
    if published is not None and same_totals(published, summed):
        return f"the {summed.houses} house topics add up to the neighborhood's totals."
    return "the house topics add up to:\n" + views.neighborhood_line(grid.neighborhood, summed)


def same_totals(a: Totals, b: Totals) -> bool:
    if (a.houses, a.devices) != (b.houses, b.devices):
        return False
    pairs = [
        (a.consumption_a, b.consumption_a),
        (a.consumption_w, b.consumption_w),
        (a.supply_a, b.supply_a),
        (a.supply_w, b.supply_w),
        (a.net_w, b.net_w),
    ]
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6) for x, y in pairs)


def live(watcher: Watcher, refresh_s: float) -> int:
    where = f"{watcher.host}:{watcher.port}"
    watcher.start()
    try:
        while True:
            height = _terminal_height()
            with watcher.lock:
                text = render(watcher.grid, where, time.time(), max_rows=max(3, height - 10))
            if not watcher.connected.is_set():
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


def render(grid: WatchedGrid, where: str, now: float, max_rows: int = MAX_HOUSE_ROWS) -> str:
    """The grid as text: server status, showHouses()' totals line, the houses, the commands."""
    lines = [f"Energrid at {where}, neighborhood {grid.neighborhood}: {server_text(grid)}"]
    totals = grid.totals()
    if totals is None and grid.summary_problem is not None:
        lines.append(f"the neighborhood topic is invalid: {grid.summary_problem}")
        return "\n".join(lines)
    if totals is None:
        lines.append("no state published yet")
        return "\n".join(lines)
    lines.append(views.neighborhood_line(grid.neighborhood, totals))
    online, listed = grid.devices_online()
    houses_online = sum(1 for h in grid.house_ids() if (grid.houses.get(h) or {}).get("online"))
    lines.append(f"Online: {houses_online} of {totals.houses} houses, {online} of {listed} devices")
    ids = grid.house_ids()
    if ids:
        rows = [house_row(grid, h, now) for h in ids[:max_rows]]
        lines.append(out.table(views.HOUSES_HEADERS, rows))
        if len(ids) > max_rows:
            lines.append(f"  ... and {len(ids) - max_rows} more houses")
    lines += command_lines(grid)
    return "\n".join(lines)


def server_text(grid: WatchedGrid) -> str:
    status = grid.status
    if status is None:
        return "server status unknown (no energrid/<n>/status)"
    if grid.server_online:
        since = status.get("since_unix_s")
        when = datetime.fromtimestamp(since).strftime("%H:%M:%S") if since else "?"
        return f"server ONLINE since {when}"
    return "server OFFLINE (its last will): the values below are its last ones"


def house_row(grid: WatchedGrid, house: int, now: float) -> list[str]:
    state = grid.houses.get(house)
    if state is None:
        # One cell per column of views.HOUSES_HEADERS; the last one says why they are empty.
        return [str(house), "?", *[out.NOTHING] * 6, "not received"]
    consumers, suppliers = state.get("consumers") or [], state.get("suppliers") or []
    return [
        str(house),
        "online" if state.get("online") else "OFFLINE",
        str(len(consumers)),
        str(len(suppliers)),
        out.amps(state.get("consumption_a")),
        out.watts(state.get("consumption_w")),
        out.watts(state.get("supply_w")),
        out.watts(state.get("net_w")),
        out.age(now, state.get("last_reading_unix_s")),
    ]


def command_lines(grid: WatchedGrid, limit: int = 5) -> list[str]:
    """The latest commands with their confirmation, newest first."""
    found = []
    listed = [key for house in grid.house_ids() for key in grid.device_keys(house)]
    for house, kind, device in listed:
        command = (grid.devices.get((house, kind, device)) or {}).get("command")
        if isinstance(command, dict):
            found.append((command.get("sent_unix_s") or 0.0, house, kind, device, command))
    found.sort(reverse=True)
    lines = []
    for _sent, house, kind, device, command in found[:limit]:
        word = ("" if kind == CONSUMER else "load ") + ("ON" if command.get("state") else "OFF")
        lines.append(f"  house {house} {kind} {device}: {word} {command.get('status')}")
    return ["Latest commands:", *lines] if lines else []
