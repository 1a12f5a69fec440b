"""The shell's commands for managing the grid: energy, statistics by type (and what follows).

They join ShellCommands' namespace (energrid.shell.commands) and print through
energrid.shell.output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from energrid.arguments import _short, command, whole_number
from energrid.shell import live as live_view
from energrid.shell import output as out
from energrid.shell import plot, views_energy, words
from energrid.shell.words import w
from energrid_core.errors import BadArgumentError
from energrid_core.manage.alarms import NEIGHBORHOOD, AlarmChanged, history_line
from energrid_core.notes import Note
from energrid_core.persistence.manage_store import CRITICAL, HistoryRow
from energrid_core.server import GridServer

HELP = [
    ("showEnergy() / showEnergy(h)", "help.showEnergy"),
    ("showTypes() / showTypes(h)", "help.showTypes"),
    ("setLimit(watts) / setLimit(h, watts)", "help.setLimit"),
    ("showAlarms()", "help.showAlarms"),
    ("setShedding(True|False)", "help.setShedding"),
    ("setPriority(h, c, p)", "help.setPriority"),
    ("showHistory(h) / showHistory(h, c)", "help.showHistory"),
    ("live() / live(h)", "help.live"),
    ("setLanguage('fr'|'en')", "help.setLanguage"),
]

PERIODS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
PLOT_COLUMNS = 72
MIN_PLOT_S = 120.0  # a plot needs readings over this long (each column 1.7 s at least)

MAX_WATTS = 1e9


class ManageCommands:
    def __init__(self, server: GridServer, lang: Callable[[], str] = words.language) -> None:
        self.server = server
        self.lang = lang  # the shell's language for type names (the demo's, or setLanguage's)
        self.clock_text: Callable[[], str] = lambda: ""  # the demo's simulated time, when on
        # One line per alarm raised or cleared and per shedding action, as it happens, worded
        # when printed (in the alarms' thread): in the language of that moment.
        server.bus.subscribe(AlarmChanged, lambda event: out.say(words.say(event.line)))

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
            raise BadArgumentError(w("error.history off"))
        span = PERIODS.get(period) if isinstance(period, str) else None
        if span is None:
            raise BadArgumentError(w("error.period", value=_short(period)))
        house = whole_number(h, "the house")
        with self.server.lock:
            target = self.server.grid.house(house)
            if c is not None and s is not None:
                raise BadArgumentError(w("error.c or s"))
            if c is not None:
                kind, device = (
                    "consumer",
                    target.consumer(whole_number(c, "the consumer")).identifier,
                )
                type_ = out.printable(target.consumers[device].type)
                title = w("plot.consumer", h=house, c=device, type=type_)
            elif s is not None:
                kind, device = (
                    "supplier",
                    target.supplier(whole_number(s, "the supplier")).identifier,
                )
                type_ = out.printable(target.suppliers[device].type)
                title = w("plot.supplier", h=house, s=device, type=type_)
            else:
                kind, device = "house", 0
                title = w("plot.house", h=house)
        self.server.energy.sweep([house])  # what is still in memory is part of the picture
        history.flush()
        end = self.server.clock()
        start = end - span
        first = history.store.first_time(house, kind, device, start)
        if first is not None and first > start:  # a younger series: its own span, not blanks
            start = first
        if first is not None and end - first < MIN_PLOT_S:
            # 72 columns of a few seconds' readings would say "0 s a column": no plot yet.
            age = views_energy.duration(max(0.0, end - first))
            need = views_energy.duration(MIN_PLOT_S)
            out.say(w("plot.too little", title=title, age=age, need=need))
            return
        step = max(1.0, end - start) / PLOT_COLUMNS
        points = dict(history.store.series(house, kind, device, start, end, step))
        times = [start + k * step for k in range(PLOT_COLUMNS)]
        values = [points.get(t) for t in times]
        tier = history.store.tier_for(start, end)
        since = "" if start <= end - span else w("plot.began", clock=_clock(start))
        head = w(
            "plot.head",
            title=title,
            period=period,
            since=since,
            how=w(f"plot.{tier}"),
            step=views_energy.duration(step),
        )
        out.say(head + "\n" + plot.bar_chart(values, times=times))

    @command("live() or live(h)")
    def live(self, h: int | None = None, refresh_s: float = 1.0, frames: int | None = None) -> None:
        """The neighborhood's totals, energy today, alarms and houses (or house h and its
        devices) redrawn in place every second until Ctrl-C."""
        if h is not None:
            self.server.grid.house(whole_number(h, "the house"))
        if type(refresh_s) not in (int, float) or not 0.1 <= refresh_s <= 3600:
            raise BadArgumentError(w("error.refresh", value=_short(refresh_s)))
        live_view.run(self.server, h, float(refresh_s), frames, clock_text=self.clock_text)

    @command("setLanguage('fr') or setLanguage('en')")
    def setLanguage(self, lang: str) -> None:
        """The language of everything the shell prints (tables, answers, alarms, errors,
        help()) for this session; startDemo(lang=...) sets it to the demo's. Units, ON/OFF,
        command names and device types stay as they are."""
        words.set_language(lang)
        out.say(w("language set"))

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
            raise BadArgumentError(w("error.arguments count", low=1, high=2, n=len(args)))
        if watts is not None:
            if type(watts) not in (int, float) or not 0 < watts <= MAX_WATTS:
                raise BadArgumentError(w("error.limit", high=MAX_WATTS, value=_short(watts)))
            watts = float(watts)
        self.server.alarms.set_limit(scope, watts)
        if watts is None:
            out.say(w("no limit now" if scope == NEIGHBORHOOD else "no house limit now", h=scope))
        else:
            key = "limit set" if scope == NEIGHBORHOOD else "house limit set"
            out.say(w(key, h=scope, watts=watts))

    @command("setShedding(True) or setShedding(False)")
    def setShedding(self, on: bool = True) -> None:
        """Load shedding: while over a limit, switch off the lowest-priority consumers, and
        switch them back on once under it long enough. Off until turned on."""
        if type(on) is not bool:
            raise BadArgumentError(
                w("error.true or false", command="setShedding", value=_short(on))
            )
        self.server.shedding.set_enabled(on)
        limits = self.server.alarms.limits
        key = "shedding no limit" if on and not limits else "shedding"
        out.say(w(key, state="ON" if on else "OFF"))

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
                raise BadArgumentError(w("error.priority", value=_short(p)))
        self.server.shedding.set_priority(house, consumer, priority)
        word = w("critical never shed") if priority == CRITICAL else str(priority)
        out.say(w("priority set", h=house, c=consumer, priority=word))

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
            w("alarm since", clock=_clock(a.raised_at), age=out.age(now, a.raised_at), text=a.note)
            for a in active
        ]
        shed = sorted(shedding.shed.values(), key=lambda r: r.shed_at)
        if shed:
            listed = ", ".join(w("house consumer", h=r.house, c=r.device) for r in shed)
            lines.append(w("shed now", devices=listed))
        history = alarms.history(last)
        lines.append(w("history", n=len(history)) if history else w("no history"))
        lines += [f"  {_clock(row.at)}  {_history_text(row)}" for row in history]
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
                raise BadArgumentError(w("error.no houses"))
            settings = server.settings
            table = views_energy.type_statistics(
                houses,
                server.energy,
                now,
                settings.mains_voltage_v,
                self.lang(),
                settings.offline_after_s,
            )
        out.say(self._dated(views_energy.types_view(table, where)))


def _history_text(row: HistoryRow) -> str:
    """A row of the alarm history in the shell's language; a row kept from before the history
    was language-neutral shows the English line it was saved with."""
    if isinstance(row.note, Note):
        return words.say(history_line(row.event, row.note))
    return row.note


def _clock(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _limits_line(limits: dict[int, float], shedding: bool) -> str:
    parts = [
        (w("neighborhood") if scope == NEIGHBORHOOD else w("house h", h=scope)) + f" {watts:.0f} W"
        for scope, watts in sorted(limits.items())
    ]
    shown = ", ".join(parts) if parts else w("no limits")
    return w("limits", limits=shown, on="ON" if shedding else "OFF")
