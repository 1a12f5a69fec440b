"""What `energrid watch` draws: the grid rebuilt from the state topics, as text."""

from __future__ import annotations

import math
from datetime import datetime

from energrid.shell import output as out
from energrid.shell import views
from energrid.watch.grid import WatchedGrid
from energrid_core.state.payloads import Totals
from energrid_core.state.topics import CONSUMER

MAX_HOUSE_ROWS = views.PAGE_SIZE


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
        # The date and the zone: a watcher may sit in another zone, or look days later.
        stamp = datetime.fromtimestamp(since).astimezone() if since else None
        when = stamp.strftime("%Y-%m-%d %H:%M:%S %Z") if stamp else "?"
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
        load = "" if kind == CONSUMER else "load "
        text = views.command_status(
            1 if command.get("state") else 0,
            str(command.get("phase") or command.get("status")),
            command.get("device_shows"),
            command.get("obeyed"),
        )
        lines.append(f"  house {house} {kind} {device}: {load}{text}")
    return ["Latest commands:", *lines] if lines else []


def agreement(grid: WatchedGrid) -> str:
    """Whether the house topics add up to the neighborhood topic's totals."""
    published, summed = grid.totals(), grid.house_totals()
    if published is not None and same_totals(published, summed):
        return f"the {summed.houses} house topics add up to the neighborhood's totals."
    return "the house topics add up to:\n" + views.neighborhood_line(grid.neighborhood, summed)


def same_totals(a: Totals, b: Totals) -> bool:
    if (a.houses, a.devices, a.houses_online) != (b.houses, b.devices, b.houses_online):
        return False
    pairs = [
        (a.consumption_a, b.consumption_a),
        (a.consumption_w, b.consumption_w),
        (a.supply_a, b.supply_a),
        (a.supply_w, b.supply_w),
        (a.net_w, b.net_w),
        (a.left_out_consumption_a, b.left_out_consumption_a),
    ]
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6) for x, y in pairs)
