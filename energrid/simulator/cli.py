"""`energrid sim`: simulated house boards on any broker, until SIGINT (or --count, --duration)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time

from energrid.shell.output import plural
from energrid.simulator.accounts import sim_accounts
from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock
from energrid.simulator.plugs import FLAVOURS as PLUG_FLAVOURS
from energrid.simulator.plugs import SimPlug, default_names
from energrid.simulator.status import boards_connected
from energrid.simulator.table import (
    DEFAULT_CONSUMER_TYPES,
    DEFAULT_SUPPLIER_TYPES,
    UNKNOWN_SUPPLIER,
    spec_for,
)
from energrid.simulator.wire import WireFormat
from energrid_core import config
from energrid_core.adapters.flavours import device_id
from energrid_core.errors import BadArgumentError
from energrid_core.topics import MAX_ID

log = logging.getLogger("energrid.sim")

HELP = "run simulated house boards that publish readings and obey commands"
MAX_HOUSES = 100_000
MAX_DEVICES = 1_000
FORMATS = ("legacy", "device", "mixed")
CONNECT_WAIT_S = 5.0  # how long the start waits for every board before saying how many are up


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The server applies readings only to houses and devices its operator created: "
        "--print-setup prints the shell commands that create them. "
        "Example: energrid --mqtt-port 1883 sim --houses 50 --consumers 5 --period 1"
    )
    add = parser.add_argument
    add("--houses", type=int, default=2, help="number of houses (default 2)")
    add("--first-house", type=int, default=1, help="number of the first house (default 1)")
    add("--consumers", type=int, default=3, help="consumers per house (default 3)")
    add("--suppliers", type=int, default=1, help="suppliers per house (default 1)")
    default_types = ",".join(DEFAULT_CONSUMER_TYPES + DEFAULT_SUPPLIER_TYPES)
    add(
        "--types",
        default=default_types,
        help="comma-separated device types; consumers and suppliers each cycle through theirs "
        f"(default {default_types}; docs/simulator.md lists what each does)",
    )
    add(
        "--format",
        choices=FORMATS,
        default="legacy",
        help="legacy batch messages, per-device messages, or mixed: odd houses legacy, "
        "even houses per-device (default legacy)",
    )
    add(
        "--flavour",
        choices=("energrid", *PLUG_FLAVOURS),
        default="energrid",
        help="energrid: house boards (default); tasmota or shelly: smart plugs speaking their "
        "vendor's MQTT topics, to bind with bindDevice (--device names them)",
    )
    add(
        "--device",
        action="append",
        default=None,
        help="a plug's MQTT name (Tasmota topic, Shelly id; a Gen1 Shelly 'shellies/<id>'); "
        "repeat for several (default: --plugs names of their own)",
    )
    add("--plugs", type=int, default=1, help="plugs to simulate without --device (default 1)")
    add("--period", type=float, default=1.0, help="seconds between readings (default 1)")
    add(
        "--time-factor",
        type=float,
        default=1.0,
        help="simulated seconds per real second: 1440 passes a day in a minute (default 1)",
    )
    add("--start-hour", type=float, default=10.0, help="simulated time of day at the start")
    add("--seed", type=int, default=1, help="seed of the randomness (default 1)")
    add(
        "--houses-per-client",
        type=int,
        default=1,
        help="houses sharing one MQTT connection: 1 as real boards (default); more for fleets "
        "of thousands, which would otherwise need a connection and a thread per house",
    )
    add("--qos", type=int, choices=(0, 1, 2), default=1, help="QoS of the readings (default 1)")
    bounded = parser.add_mutually_exclusive_group()
    bounded.add_argument("--duration", type=float, help="stop after this many seconds")
    bounded.add_argument("--count", type=int, help="stop after this many readings per house")
    add(
        "--secure",
        action="store_true",
        help="secure profile: each house connects as its own account house-<h>, with the password "
        "`energrid credentials add house <h> --keep-password` kept in the state directory",
    )
    add(
        "--print-setup",
        action="store_true",
        help="print the shell commands that create these houses and devices, then exit",
    )
    config.add_arguments(parser, in_subcommand=True)


def _check(value: float, low: float, high: float, what: str) -> None:
    if not low <= value <= high:
        raise BadArgumentError(f"{what} must be {low:g}..{high:g}, not {value:g}")


def split_types(text: str) -> tuple[list[str], list[str]]:
    """'Lamp,Frigo,Solar Panel' -> (consumer types, supplier types), in the order given."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or any(len(name) > 100 for name in names):
        raise BadArgumentError("--types needs comma-separated type names of 100 characters or less")
    suppliers = [name for name in names if spec_for(name, supplier=True) is not UNKNOWN_SUPPLIER]
    consumers = [name for name in names if name not in suppliers]
    return consumers, suppliers


def build_houses(args: argparse.Namespace, settings: config.Settings) -> list[SimHouse]:
    """The houses `energrid sim` simulates, from its flags; a bad flag raises BadArgumentError."""
    _check(args.houses, 1, MAX_HOUSES, "--houses")
    _check(args.first_house, 1, MAX_ID - args.houses + 1, "--first-house")
    _check(args.consumers, 0, MAX_DEVICES, "--consumers")
    _check(args.suppliers, 0, MAX_DEVICES, "--suppliers")
    _check(args.period, 0.01, 3600, "--period")
    _check(args.houses_per_client, 1, MAX_HOUSES, "--houses-per-client")
    if args.count is not None:
        _check(args.count, 1, 10**9, "--count")
    if args.duration is not None:
        _check(args.duration, 0.01, 10**9, "--duration")
    consumer_types, supplier_types = split_types(args.types)
    if args.consumers and not consumer_types:
        raise BadArgumentError(f"--types names no consumer type for --consumers {args.consumers}")
    if args.suppliers and not supplier_types:
        raise BadArgumentError(f"--types names no supplier type for --suppliers {args.suppliers}")
    consumers = [consumer_types[i % len(consumer_types)] for i in range(args.consumers)]
    suppliers = [supplier_types[i % len(supplier_types)] for i in range(args.suppliers)]
    houses = []
    for number in range(args.first_house, args.first_house + args.houses):
        if args.format == "mixed":
            wire = WireFormat.LEGACY if number % 2 else WireFormat.DEVICE
        else:
            wire = WireFormat(args.format)
        houses.append(
            SimHouse(
                number,
                consumers,
                suppliers,
                wire,
                args.seed,
                settings.neighborhood,
                settings.calibration,
                settings.mains_voltage_v,
            )
        )
    return houses


def setup_commands(houses: list[SimHouse]) -> str:
    """Shell commands creating the houses and devices of a run (all houses have the same ones)."""
    first, last = houses[0].number, houses[-1].number
    lines = [f"# houses {first}..{last} must be the next ones the shell creates"]
    lines.append(f"newHouse({len(houses)})")
    calls = [f"newConsumer(h, {t!r})" for t in houses[0].consumer_types]
    calls += [f"newSupplier(h, {t!r})" for t in houses[0].supplier_types]
    if calls:
        lines.append(f"for h in range({first}, {last + 1}):")
        lines += [f"    {call}" for call in calls]
        lines.append("")
    return "\n".join(lines)


def build_plugs(args: argparse.Namespace) -> list[SimPlug]:
    """The plugs of `energrid sim --flavour tasmota|shelly`."""
    _check(args.plugs, 1, MAX_DEVICES, "--plugs")
    names = args.device or default_names(args.flavour, args.plugs, args.seed)
    consumer_types, _suppliers = split_types(args.types)
    types = consumer_types or ["Lampe"]
    return [
        SimPlug(args.flavour, device_id(args.flavour, name), types[i % len(types)], args.seed)
        for i, name in enumerate(names)
    ]


def run_plug_sim(args: argparse.Namespace, settings: config.Settings) -> int:
    plugs = build_plugs(args)
    if args.print_setup:
        print(
            "# Each plug feeds a consumer of house 1, numbered from 1: paste these into a house 1\n"
            "# that has no consumers yet. Where it has some, newConsumer prints the number it\n"
            "# gave: bind that one (bindDevice(1, <that number>, ...)) instead."
        )
        for i, plug in enumerate(plugs, 1):
            print(f"newConsumer(1, {plug.load_type!r})")
            print(f"bindDevice(1, {i}, {plug.flavour!r}, {plug.device!r})")
        return 0
    _check(args.period, 0.01, 3600, "--period")
    if args.secure:
        raise BadArgumentError("--secure is for house boards; plugs log in anonymously here")
    from energrid.app import setup_logging
    from energrid.simulator.plug_client import PlugClient, run_plugs  # paho only when it runs

    setup_logging(settings.log_level, sys.stderr, timestamps=True)  # as the boards' sim logs

    clients = [
        PlugClient(
            plug,
            settings.mqtt_host,
            settings.mqtt_port,
            settings.keepalive_s,
            settings.mqtt_tls_ca or None,
            lambda what: log.info("obeyed %s", what),
        )
        for plug in plugs
    ]
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: stop.set())
    names = ", ".join(f"{p.device} ({p.load_type})" for p in plugs)
    where = f"{settings.mqtt_host}:{settings.mqtt_port}"
    log.info("simulating %s plugs on %s: %s; Ctrl-C stops", args.flavour, where, names)
    try:
        rounds = run_plugs(clients, args.period, stop, args.duration, args.time_factor)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sent = sum(c.published for c in clients)
    log.info("stopped: %s, %s published", plural(rounds, "report round"), plural(sent, "message"))
    return 0


def run(args: argparse.Namespace) -> int:
    settings: config.Settings = args.settings
    if args.flavour != "energrid":
        return run_plug_sim(args, settings)
    houses = build_houses(args, settings)
    if args.print_setup:
        print(setup_commands(houses))
        return 0
    _check(args.start_hour, 0, 24, "--start-hour")
    try:
        clock = SimClock(args.time_factor, args.start_hour * 3600.0)
    except ValueError as exc:
        raise BadArgumentError(f"--time-factor: {exc}") from None
    numbers = [house.number for house in houses]
    accounts = sim_accounts(settings, numbers, args.secure, args.houses_per_client)
    from energrid.app import setup_logging
    from energrid.simulator.fleet import BoardFleet, FleetOptions  # paho only when it runs

    setup_logging(settings.log_level, sys.stderr, timestamps=True)  # as --headless logs

    options = FleetOptions(
        settings.mqtt_host,
        settings.mqtt_port,
        args.period,
        args.qos,
        args.houses_per_client,
        settings.keepalive_s,
        accounts=accounts,
        tls_ca=settings.mqtt_tls_ca or None,
    )
    fleet = BoardFleet(houses, clock, options, lambda what: log.info("obeyed %s", what))
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: fleet.request_stop())
    devices = args.houses * (args.consumers + args.suppliers)
    where = f"{settings.mqtt_host}:{settings.mqtt_port}"
    log.info(
        "simulating %s (%s, %s format) on %s, neighborhood %d: a reading every %gs, time factor "
        "%g, seed %d, %s; Ctrl-C stops",
        plural(args.houses, "house"),
        plural(devices, "device"),
        args.format,
        where,
        settings.neighborhood,
        args.period,
        args.time_factor,
        args.seed,
        plural(len(fleet.clients), "MQTT connection"),
    )
    log.info("the server applies readings only to houses it knows: --print-setup shows how")
    started = time.monotonic()
    # --duration bounds the whole run, the wait for the connections included.
    wait_s = CONNECT_WAIT_S if args.duration is None else min(CONNECT_WAIT_S, args.duration)
    try:
        all_up = fleet.start(wait_s)
        text = boards_connected(fleet.status.reported, len(fleet.clients))
        if all_up:
            log.info("%s to %s", _capital(text), where)
        else:
            trying = "they keep" if len(fleet.clients) > 1 else "it keeps"
            log.warning("%s to %s so far; %s trying", _capital(text), where, trying)
        remaining_s = None
        if args.duration is not None:
            remaining_s = max(0.0, args.duration - (time.monotonic() - started))
        fleet.run(args.count, remaining_s)
    finally:
        fleet.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    c = fleet.counters
    log.info(
        "stopped: %s, %s published, %d not sent while offline, %s obeyed, %s skipped",
        plural(c.readings, "reading"),
        plural(c.messages, "message"),
        c.offline,
        plural(c.commands, "command"),
        plural(c.late, "slot"),
    )
    return 0


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


SUBCOMMAND = (HELP, add_arguments, run)
