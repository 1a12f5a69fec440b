"""The operator's commands, with the seed's names and argument forms, over one server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from energrid.arguments import (
    DebugFlag,
    command,
    description,
    device_type,
    shown_usage,
    state,
    whole_number,
)
from energrid.shell import binding_commands, manage_commands, views, words
from energrid.shell import output as out
from energrid.shell.place_arguments import place
from energrid.shell.words import w
from energrid_core.commands.command import Command, Phase
from energrid_core.errors import BadArgumentError
from energrid_core.events import CommandChanged, ReadingApplied, WireCommand
from energrid_core.model import DeviceKind
from energrid_core.notes import device
from energrid_core.server import MAX_BATCH, GridServer

# (how it is typed, the words-catalogue id of what it does): help()'s list, worded when shown.
HELP = [
    ("debug(True|False)", "help.debug"),
    ("help()", "help.help"),
    ("exit()", "help.exit"),
    ("newHouse() / newHouse(n)", "help.newHouse"),
    ("showHouses()", "help.showHouses"),
    ("showHouse(h)", "help.showHouse"),
    ("rmHouse(h)", "help.rmHouse"),
    ("setHouse(h, name=..., x=..., y=...)", "help.setHouse"),
    ("newConsumer(h, type) / newConsumer(h, n, type)", "help.newConsumer"),
    ("showConsumers(h) / showConsumers(h, c)", "help.showConsumers"),
    ("setConsumer(h, c, 0|1)", "help.setConsumer"),
    ("rmConsumer(h, c)", "help.rmConsumer"),
    ("newSupplier(h, type) / newSupplier(h, n, type)", "help.newSupplier"),
    ("showSuppliers(h) / showSuppliers(h, s)", "help.showSuppliers"),
    ("setSupplier(h, s, 0|1)", "help.setSupplier"),
    ("rmSupplier(h, s)", "help.rmSupplier"),
    ("showStats()", "help.showStats"),
    *binding_commands.HELP,
    ("startDemo() / startDemo(lang='en')", "help.startDemo"),
    ("stopDemo()", "help.stopDemo"),
    *manage_commands.HELP,
]


def _count_and_type(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, int, str]:
    """(h, type) or (h, n, type), the seed's two forms; the names h, n, type may be keywords."""
    total = len(args) + len(kwargs)
    if total not in (2, 3):
        raise BadArgumentError(w("error.arguments count", low=2, high=3, n=total))
    names = ("h", "type") if total == 2 else ("h", "n", "type")
    unknown = set(kwargs) - set(names)
    if unknown:
        raise BadArgumentError(w("error.unexpected argument", name=sorted(unknown)[0]))
    values = dict(zip(names, args, strict=False))
    for name, value in kwargs.items():
        if name in values:
            raise BadArgumentError(w("error.given twice", name=name))
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
        # One line per change of a command ("House 2 consumer 1 confirmed ON in 0.3 s"), worded
        # as it is printed (in the network thread): in the language of that moment.
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
            raise BadArgumentError(w("error.true or false", command="debug", value=_short_repr(on)))
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
        out.say(w("debug mode", state="ON" if on else "OFF"))

    @command("help() or help(command)")
    def help(self, what: Any = None) -> None:
        """List the commands; help(showHouse) or help('showHouse') explains one."""
        if isinstance(what, str):
            found = self.registry.get(what.strip().rstrip("()"))
            if found is None:
                raise BadArgumentError(w("error.no command", what=_short_repr(what)))
            what = found
        if what is not None:
            usage = getattr(what, "usage", None)
            if usage is None:
                raise BadArgumentError(w("error.not a command", what=_short_repr(what)))
            doc = description(what)
            out.say(f"{shown_usage(usage)}\n  {doc}" if doc else shown_usage(usage))
            return
        width = max(len(form) for form, _ in HELP)
        lines = [w("help head")]
        lines += [f"  {form:<{width}}  {w(key)}" for form, key in HELP]
        out.say("\n".join(lines))

    # --- houses ------------------------------------------------------------------------------

    @command("newHouse() or newHouse(n)")
    def newHouse(self, n: int = 1) -> None:
        """Create n houses (1 by default), numbered after the last one."""
        houses = self.server.new_houses(whole_number(n, "the number of houses", high=MAX_BATCH))
        ids = [h.identifier for h in houses]
        if len(ids) == 1:
            out.say(w("created house", h=ids[0]))
        else:
            out.say(w("created houses", a=ids[0], b=ids[-1]))

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
        if house.x_m is None:
            where = w("automatic layout")
        else:
            where = w("placed at", x=f"{house.x_m:g}", y=f"{house.y_m:g}")
        name_shown = out.printable(house.name) if house.name else w("House n", h=number)
        out.say(w("house placed", h=number, name=name_shown, where=where))

    @command("rmHouse(h)")
    def rmHouse(self, h: int) -> None:
        """Remove house h with all its devices."""
        house = self.server.rm_house(whole_number(h, "the house"))
        devices = len(house.consumers) + len(house.suppliers)
        out.say(w("removed house", h=h, devices=words.plural(devices, "n device")))

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
        out.say(w("removed consumer", c=c, h=h))

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
        out.say(w("removed supplier", s=s, h=h))

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
            raise BadArgumentError(w("error.no demo"))
        self._demo(*args, **kwargs)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def command_result(command: Command) -> str:
    """What setConsumer/setSupplier print: sent, or queued until the broker is back."""
    c = command
    what = f"{c.state} ({out.on_off(c.state)})"
    if c.phase is Phase.SENT:
        return w("sent", what=what, topic=c.topic)
    ttl = max(0, round(c.expires_at - c.created))
    if c.detail:
        return w("queued why", what=what, topic=c.topic, ttl=ttl, detail=c.detail)
    return w("queued", what=what, topic=c.topic, ttl=ttl)


def _print_command_notice(event: CommandChanged) -> None:
    if event.notice is not None:
        out.say(words.say(event.notice))


def _created(kind: str, made: list, house: int, type_: str) -> str:
    ids = [d.identifier for d in made]
    type_shown = out.printable(type_)
    if len(ids) == 1:
        return w(f"created {kind}", i=ids[0], type=type_shown, h=house)
    return w(f"created {kind}s", a=ids[0], b=ids[-1], type=type_shown, h=house)


def _print_message(event: ReadingApplied | WireCommand) -> None:
    house = event.house
    if isinstance(event, WireCommand):
        command_seen = event.command
        kind = DeviceKind.of(command_seen.supplier)
        head = device(house, kind, command_seen.device)
        out.say(w("debug command", head=head, state=command_seen.state))
        return
    decoded = event.decoded
    parts = [f"c{r.device}={r.current_a:.2f}A" for r in decoded.consumers]
    for r in decoded.suppliers:
        values = " ".join(f"{name}={value:g}" for name, value in r.values.items())
        parts.append(f"s{r.device}({values})")
    out.say(w("debug reading", h=house, readings=" ".join(parts)))
