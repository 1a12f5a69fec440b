"""The shell's commands for managing the grid: energy, statistics by type (and what follows).

They join ShellCommands' namespace (energrid.shell.commands) and print through
energrid.shell.output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from energrid.arguments import command, whole_number
from energrid.shell import live as live_view
from energrid.shell import output as out
from energrid.shell import plot, views_energy, words
from energrid.shell.words import w
from energrid_core.errors import BadArgumentError
from energrid_core.manage.alarms import NEIGHBORHOOD, AlarmChanged
from energrid_core.persistence.manage_store import CRITICAL
from energrid_core.server import GridServer

HELP = [
    ("showEnergy() / showEnergy(h)", "kWh imported and exported today and since creation"),
    ("showTypes() / showTypes(h)", "per device type: count, ON, power now, energy today, share"),
    ("setLimit(watts) / setLimit(h, watts)", "the neighborhood's / house h's limit (None: none)"),
    ("showAlarms()", "limits, active alarms and the alarm and shedding history"),
    ("setShedding(True|False)", "switch load shedding on or off (off by default)"),
    ("setPriority(h, c, p)", "consumer's shedding priority: 1 (shed first)..9, or 'critical'"),
    (
        "showHistory(h) / showHistory(h, c)",
        "plot of house h's draw / consumer c's power, period='1h'|'24h'|'7d'",
    ),
    ("live() / live(h)", "the neighborhood / house h redrawn every second until Ctrl-C"),
    ("setLanguage('fr'|'en')", "the language of the tables and views (startDemo() sets it too)"),
]

PERIODS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
PLOT_COLUMNS = 72

MAX_WATTS = 1e9


class ManageCommands:
    def __init__(self, server: GridServer, lang: Callable[[], str] = words.language) -> None:
        self.server = server
        self.lang = lang  # the shell's language for type names (the demo's, or setLanguage's)
        self.clock_text: Callable[[], str] = lambda: ""  # the demo's simulated time, when on
        # One line per alarm raised or cleared and per shedding action, as it happens.
        server.bus.subscribe(AlarmChanged, lambda event: out.say(event.text))

    def _dated(self, text: str) -> str:
        """The demo's simulated time of day first, while the demo runs."""
        clock = self.clock_text()
        return f"({clock})\n{text}" if clock else text

    def namespace(self) -> dict[str, Callable[..., Any]]:
        names = [
            "showEnergy",
            "showTypes",
            "setLimit",
            "showAlarms",
            "setShedding",
            "setPriority",
            "showHistory",
            "live",
            "setLanguage",
        ]
        return {name: getattr(self, name) for name in names}

    @command("showHistory(h), showHistory(h, c) or showHistory(h, s=S), period='1h'|'24h'|'7d'")
    def showHistory(
        self, h: int, c: int | None = None, period: str = "24h", s: int | None = None
    ) -> None:
        """A plot of house h's net draw (above zero it imports, below it exports), of its
        consumer c's power or of its supplier s's supply, over the last hour, day or week."""
        history = self.server.history
        if history is None:
            raise BadArgumentError("the history is off (--no-keep-history)")
        span = PERIODS.get(period) if isinstance(period, str) else None
        if span is None:
            raise BadArgumentError(f"period must be '1h', '24h' or '7d', not {period!r}")
        house = whole_number(h, "the house")
        with self.server.lock:
            target = self.server.grid.house(house)
            if c is not None and s is not None:
                raise BadArgumentError("give a consumer c or a supplier s, not both")
            if c is not None:
                kind, device = (
                    "consumer",
                    target.consumer(whole_number(c, "the consumer")).identifier,
                )
                title = f"House {house} consumer {device} ({target.consumers[device].type}): power"
            elif s is not None:
                kind, device = (
                    "supplier",
                    target.supplier(whole_number(s, "the supplier")).identifier,
                )
                title = f"House {house} supplier {device} ({target.suppliers[device].type}): supply"
            else:
                kind, device = "house", 0
                title = f"House {house}: net draw (above 0 imported, below 0 exported)"
        self.server.energy.sweep([house])  # what is still in memory is part of the picture
        history.flush()
        end = self.server.clock()
        start = end - span
        first = history.store.first_time(house, kind, device, start)
        if first is not None and first > start:  # a younger series: its own span, not blanks
            start = first
        step = max(1.0, end - start) / PLOT_COLUMNS
        points = dict(history.store.series(house, kind, device, start, end, step))
        times = [start + k * step for k in range(PLOT_COLUMNS)]
        values = [points.get(t) for t in times]
        tier = history.store.tier_for(start, end)
        since = "" if start <= end - span else f" (its readings began {_clock(start)})"
        how = {"raw": "every reading", "minute": "1-minute means", "quarter": "15-minute means"}
        out.say(
            f"{title}, last {period}{since} ({how[tier]}, {views_energy.duration(step)} a column)\n"
            + plot.bar_chart(values, times=times)
        )

    @command("live() or live(h)")
    def live(self, h: int | None = None, refresh_s: float = 1.0, frames: int | None = None) -> None:
        """The neighborhood's totals, energy today, alarms and houses (or house h and its
        devices) redrawn in place every second until Ctrl-C."""
        if h is not None:
            self.server.grid.house(whole_number(h, "the house"))
        if type(refresh_s) not in (int, float) or not 0.1 <= refresh_s <= 3600:
            raise BadArgumentError(f"refresh_s must be 0.1..3600 seconds, not {refresh_s!r}")
        live_view.run(self.server, h, float(refresh_s), frames, clock_text=self.clock_text)

    @command("setLanguage('fr') or setLanguage('en')")
    def setLanguage(self, lang: str) -> None:
        """The language of the tables and views (showHouses(), showEnergy(), live()...) for
        this session; startDemo(lang=...) sets it to the demo's. Units stay as they are."""
        words.set_language(lang)
        out.say("Tables en français." if lang == "fr" else "Tables in English.")

    @command("setLimit(watts) or setLimit(h, watts)")
    def setLimit(self, *args: Any) -> None:
        """The most watts the neighborhood (its transformer) or house h (its contract) should
        draw from the grid, net of its own supply; None removes the limit. Over it for the
        alarms' minimum duration raises an alarm (and, with setShedding(True), sheds)."""
        if len(args) == 1:
            scope, watts = NEIGHBORHOOD, args[0]
        elif len(args) == 2:
            scope = whole_number(args[0], "the house")
            self.server.grid.house(scope)
            watts = args[1]
        else:
            raise BadArgumentError(f"expected 1 or 2 arguments, got {len(args)}")
        if watts is not None:
            if type(watts) not in (int, float) or not 0 < watts <= MAX_WATTS:
                raise BadArgumentError(
                    f"the limit must be watts above 0 (at most {MAX_WATTS:.0f}) or None, "
                    f"not {watts!r}"
                )
            watts = float(watts)
        self.server.alarms.set_limit(scope, watts)
        name = "the neighborhood" if scope == NEIGHBORHOOD else f"house {scope}"
        if watts is None:
            out.say(f"No limit for {name} now.")
        else:
            out.say(f"Limit of {name}: {watts:.0f} W drawn from the grid.")

    @command("setShedding(True) or setShedding(False)")
    def setShedding(self, on: bool = True) -> None:
        """Load shedding: while over a limit, switch off the lowest-priority consumers, and
        switch them back on once under it long enough. Off until turned on."""
        if type(on) is not bool:
            raise BadArgumentError(f"setShedding takes True or False, not {on!r}")
        self.server.shedding.set_enabled(on)
        limits = self.server.alarms.limits
        also = "" if limits or not on else " (no limit is set yet: setLimit(watts))"
        out.say(f"Load shedding {'ON' if on else 'OFF'}{also}.")

    @command("setPriority(h, c, p)")
    def setPriority(self, h: int, c: int, p: Any) -> None:
        """Shedding priority of consumer c of house h: 1 is shed first, 9 last (5 when not
        set); 'critical' is never shed."""
        house = whole_number(h, "the house")
        consumer = whole_number(c, "the consumer")
        with self.server.lock:
            self.server.grid.house(house).consumer(consumer)
        if isinstance(p, str) and p.strip().lower() in ("critical", "critique"):
            priority = CRITICAL
        else:
            priority = whole_number(p, "the priority", low=1, high=9) if type(p) is int else None
            if priority is None:
                raise BadArgumentError(f"the priority must be 1..9 or 'critical', not {p!r}")
        self.server.shedding.set_priority(house, consumer, priority)
        word = "critical (never shed)" if priority == CRITICAL else str(priority)
        out.say(f"House {house} consumer {consumer}: priority {word}.")

    @command("showAlarms()")
    def showAlarms(self, last: int = 30) -> None:
        """Limits and shedding, the alarms active now, then the latest history (raised,
        cleared, shed, restored), oldest first."""
        last = whole_number(last, "the number of history lines", high=10_000)
        alarms, shedding = self.server.alarms, self.server.shedding
        now = self.server.clock()
        lines = [_limits_line(alarms.limits, shedding.enabled)]
        active = sorted(alarms.active.values(), key=lambda a: a.raised_at)
        lines.append(w("active alarms", n=len(active) or w("none")))
        lines += [
            w("alarm since", clock=_clock(a.raised_at), age=out.age(now, a.raised_at), text=a.text)
            for a in active
        ]
        shed = sorted(shedding.shed.values(), key=lambda r: r.shed_at)
        if shed:
            listed = ", ".join(w("house consumer", h=r.house, c=r.device) for r in shed)
            lines.append(w("shed now", devices=listed))
        history = alarms.history(last)
        lines.append(w("history", n=len(history)) if history else w("no history"))
        lines += [f"  {_clock(row.at)}  {row.text}" for row in history]
        out.say(self._dated("\n".join(lines)))

    @command("showEnergy() or showEnergy(h)")
    def showEnergy(self, h: int | None = None, page: int = 1) -> None:
        """Energy imported and exported by the neighborhood and each house (or by house h and
        each of its devices), today from local midnight and since creation; unmeasured time is
        silence between readings longer than --energy-gap-s, not integrated."""
        server = self.server
        page = whole_number(page, "the page")
        with server.lock:
            now = server.clock()
            if h is None:
                text = views_energy.neighborhood_energy_view(server.grid, server.energy, now, page)
            else:
                house = server.grid.house(whole_number(h, "the house"))
                text = views_energy.house_energy_view(house, server.energy, now)
        out.say(self._dated(text))

    @command("showTypes() or showTypes(h)")
    def showTypes(self, h: int | None = None) -> None:
        """Per device type (case and French/English names folded: Lampe = Lamp): how many, how
        many ON, power now, energy today and each one's share."""
        server = self.server
        with server.lock:
            now = server.clock()
            if h is None:
                houses = list(server.grid.houses.values())
                where = w("neighborhood n", n=server.grid.identifier)
            else:
                houses = [server.grid.house(whole_number(h, "the house"))]
                where = w("house n", h=h)
            if not houses:
                raise BadArgumentError("there are no houses yet: newHouse() makes one")
            table = views_energy.type_statistics(
                houses, server.energy, now, server.settings.mains_voltage_v, self.lang()
            )
        out.say(self._dated(views_energy.types_view(table, where)))


def _clock(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _limits_line(limits: dict[int, float], shedding: bool) -> str:
    parts = [
        (w("neighborhood") if scope == NEIGHBORHOOD else w("house h", h=scope)) + f" {watts:.0f} W"
        for scope, watts in sorted(limits.items())
    ]
    shown = ", ".join(parts) if parts else w("no limits")
    return w("limits", limits=shown, on="ON" if shedding else "OFF")
