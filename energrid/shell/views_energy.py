"""Energy and statistics by type as text for the shell: pure functions, called under the lock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from energrid.shell import output as out
from energrid.shell.views import OFFLINE_AFTER_S, PAGE_SIZE
from energrid.shell.words import headers, plural, w
from energrid_core.availability import house_online
from energrid_core.manage.device_types import type_key, type_label
from energrid_core.manage.energy import EMPTY, EnergyTracker, EnergyView
from energrid_core.model import House, Neighborhood


def kwh(wh: float | None) -> str:
    return out.NOTHING if wh is None else f"{wh / 1000:.3f} kWh"


def duration(seconds: float) -> str:
    """'0 s', '45 s', '12 min', '3.5 h'."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def energy_line(label: str, view: EnergyView) -> str:
    return w(
        "energy line",
        label=label,
        a=kwh(view.today_in_wh),
        b=kwh(view.today_out_wh),
        c=duration(view.today_unmeasured_s),
        since=w("creation") if view.since is None else _date(view.since),
        d=kwh(view.in_wh),
        e=kwh(view.out_wh),
        f=duration(view.unmeasured_s),
    )


def _date(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


ENERGY_HEADERS = (
    "house",
    "imported today",
    "exported today",
    "unmeasured today",
    "imported",
    "exported",
    "unmeasured",
)


def neighborhood_energy_view(
    grid: Neighborhood, energy: EnergyTracker, now: float, page: int = 1
) -> str:
    """The neighborhood's energy, then one row per house, PAGE_SIZE houses a page."""
    lines = [energy_line(w("Neighborhood n", n=grid.identifier), energy.neighborhood(now))]
    ids = sorted(grid.houses)
    pages = max(1, (len(ids) + PAGE_SIZE - 1) // PAGE_SIZE)
    rows = []
    for h in ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        v = energy.house(h, now) or EMPTY
        rows.append(
            [
                str(h),
                kwh(v.today_in_wh),
                kwh(v.today_out_wh),
                duration(v.today_unmeasured_s),
                kwh(v.in_wh),
                kwh(v.out_wh),
                duration(v.unmeasured_s),
            ]
        )
    if rows:
        lines.append(out.table(headers(ENERGY_HEADERS), rows))
    if pages > 1:
        lines.append(w("page line", page=page, pages=pages, command="showEnergy"))
    return "\n".join(lines)


DEVICE_ENERGY_HEADERS = (
    "device",
    "type",
    "today",
    "unmeasured today",
    "since creation",
    "unmeasured",
)


def house_energy_view(house: House, energy: EnergyTracker, now: float) -> str:
    """A house's imported and exported energy, then what each device consumed or produced."""
    h = house.identifier
    lines = [energy_line(w("House n", h=h), energy.house(h, now) or EMPTY)]
    rows = []
    for kind, devices, word in (
        ("consumer", house.consumers, "consumed"),
        ("supplier", house.suppliers, "produced"),
    ):
        for d in devices.values():
            v = energy.view((h, kind, d.identifier), now) or EMPTY
            today = v.today_in_wh if kind == "consumer" else v.today_out_wh
            total = v.in_wh if kind == "consumer" else v.out_wh
            rows.append(
                [
                    f"{w(kind)} {d.identifier}",
                    d.type,
                    f"{kwh(today)} {w(word)}",
                    duration(v.today_unmeasured_s),
                    f"{kwh(total)} {w(word)}",
                    duration(v.unmeasured_s),
                ]
            )
    lines.append(out.table(headers(DEVICE_ENERGY_HEADERS), rows) if rows else w("no devices"))
    return "\n".join(lines)


@dataclass(slots=True)
class TypeRow:
    label: str
    count: int = 0
    on: int = 0
    power_w: float = 0.0
    today_wh: float = 0.0


@dataclass(slots=True)
class TypeTable:
    consumers: dict[str, TypeRow] = field(default_factory=dict)
    suppliers: dict[str, TypeRow] = field(default_factory=dict)
    houses_left_out: int = 0  # offline: in the counts and energy, not in ON and power now
    left_out_w: float = 0.0  # what they last drew


def type_statistics(
    houses: list[House],
    energy: EnergyTracker,
    now: float,
    mains_v: float,
    lang: str = "en",
    offline_after_s: float = OFFLINE_AFTER_S,
) -> TypeTable:
    """Per type (case, accents and French/English names folded): count, ON, power, today.

    ON and power now count the houses online only, as showHouses() does: an offline house's
    last reading is no power now (it is said apart). Energy today is what was measured."""
    table = TypeTable()
    day = energy.day.start_of(now)
    counters = energy.counters
    for house in houses:
        h = house.identifier
        live = house_online(house, now, offline_after_s)
        if not live:
            table.houses_left_out += 1
            table.left_out_w += house.consumption_w(mains_v)
        for c in house.consumers.values():
            key = type_key(c.type)
            row = table.consumers.get(key)
            if row is None:
                row = table.consumers[key] = TypeRow(type_label(key, lang, c.type))
            row.count += 1
            if live:
                row.on += c.on is True
                row.power_w += (c.current_a.last or 0.0) * mains_v
            counter = counters.get((h, "consumer", c.identifier))
            if counter is not None:
                row.today_wh += counter.today(day)[0]
        for s in house.suppliers.values():
            key = type_key(s.type)
            row = table.suppliers.get(key)
            if row is None:
                row = table.suppliers[key] = TypeRow(type_label(key, lang, s.type))
            row.count += 1
            if live:
                row.on += s.load_on is True
                row.power_w += s.supply_w
            counter = counters.get((h, "supplier", s.identifier))
            if counter is not None:
                row.today_wh += counter.today(day)[1]
    return table


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole > 0 else out.NOTHING


def types_view(table: TypeTable, where: str) -> str:
    lines = []
    for title, rows, on_word, power_word, energy_word in (
        ("Consumers", table.consumers, "ON", "power now", "energy today"),
        ("Suppliers", table.suppliers, "load ON", "supply now", "produced today"),
    ):
        if not rows:
            lines.append(w("by type: none", title=w(title), where=where))
            continue
        total_w = sum(r.power_w for r in rows.values())
        total_wh = sum(r.today_wh for r in rows.values())
        ordered = sorted(rows.values(), key=lambda r: (-r.today_wh, -r.power_w, r.label))
        body = [
            [
                r.label,
                str(r.count),
                str(r.on),
                out.watts(r.power_w),
                _share(r.power_w, total_w),
                kwh(r.today_wh),
                _share(r.today_wh, total_wh),
            ]
            for r in ordered
        ]
        names = ("type", "count", on_word, power_word, "share", energy_word, "share")
        lines.append(w("by type", title=w(title), where=where))
        lines.append(out.table(headers(names), body))
    if table.houses_left_out:
        houses = plural(table.houses_left_out, "n house")
        lines.append(w("types left out", houses=houses, w=out.watts(table.left_out_w)))
    return "\n".join(lines)
