"""live(): the neighborhood (or one house) redrawn in place every second until Ctrl-C.

Each frame is built under the server lock from the same views as showHouses(), showHouse(h),
showEnergy() and showAlarms(), then written at once after moving the cursor home and clearing
the screen, so the terminal (tmux included) shows one still picture per second, not a scroll.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

from energrid.shell import output as out
from energrid.shell import views, views_energy
from energrid.shell.words import w
from energrid_core.manage.energy import EMPTY
from energrid_core.server import GridServer

HOME_AND_CLEAR = "\x1b[H\x1b[2J"


def frame(server: GridServer, house: int | None, rows: int, clock_text: str = "") -> str:
    """One picture of the grid (or of house `house`), cut to `rows` lines."""
    settings = server.settings
    mains_v, after_s = settings.mains_voltage_v, settings.offline_after_s
    with server.lock:
        now = server.clock()
        grid = server.grid
        head = [
            w(
                "live head",
                time=time.strftime("%H:%M:%S", time.localtime(now)),
                clock="  " + clock_text if clock_text else "",
            )
        ]
        if house is None:
            body = views.houses_view(grid, now, mains_v, 1, after_s)
            energy = views_energy.energy_line(w("Energy"), server.energy.neighborhood(now))
        else:
            target = grid.house(house)
            body = views.house_view(target, now, mains_v, after_s, server.ledger.latest)
            energy = views_energy.energy_line(w("Energy"), server.energy.house(house, now) or EMPTY)
    alarms = sorted(server.alarms.active.values(), key=lambda a: a.raised_at)
    if house is not None:
        alarms = [a for a in alarms if a.house in (None, house)]
    alarm_lines = [w("ALARM", text=a.note) for a in alarms] or [w("no alarms")]
    shed = len(server.shedding.shed)
    if shed:
        alarm_lines.append(w("shed count", n=shed))
    lines = head + [energy] + alarm_lines + [""] + body.splitlines()
    if len(lines) > rows:
        lines = lines[: rows - 1] + [w("more lines", n=len(lines) - rows + 1)]
    return "\n".join(lines)


def run(
    server: GridServer,
    house: int | None = None,
    refresh_s: float = 1.0,
    frames: int | None = None,
    stream: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock_text: Callable[[], str] = lambda: "",
) -> int:
    """Redraw until Ctrl-C (or `frames` frames, for tests); returns how many were drawn."""
    drawn = 0
    target = stream or out.Console.direct or sys.stdout
    try:
        while frames is None or drawn < frames:
            rows = shutil.get_terminal_size((100, 40)).lines - 1
            text = frame(server, house, max(5, rows), clock_text())
            target.write(HOME_AND_CLEAR + text + "\n")
            target.flush()
            drawn += 1
            if frames is None or drawn < frames:
                sleep(refresh_s)
    except KeyboardInterrupt:
        target.write(f"\n{w('live stopped')}\n")
        target.flush()
    return drawn
