"""The grid as text for the shell: pure functions, called under the server's lock."""

from __future__ import annotations

from collections.abc import Sequence

from energrid import output as out
from energrid_core.model import Consumer, House, Neighborhood, Supplier
from energrid_core.stats import IngestStats

PAGE_SIZE = 50

CONSUMER_HEADERS = ("#", "type", "state", "current", "power", "commanded", "last reading")
SUPPLIER_HEADERS = (
    "#",
    "type",
    "load",
    "pv V",
    "pv A",
    "load V",
    "load A",
    "battery V",
    "battery",
    "supply",
    "commanded",
    "last reading",
)


def consumer_row(c: Consumer, now: float, mains_v: float) -> list[str]:
    current = c.current_a.last
    return [
        str(c.identifier),
        c.type,
        out.on_off(c.on),
        out.amps(current),
        out.watts(None if current is None else c.power_w(mains_v)),
        out.on_off(c.commanded),
        out.age(now, c.last_seen),
    ]


def supplier_row(s: Supplier, now: float) -> list[str]:
    return [
        str(s.identifier),
        s.type,
        out.on_off(s.load_on),
        out.volts(s.value("pv_voltage_v")),
        out.amps(s.value("pv_current_a")),
        out.volts(s.value("load_voltage_v")),
        out.amps(s.value("load_current_a")),
        out.volts(s.value("battery_voltage_v")),
        out.percent(s.value("battery_remaining_pct")),
        out.watts(s.supply_w if s.last_seen is not None else None),
        out.on_off(s.commanded),
        out.age(now, s.last_seen),
    ]


def consumers_table(devices: list[Consumer], now: float, mains_v: float) -> str:
    if not devices:
        return "  no consumers"
    return out.table(CONSUMER_HEADERS, [consumer_row(c, now, mains_v) for c in devices])


def suppliers_table(devices: list[Supplier], now: float) -> str:
    if not devices:
        return "  no suppliers"
    return out.table(SUPPLIER_HEADERS, [supplier_row(s, now) for s in devices])


def house_summary(h: House, now: float, mains_v: float) -> str:
    source = "meter" if h.metered else "sum of consumers"
    return (
        f"House {h.identifier}: consumption {out.amps(h.consume())} "
        f"({out.watts(h.consumption_w(mains_v))}, {source}), "
        f"supply {out.amps(h.supply())} ({out.watts(h.supply_w())}), "
        f"net {out.watts(h.net_w(mains_v))}, last reading {out.age(now, h.last_seen)}"
    )


def house_view(h: House, now: float, mains_v: float) -> str:
    return "\n".join(
        [
            house_summary(h, now, mains_v),
            f"Consumers ({len(h.consumers)})",
            consumers_table(list(h.consumers.values()), now, mains_v),
            f"Suppliers ({len(h.suppliers)})",
            suppliers_table(list(h.suppliers.values()), now),
        ]
    )


HOUSES_HEADERS = (
    "house",
    "consumers",
    "suppliers",
    "consumption A",
    "consumption W",
    "supply A",
    "supply W",
    "net W",
    "last reading",
)


def houses_view(grid: Neighborhood, now: float, mains_v: float, page: int = 1) -> str:
    """Neighborhood totals, then one row per house, PAGE_SIZE houses a page."""
    houses = grid.houses
    if not houses:
        return "No houses yet. newHouse() creates one, startDemo() builds the demo neighborhood."
    consume_a = supply_a = supply_w = 0.0
    devices = 0
    for h in houses.values():
        consume_a += h.consume()
        supply_a += h.supply()
        supply_w += h.supply_w()
        devices += len(h.consumers) + len(h.suppliers)
    consume_w = consume_a * mains_v
    pages = (len(houses) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    ids = sorted(houses)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = []
    for hid in ids:
        h = houses[hid]
        rows.append(
            [
                str(hid),
                str(len(h.consumers)),
                str(len(h.suppliers)),
                out.amps(h.consume()),
                out.watts(h.consumption_w(mains_v)),
                out.amps(h.supply()),
                out.watts(h.supply_w()),
                out.watts(h.net_w(mains_v)),
                out.age(now, h.last_seen),
            ]
        )
    lines = [
        f"Neighborhood {grid.identifier}: {_plural(len(houses), 'house')}, "
        f"{_plural(devices, 'device')}; "
        f"consumption {out.amps(consume_a)} ({out.watts(consume_w)}), "
        f"supply {out.amps(supply_a)} ({out.watts(supply_w)}), "
        f"net {out.watts(supply_w - consume_w)}",
        out.table(HOUSES_HEADERS, rows),
    ]
    if pages > 1:
        lines.append(f"  page {page} of {pages}: showHouses(page=N) for the others")
    return "\n".join(lines)


def stats_view(stats: IngestStats, now: float, connected: str, extra: Sequence[str] = ()) -> str:
    lines = [
        f"Broker: {connected}",
        *extra,
        f"Messages received: {stats.messages_received}",
        f"Messages applied:  {stats.messages_applied} ({stats.readings_applied} readings)",
        f"Commands seen:     {stats.commands_seen}",
        f"Messages rejected: {stats.rejected_total}",
    ]
    for reason, count in sorted(stats.rejected.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {reason:<15} {count}")
    for reason, count in sorted(stats.skipped_readings.items()):
        lines.append(f"Readings skipped ({reason}): {count}")
    if stats.callback_errors:
        lines.append(f"Internal errors:   {stats.callback_errors} (debug(True) logs them)")
    if stats.recent:
        lines.append("Last rejected:")
        rows = [
            [out.age(now, r.timestamp), r.reason, r.topic, r.detail] for r in reversed(stats.recent)
        ]
        lines.append(out.table(("when", "reason", "topic", "detail"), rows))
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
