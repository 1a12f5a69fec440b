"""The operator's commands, with the seed's names and argument forms, over one server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from energrid.arguments import DebugFlag, command, device_type, state, whole_number
from energrid.shell import binding_commands, manage_commands, views
from energrid.shell import output as out
from energrid.shell.place_arguments import place
from energrid.shell.words import w
from energrid_core.commands.command import Command, Phase
from energrid_core.errors import BadArgumentError
from energrid_core.events import CommandChanged, ReadingApplied, WireCommand
from energrid_core.model import DeviceKind
from energrid_core.server import MAX_BATCH, GridServer

HELP = [
    ("debug(True|False)", "show live traffic and tracebacks, or stop"),
    ("help()", "this list; help(command) for one command"),
    ("exit()", "leave the shell and stop the server (Ctrl-D too)"),
    ("newHouse() / newHouse(n)", "create one house / n houses"),
    ("showHouses()", "neighborhood totals and one line per house (showHouses(page=2) ...)"),
    ("showHouse(h)", "consumers and suppliers of house h with their readings"),
    ("rmHouse(h)", "remove house h"),
    ("setHouse(h, name=..., x=..., y=...)", "name house h and place it (metres) for the 3D view"),
    ("newConsumer(h, type) / newConsumer(h, n, type)", "add 1 / n consumers to house h"),
    ("showConsumers(h) / showConsumers(h, c)", "consumers of house h / consumer c only"),
    ("setConsumer(h, c, 0|1)", "switch consumer c of house h OFF (0) or ON (1)"),
    ("rmConsumer(h, c)", "remove consumer c of house h"),
    ("newSupplier(h, type) / newSupplier(h, n, type)", "add 1 / n suppliers to house h"),
    ("showSuppliers(h) / showSuppliers(h, s)", "suppliers of house h / supplier s only"),
    ("setSupplier(h, s, 0|1)", "switch the load of supplier s of house h OFF (0) or ON (1)"),
    ("rmSupplier(h, s)", "remove supplier s of house h"),
    ("showStats()", "messages received, applied and rejected by reason"),
    *binding_commands.HELP,
    ("startDemo() / startDemo(lang='en')", "demo neighborhood with live simulated boards"),
    ("stopDemo()", "stop the demo's simulated boards (its houses stay)"),
    *manage_commands.HELP,
]


def _count_and_type(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, int, str]:
    """(h, type) or (h, n, type), the seed's two forms; the names h, n, type may be keywords."""
    total = len(args) + len(kwargs)
    if total not in (2, 3):
        raise BadArgumentError(f"expected 2 or 3 arguments, got {total}")
    names = ("h", "type") if total == 2 else ("h", "n", "type")
    unknown = set(kwargs) - set(names)
    if unknown:
        raise BadArgumentError(f"unexpected argument {sorted(unknown)[0]!r}")
    values = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name in values:
            raise BadArgumentError(f"{name} is given twice")
        values[name] = value
    house = whole_number(values["h"], "the house")
    count = whole_number(values.get("n", 1), "the number of devices", high=MAX_BATCH)
    return house, count, device_type(values["type"])


class ShellCommands:
    """Builds the shell's namespace: every command bound to one server."""

    def __init__(self, server: GridServer, demo: Callable[..., None] | None = None) -> None:
        self.server = server
        self._demo = demo
        self._debug_listener = None
        self.registry: dict[str, Callable[..., Any]] = {}
        # One line per change of a command ("House 2 consumer 1 confirmed ON in 0.3 s").
        server.bus.subscribe(CommandChanged, _print_command_notice)

    def namespace(self) -> dict[str, Callable[..., Any]]:
        names = [
            "debug",
            "help",
            "newHouse",
            "showHouses",
            "showHouse",
            "rmHouse",
            "setHouse",
            "newConsumer",
            "showConsumers",
            "setConsumer",
            "rmConsumer",
            "newSupplier",
            "showSuppliers",
            "setSupplier",
            "rmSupplier",
            "showStats",
            "startDemo",
        ]
        self.registry.update({name: getattr(self, name) for name in names})
        self.registry.update(binding_commands.BindingCommands(self.server).commands())
        self.manage = manage_commands.ManageCommands(self.server)
        self.registry.update(self.manage.namespace())
        return dict(self.registry)

    def register(self, name: str, fn: Callable[..., Any]) -> None:
        """A command added by the shell (stopDemo), so that help() knows it."""
        self.registry[name] = fn

    # --- general -----------------------------------------------------------------------------

    @command("debug(True) or debug(False)")
    def debug(self, on: bool = True) -> None:
        """Print every applied message, every rejection and tracebacks; debug(False) stops."""
        if type(on) is not bool:
            raise BadArgumentError(f"debug takes True or False, not {on!r}")
        DebugFlag.on = on
        logging.getLogger("energrid").setLevel(logging.DEBUG if on else logging.INFO)
        if on and self._debug_listener is None:
            bus = self.server.bus
            undo = [bus.subscribe(ReadingApplied, _print_message)]
            undo.append(bus.subscribe(WireCommand, _print_message))
            self._debug_listener = lambda: [each() for each in undo]
        elif not on and self._debug_listener is not None:
            self._debug_listener()
            self._debug_listener = None
        out.say(f"DEBUG mode {'ON' if on else 'OFF'}")

    @command("help() or help(command)")
    def help(self, what: Any = None) -> None:
        """List the commands; help(showHouse) or help('showHouse') explains one."""
        if isinstance(what, str):
            found = self.registry.get(what.strip().rstrip("()"))
            if found is None:
                raise BadArgumentError(f"there is no command {what!r}; help() lists them")
            what = found
        if what is not None:
            usage = getattr(what, "usage", None)
            if usage is None:
                raise BadArgumentError(f"{_short_repr(what)} is not an Energrid command")
            doc = " ".join((what.__doc__ or "").split())
            out.say(f"{usage}\n  {doc}" if doc else usage)
            return
        width = max(len(form) for form, _ in HELP)
        lines = ["Energrid commands (houses, consumers and suppliers are numbered from 1):"]
        lines += [f"  {form:<{width}}  {text}" for form, text in HELP]
        out.say("\n".join(lines))

    # --- houses ------------------------------------------------------------------------------

    @command("newHouse() or newHouse(n)")
    def newHouse(self, n: int = 1) -> None:
        """Create n houses (1 by default), numbered after the last one."""
        houses = self.server.new_houses(whole_number(n, "the number of houses", high=MAX_BATCH))
        ids = [h.identifier for h in houses]
        what = f"house {ids[0]}" if len(ids) == 1 else f"houses {ids[0]}..{ids[-1]}"
        out.say(f"Created {what}.")

    @command("showHouses() or showHouses(page=N)")
    def showHouses(self, page: int = 1) -> None:
        """Neighborhood totals and one line per house."""
        page = whole_number(page, "the page")
        out.say(self.server.read(lambda g: views.houses_page(g, page)))

    @command("showHouse(h)")
    def showHouse(self, h: int) -> None:
        """Every consumer and supplier of house h with its last reading."""
        whole_number(h, "the house")
        out.say(self.server.read(lambda g: views.house_page(g, h)))

    @command("setHouse(h, name='Mairie', x=0, y=14)")
    def setHouse(self, h: int, name: Any = None, x: Any = None, y: Any = None) -> None:
        """Name house h and place it for the 3D view, in metres east (x) and south (y) of
        the centre; saved with the grid. Without x and y it stays in the automatic layout."""
        number = whole_number(h, "the house")
        name_, x_m, y_m = place(name, x, y)
        house = self.server.set_house(number, name_, x_m, y_m)
        where = (
            "automatic layout" if house.x_m is None else f"at x={house.x_m:g} m, y={house.y_m:g} m"
        )
        out.say(f"House {number}: {house.name or f'House {number}'}, {where}.")

    @command("rmHouse(h)")
    def rmHouse(self, h: int) -> None:
        """Remove house h with all its devices."""
        house = self.server.rm_house(whole_number(h, "the house"))
        devices = len(house.consumers) + len(house.suppliers)
        out.say(f"Removed house {h} and its {_plural(devices, 'device')}.")

    # --- consumers ---------------------------------------------------------------------------

    @command("newConsumer(h, type) or newConsumer(h, n, type)")
    def newConsumer(self, *args: Any, **kwargs: Any) -> None:
        """Add consumers of a type ('LED', 'Lamp', 'Frigo'...) to house h."""
        house, count, type_ = _count_and_type(args, kwargs)
        made = self.server.new_consumers(house, count, type_)
        out.say(_created(DeviceKind.CONSUMER, made, house, type_))

    @command("showConsumers(h) or showConsumers(h, c)")
    def showConsumers(self, h: int, c: int | None = None) -> None:
        """The consumers of house h, or only consumer c."""
        whole_number(h, "the house")
        one = None if c is None else whole_number(c, "the consumer")
        out.say(self.server.read(lambda g: views.consumers_page(g, h, one)))

    @command("setConsumer(h, c, 0|1)")
    def setConsumer(self, h: int, c: int, value: int) -> None:
        """Switch consumer c of house h ON (1) or OFF (0) by publishing .../Consumer/<c>/set."""
        wanted = state(value)
        event = self.server.set_consumer(
            whole_number(h, "the house"), whole_number(c, "the consumer"), wanted
        )
        out.say(command_result(event) + binding_commands.plug_note(self.server, h, c))

    @command("rmConsumer(h, c)")
    def rmConsumer(self, h: int, c: int) -> None:
        """Remove consumer c from house h."""
        self.server.rm_consumer(whole_number(h, "the house"), whole_number(c, "the consumer"))
        out.say(f"Removed consumer {c} of house {h}.")

    # --- suppliers ---------------------------------------------------------------------------

    @command("newSupplier(h, type) or newSupplier(h, n, type)")
    def newSupplier(self, *args: Any, **kwargs: Any) -> None:
        """Add suppliers of a type ('Solar Panel', 'Wind Turbine'...) to house h."""
        house, count, type_ = _count_and_type(args, kwargs)
        made = self.server.new_suppliers(house, count, type_)
        out.say(_created(DeviceKind.SUPPLIER, made, house, type_))

    @command("showSuppliers(h) or showSuppliers(h, s)")
    def showSuppliers(self, h: int, s: int | None = None) -> None:
        """The suppliers of house h, or only supplier s."""
        whole_number(h, "the house")
        one = None if s is None else whole_number(s, "the supplier")
        out.say(self.server.read(lambda g: views.suppliers_page(g, h, one)))

    @command("setSupplier(h, s, 0|1)")
    def setSupplier(self, h: int, s: int, value: int) -> None:
        """Switch supplier s's load side by publishing .../Supplier/<s>/booleanLoad."""
        wanted = state(value)
        event = self.server.set_supplier(
            whole_number(h, "the house"), whole_number(s, "the supplier"), wanted
        )
        out.say(command_result(event))

    @command("rmSupplier(h, s)")
    def rmSupplier(self, h: int, s: int) -> None:
        """Remove supplier s from house h."""
        self.server.rm_supplier(whole_number(h, "the house"), whole_number(s, "the supplier"))
        out.say(f"Removed supplier {s} of house {h}.")

    # --- the rest ----------------------------------------------------------------------------

    @command("showStats()")
    def showStats(self) -> None:
        """Messages received, readings applied, rejections by reason and the last ones rejected."""
        stats = self.server.stats_snapshot()
        link = self.server.connection_status()
        state_text = f"{w('connected') if link.connected else w('NOT connected')} ({link.address})"
        counts = self.server.command_counts()
        published = self.server.state_counts()
        extra = [
            w(
                "connection",
                connects=link.connects,
                disconnects=link.disconnects,
                failed=link.connect_failures,
                duplicates=link.duplicates_dropped,
                restarts=link.loop_restarts,
            ),
            w(
                "server commands",
                sent=counts.sent,
                waiting=counts.waiting,
                expired=counts.expired,
                refused=counts.refused,
                confirmed=counts.confirmed,
                unconfirmed=counts.unconfirmed,
            ),
            w(
                "state topics",
                published=published.published,
                changes=published.changes,
                flushes=published.flushes,
                cleared=published.cleared,
            ),
        ]
        out.say(views.stats_view(stats, self.server.clock(), state_text, extra))

    @command("startDemo() or startDemo(lang='en')")
    def startDemo(self, *args: Any, **kwargs: Any) -> None:
        """Build the demo neighborhood, narrated in French (lang='en': English), and start
        simulated boards that publish its readings."""
        if self._demo is None:
            raise BadArgumentError("no demo is available in this shell")
        self._demo(*args, **kwargs)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def command_result(command: Command) -> str:
    """What setConsumer/setSupplier print: sent, or queued until the broker is back."""
    c = command
    what = f"{c.state} ({out.on_off(c.state)})"
    if c.phase is Phase.SENT:
        return f"Sent {what} to {c.topic}"
    ttl = max(0, round(c.expires_at - c.created))
    also = f" ({c.detail})" if c.detail else ""
    return (
        f"Queued: the broker is not connected; {what} for {c.topic} will be sent when it is "
        f"back, if within {ttl} s{also}"
    )


def _print_command_notice(event: CommandChanged) -> None:
    if event.notice is not None:
        out.say(event.notice)


def _created(kind: str, made: list, house: int, type_: str) -> str:
    ids = [d.identifier for d in made]
    which = f"{kind} {ids[0]}" if len(ids) == 1 else f"{kind}s {ids[0]}..{ids[-1]}"
    return f"Created {which} ({out.printable(type_)}) in house {house}."


def _print_message(event: ReadingApplied | WireCommand) -> None:
    house = event.house
    if isinstance(event, WireCommand):
        command_seen = event.command
        kind = DeviceKind.of(command_seen.supplier)
        out.say(f"[debug] house {house} {kind} {command_seen.device}: set {command_seen.state}")
        return
    decoded = event.decoded
    parts = [f"c{r.device}={r.current_a:.2f}A" for r in decoded.consumers]
    for r in decoded.suppliers:
        values = " ".join(f"{name}={value:g}" for name, value in r.values.items())
        parts.append(f"s{r.device}({values})")
    out.say(f"[debug] house {house}: " + " ".join(parts))
