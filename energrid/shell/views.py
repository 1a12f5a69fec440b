"""The grid as text for the shell: pure functions, called under the server's lock (through
`GridServer.read`, which hands them a `GridView`)."""

from __future__ import annotations

from collections.abc import Sequence

from energrid.shell import output as out
from energrid.shell.words import headers, plural, w
from energrid_core.availability import is_online
from energrid_core.commands.command import Command
from energrid_core.errors import BadArgumentError
from energrid_core.grid_view import CommandLookup, GridView
from energrid_core.model import Consumer, DeviceKind, House, Neighborhood, Supplier
from energrid_core.state.payloads import Totals, grid_totals
from energrid_core.stats import IngestStats

PAGE_SIZE = 50
OFFLINE_AFTER_S = 30.0  # the default of --offline-after-s

CONSUMER_HEADERS = ("#", "type", "online", "state", "current", "power", "commanded", "last reading")
SUPPLIER_HEADERS = (
    "#",
    "type",
    "online",
    "load",
    "pv V",
    "pv A",
    "load V",
    "load A",
    "batt V",
    "batt A",
    "charge",
    "supply",
    "commanded",
    "last reading",
)


def online_text(last_seen: float | None, now: float, offline_after_s: float) -> str:
    return w("ONLINE") if is_online(last_seen, now, offline_after_s) else w("OFFLINE")


PHASE_WORDS = ("confirmed", "expired", "refused", "cancelled")  # translated in energrid.shell.words


def command_status(state: int, phase: str, shows: int | None, obeyed: bool | None) -> str:
    """A command and what became of it, as the commanded column and `watch` show it:
    'OFF (confirmed)', 'OFF (device ON: not obeyed)', 'ON (pending)'..."""
    word = out.on_off(state)
    if obeyed is False:
        return f"{word} ({w('not obeyed', state=out.on_off(shows))})"
    if phase == "queued":
        return f"{word} ({w('waiting for the broker')})"
    if phase in ("sent", "delivered"):
        return f"{word} ({w('pending')})"
    if phase == "unconfirmed":
        return f"{word} ({w('no answer')})"
    return f"{word} ({w(phase) if phase in PHASE_WORDS else phase})"


def commanded_text(
    commanded: int | None, command: Command | None, device_on: bool | None = None
) -> str:
    """The commanded column: the last command with its fate, or the saved commanded state.

    device_on: what the device's last reading showed. Where no command is worked on any more
    (settled before a restart, or confirmed and switched by hand since), a device that shows
    the other state is said, so that a bare 'OFF' never stands beside a device that is ON.
    """
    differs = device_on is not None and commanded is not None and int(device_on) != commanded
    if command is None or (differs and command.phase.value == "confirmed"):
        text = out.on_off(commanded)
        return (
            f"{text} ({w('device shows', state=out.on_off(int(device_on)))})" if differs else text
        )
    shows = None if command.shown is None else int(command.shown)
    obeyed = False if command.not_obeyed else None
    text = command_status(command.state, command.phase.value, shows, obeyed)
    if command.phase.value in ("expired", "refused", "cancelled") and commanded is not None:
        return f"{out.on_off(commanded)}; {text}"  # it never went out: the older one stands
    return text


def _no_commands(_house: int, _kind: str, _device: int) -> Command | None:
    return None


def consumer_row(
    c: Consumer,
    now: float,
    mains_v: float,
    offline_after_s: float = OFFLINE_AFTER_S,
    commands: CommandLookup = _no_commands,
) -> list[str]:
    current = c.current_a.last
    return [
        str(c.identifier),
        c.type,
        online_text(c.last_seen, now, offline_after_s),
        out.on_off(c.on),
        out.amps(current),
        out.watts(None if current is None else c.power_w(mains_v)),
        commanded_text(c.commanded, commands(c.house, DeviceKind.CONSUMER, c.identifier), c.on),
        out.age(now, c.last_seen),
    ]


def supplier_row(
    s: Supplier,
    now: float,
    offline_after_s: float = OFFLINE_AFTER_S,
    commands: CommandLookup = _no_commands,
) -> list[str]:
    return [
        str(s.identifier),
        s.type,
        online_text(s.last_seen, now, offline_after_s),
        out.on_off(s.load_on),
        out.volts(s.value("pv_voltage_v")),
        out.amps(s.value("pv_current_a")),
        out.volts(s.value("load_voltage_v")),
        out.amps(s.value("load_current_a")),
        out.volts(s.value("battery_voltage_v")),
        out.amps(s.value("battery_current_a")),
        out.percent(s.value("battery_remaining_pct")),
        out.watts(s.supply_w if s.value("load_voltage_v") is not None else None),
        commanded_text(
            s.commanded, commands(s.house, DeviceKind.SUPPLIER, s.identifier), s.load_on
        ),
        out.age(now, s.last_seen),
    ]


def consumers_table(
    devices: list[Consumer],
    now: float,
    mains_v: float,
    offline_after_s: float = OFFLINE_AFTER_S,
    commands: CommandLookup = _no_commands,
) -> str:
    if not devices:
        return w("no consumers")
    rows = [consumer_row(c, now, mains_v, offline_after_s, commands) for c in devices]
    return out.table(headers(CONSUMER_HEADERS), rows)


def suppliers_table(
    devices: list[Supplier],
    now: float,
    offline_after_s: float = OFFLINE_AFTER_S,
    commands: CommandLookup = _no_commands,
) -> str:
    if not devices:
        return w("no suppliers")
    rows = [supplier_row(s, now, offline_after_s, commands) for s in devices]
    return out.table(headers(SUPPLIER_HEADERS), rows)


def house_summary(
    h: House, now: float, mains_v: float, offline_after_s: float = OFFLINE_AFTER_S
) -> str:
    return w(
        "house summary",
        h=h.identifier,
        online=online_text(h.last_seen, now, offline_after_s),
        a=out.amps(h.consume()),
        w=out.watts(h.consumption_w(mains_v)),
        source=w("meter") if h.metered else w("sum of consumers"),
        supply=out.watts(h.supply_w()),
        supply_a=out.amps(h.supply()),
        net=out.watts(h.net_w(mains_v)),
        age=out.age(now, h.last_seen),
    )


def house_view(
    h: House,
    now: float,
    mains_v: float,
    offline_after_s: float = OFFLINE_AFTER_S,
    commands: CommandLookup = _no_commands,
) -> str:
    consumers = list(h.consumers.values())
    return "\n".join(
        [
            house_summary(h, now, mains_v, offline_after_s),
            w("Consumers (n)", n=len(h.consumers)),
            consumers_table(consumers, now, mains_v, offline_after_s, commands),
            w("Suppliers (n)", n=len(h.suppliers)),
            suppliers_table(list(h.suppliers.values()), now, offline_after_s, commands),
        ]
    )


HOUSES_HEADERS = (
    "house",
    "online",
    "consumers",
    "suppliers",
    "current",
    "consumption",
    "supply",
    "net balance",
    "last reading",
)


def page_count(houses: int) -> int:
    return max(1, (houses + PAGE_SIZE - 1) // PAGE_SIZE)


def houses_view(
    grid: Neighborhood,
    now: float,
    mains_v: float,
    page: int = 1,
    offline_after_s: float = OFFLINE_AFTER_S,
) -> str:
    """Neighborhood totals, then one row per house, PAGE_SIZE houses a page."""
    houses = grid.houses
    if not houses:
        return w("no houses")
    totals = grid_totals(grid, mains_v, now, offline_after_s)
    pages = (len(houses) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    ids = sorted(houses)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = []
    for hid in ids:
        h = houses[hid]
        rows.append(
            [
                str(hid),
                online_text(h.last_seen, now, offline_after_s),
                str(len(h.consumers)),
                str(len(h.suppliers)),
                out.amps(h.consume()),
                out.watts(h.consumption_w(mains_v)),
                out.watts(h.supply_w()),
                out.watts(h.net_w(mains_v)),
                out.age(now, h.last_seen),
            ]
        )
    lines = [neighborhood_line(grid.identifier, totals), out.table(headers(HOUSES_HEADERS), rows)]
    if pages > 1:
        lines.append(w("page line", page=page, pages=pages, command="showHouses"))
    return "\n".join(lines)


def neighborhood_line(neighborhood: int, totals: Totals) -> str:
    """showHouses()' first line; `energrid watch` prints the same from the state topics.

    The amounts are live (the houses online); the houses left out are said after them.
    """
    line = w(
        "neighborhood line",
        n=neighborhood,
        houses=plural(totals.houses, "n house"),
        devices=plural(totals.devices, "n device"),
        online_houses=plural(totals.houses_online, "n house"),
        online_devices=plural(totals.devices_online, "n device"),
        a=out.amps(totals.consumption_a),
        w=out.watts(totals.consumption_w),
        supply=out.watts(totals.supply_w),
        net=out.watts(totals.net_w),
    )
    if totals.houses_left_out:
        line += w(
            "left out",
            houses=plural(totals.houses_left_out, "n house"),
            a=out.amps(totals.left_out_consumption_a),
            w=out.watts(totals.left_out_consumption_w),
        )
    return line


def stats_view(stats: IngestStats, now: float, connected: str, extra: Sequence[str] = ()) -> str:
    lines = _aligned(
        [
            w("Broker", text=connected),
            *extra,
            w("messages received", n=stats.messages_received),
            w("messages applied", n=stats.messages_applied),
            w("readings applied", n=stats.readings_applied),
            w("commands seen", n=stats.commands_seen),
            w("rejected", n=stats.rejected_total),
        ]
    )
    for reason, count in sorted(stats.rejected.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {reason:<15} {count}")
    for reason, count in sorted(stats.skipped_readings.items()):
        lines.append(w("skipped", reason=reason, n=count))
    if stats.callback_errors:
        lines.append(w("internal errors", n=stats.callback_errors))
    if stats.recent:
        lines.append(w("last rejected", rejected=plural(len(stats.recent), "n rejected")))
        rows: list[list[str]] = []
        repeats: list[int] = []
        for r in reversed(stats.recent):  # the same rejection again and again shows once, xN
            if rows and rows[-1][2:] == [r.reason, r.topic, r.detail]:
                repeats[-1] += 1
                continue
            rows.append([out.age(now, r.timestamp), "", r.reason, r.topic, r.detail])
            repeats.append(1)
        for row, count in zip(rows, repeats, strict=True):
            row[1] = f"x{count}" if count > 1 else ""
        lines.append(out.table(headers(("when", "", "reason", "topic", "detail")), rows))
    return "\n".join(lines)


def _aligned(lines: Sequence[str]) -> list[str]:
    """'Label: value' lines with the values in one column."""
    pairs = [line.split(": ", 1) for line in lines]
    width = max(len(label) for label, _value in pairs) + 1
    return [f"{label + ':':<{width}} {value}" for label, value in pairs]


# --- the shell's pages, from a GridView -----------------------------------------------------------


def houses_page(g: GridView, page: int) -> str:
    pages = page_count(len(g.grid.houses))
    if page > pages:
        key = "error.only one page" if pages == 1 else "error.only pages"
        raise BadArgumentError(w(key, pages=plural(pages, "n page")))
    at = g.at
    return houses_view(g.grid, at.now, at.mains_voltage_v, page, at.offline_after_s)


def house_page(g: GridView, house: int) -> str:
    at = g.at
    h = g.grid.house(house)
    return house_view(h, at.now, at.mains_voltage_v, at.offline_after_s, g.command)


def consumers_page(g: GridView, house: int, consumer: int | None) -> str:
    h, at = g.grid.house(house), g.at
    chosen = list(h.consumers.values()) if consumer is None else [h.consumer(consumer)]
    text = consumers_table(chosen, at.now, at.mains_voltage_v, at.offline_after_s, g.command)
    return f"{w('house consumers', h=house)}\n{text}"


def suppliers_page(g: GridView, house: int, supplier: int | None) -> str:
    h, at = g.grid.house(house), g.at
    chosen = list(h.suppliers.values()) if supplier is None else [h.supplier(supplier)]
    text = suppliers_table(chosen, at.now, at.offline_after_s, g.command)
    return f"{w('house suppliers', h=house)}\n{text}"
