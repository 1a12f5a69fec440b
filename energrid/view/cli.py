"""`energrid view`: serve the 3D web view until Ctrl-C, optionally opening a browser on it."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import threading
import webbrowser

from energrid.view.server import PageConfig, ViewServer
from energrid_core import auth, config
from energrid_core.config import Settings

HELP = "serve the 3D/VR web view of the grid (connects to the broker's websockets listener)"


VIEW_SETTINGS = (
    "mqtt_host",
    "ws_port",
    "ws_tls",
    "view_port",
    "neighborhood",
    "mqtt_username",
    "state_dir",
)
VIEW_HELPS = {
    "mqtt_host": "the broker's address; the page connects to it (loopback: the page's own host)",
    "ws_port": "the broker's websockets port, the one the page connects to",
    "mqtt_username": "secure profile: a client-NAME account the page logs in as (see --account)",
    "state_dir": "where a kept client password is read from",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The page connects to the broker's websockets port (--ws-port) on --mqtt-host; the "
        "settings flags work before or after `view`. "
        "Example: energrid view --open; secure profile: energrid view --account vr1"
    )
    parser.add_argument(
        "--account",
        metavar="NAME",
        default="",
        help="secure profile: log the page in as client-NAME (energrid credentials add client "
        "NAME); its password is taken from the state directory when kept there, else asked",
    )
    parser.add_argument("--open", action="store_true", help="open a browser on the view")
    # --view-port, --ws-port... after `view` too; its --help lists only the settings it uses.
    config.add_arguments(parser, in_subcommand=True, shown=VIEW_SETTINGS, helps=VIEW_HELPS)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def page_config(settings: Settings, account: str = "") -> PageConfig:
    """Where the page finds the broker, and the account it logs in with (if any)."""
    username = ""
    password = ""
    if account:
        username = auth.account("client", account).username  # a bad name: one line
        kept = auth.password_file_of(settings.state_dir, username)
        if kept.is_file():
            password = kept.read_text(encoding="utf-8").strip()
    elif settings.mqtt_username.startswith("client-"):
        username = settings.mqtt_username
    host = "" if _is_loopback(settings.mqtt_host) else settings.mqtt_host
    return PageConfig(
        host, settings.ws_port, settings.neighborhood, username, password, settings.ws_tls
    )


def open_browser(url: str) -> str:
    """Open url in a browser when one is present; the line to print either way."""
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return f"No browser found here: open {url} in one."
    return f"Opened {url} in a browser." if browser.open(url) else f"Open {url} in a browser."


def run(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    view = ViewServer(page_config(settings, args.account), settings.view_port)
    view.start()
    print(f"Energrid view on {view.url} (Ctrl-C stops it); the page connects to the broker's "
          f"websockets on port {settings.ws_port}.", flush=True)  # fmt: skip
    if args.open:
        print(open_browser(view.url), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        view.stop()
    return 0


SUBCOMMAND = (HELP, add_arguments, run)
