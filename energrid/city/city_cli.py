"""`energrid city`: every neighborhood of a city, from the city broker's bridged state topics.

    energrid city --mqtt-host CITY [--mqtt-port P]       live view, redrawn; Ctrl-C quits
    energrid city --once                                 print it once the retained state is in
    energrid city --set N H C 0|1                        switch consumer C of house H of
                                                         neighborhood N, and wait for it to confirm
    energrid city --set-supplier N H S 0|1               the same for a supplier's load

The settings flags (--mqtt-host, --mqtt-port, --mqtt-username, --mqtt-tls-ca ...) name the city
broker, before or after `city`.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time

from energrid.city import city_command
from energrid.city.city_client import CityClient
from energrid.city.city_command import CityCommand
from energrid.city.city_view import render
from energrid_core import config
from energrid_core.auth import read_password
from energrid_core.errors import BadArgumentError
from energrid_core.state.topics import CONSUMER, SUPPLIER
from energrid_core.topics import MAX_ID

HELP = "every neighborhood of a city, from the city broker; --set switches a device of any of them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The settings flags (--mqtt-host, --mqtt-port, --mqtt-username, ...) name the city broker. "
        "Example: energrid city --mqtt-host city.example --once"
    )
    parser.add_argument("--once", action="store_true", help="print the city once and exit")
    parser.add_argument(
        "--set",
        nargs=4,
        type=int,
        metavar=("N", "H", "C", "STATE"),
        help="switch consumer C of house H of neighborhood N off (0) or on (1)",
    )
    parser.add_argument(
        "--set-supplier",
        nargs=4,
        type=int,
        metavar=("N", "H", "S", "STATE"),
        help="switch the load of supplier S of house H of neighborhood N off (0) or on (1)",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=5.0,
        metavar="S",
        help="how long to wait for the city broker and its retained state (5)",
    )
    parser.add_argument(
        "--refresh-s", type=float, default=0.5, metavar="S", help="redraw period (0.5)"
    )
    config.add_arguments(parser, in_subcommand=True)


def parse_command(args: argparse.Namespace) -> CityCommand | None:
    if args.set and args.set_supplier:
        raise BadArgumentError("give --set or --set-supplier, not both")
    values, kind = (args.set, CONSUMER) if args.set else (args.set_supplier, SUPPLIER)
    if not values:
        return None
    n, house, device, state = values
    flag = "--set" if kind == CONSUMER else "--set-supplier"
    if not 0 <= n <= MAX_ID or not 1 <= house <= MAX_ID or not 1 <= device <= MAX_ID:
        raise BadArgumentError(
            f"{flag} N H D STATE: neighborhood from 0, house and {kind} from 1 (to {MAX_ID})"
        )
    if state not in (0, 1):
        raise BadArgumentError(f"{flag}: the state is 0 (off) or 1 (on), not {state}")
    return CityCommand(n, house, kind, device, state)


def run(args: argparse.Namespace) -> int:
    settings: config.Settings = args.settings
    for name in ("timeout_s", "refresh_s"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            raise BadArgumentError(f"--{name.replace('_', '-')} must be more than 0, not {value}")
    command = parse_command(args)
    username = settings.mqtt_username
    password = read_password(username, settings.mqtt_password_file, settings.state_dir)
    client = CityClient(
        settings.mqtt_host,
        settings.mqtt_port,
        username or None,
        password,
        settings.mqtt_tls_ca or None,
    )
    client.start()
    try:
        if command is not None:
            outcome = city_command.send(
                client, command, settings.confirm_timeout_s, settings.command_ttl_s, args.timeout_s
            )
            print(outcome.text, file=sys.stdout if outcome.ok else sys.stderr)
            return 0 if outcome.ok else 1
        if args.once:
            return once(client, args.timeout_s)
        return live(client, args.refresh_s)
    finally:
        client.stop()


def once(client: CityClient, timeout_s: float) -> int:
    started = time.monotonic()
    synced = client.sync(timeout_s)
    elapsed_s = time.monotonic() - started
    if not client.connected.is_set():
        if client.refusal is not None:
            print(f"energrid city: {client.refusal_text()}", file=sys.stderr)
        else:
            print(
                f"energrid city: could not connect to the city broker at {client.where}",
                file=sys.stderr,
            )
        return 1
    with client.lock:
        if not client.city.neighborhoods():
            print(
                f"energrid city: no neighborhood on the city broker at {client.where}: is a "
                "neighborhood's broker bridged to it (energrid bridge)?",
                file=sys.stderr,
            )
            return 1
        text = render(client.city, client.where)
    print(text)
    if not synced:
        print(client.no_echo_text(timeout_s))
        return 1
    print(f"Read from retained messages in {elapsed_s:.3f} s.")
    return 0


def live(client: CityClient, refresh_s: float) -> int:
    try:
        while True:
            with client.lock:
                text = render(client.city, client.where)
            if not client.connected.is_set() and client.refusal is not None:
                text = f"{client.refusal_text()}; retrying\n" + text
            elif not client.connected.is_set():
                text = f"connecting to the city broker at {client.where}...\n" + text
            rows = shutil.get_terminal_size((100, 40)).lines
            body = "\n".join(text.splitlines()[: max(3, rows - 3)])
            footer = "Ctrl-C quits; energrid city --set N H C 0|1 switches a device"
            sys.stdout.write("\x1b[H\x1b[2J" + body + "\n" + footer + "\n")
            sys.stdout.flush()
            time.sleep(refresh_s)
    except KeyboardInterrupt:
        return 0
