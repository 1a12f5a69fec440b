"""Limits and alarms: a part that watches draws, batteries and commands, and says what it saw.

Alarms:
- over limit: the neighborhood's draw (its transformer, `setLimit(watts)`) or a house's (its
  contract, `setLimit(h, watts)`) above the limit. The draw is the net power taken from the
  grid (consumption - supply, from readings heard within --energy-gap-s): a house exporting
  relieves its neighborhood.
- battery low: a supplier's battery_remaining_pct under `battery_low_pct`.
- not obeyed: the ledger gave up on a command while the device showed the other state.

A limit or battery alarm is raised once its condition has held for `min_s` and cleared once the
value has been back on the right side of the threshold, minus a hysteresis, for `min_s` too.
Each raise and clear is one `AlarmChanged` on the bus (the shell prints it), one row of the alarm
history in the store, and an update of the retained topic energrid/<n>/alarms (the active ones).
What is said is a Note (energrid_core.notes): the history keeps it language-neutral, the shell
words it in its language at display time, the retained topic carries its English.
`tick()` evaluates; `start()` runs it on a thread every `tick_s`, and tests call it with a clock
of their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from energrid_core.commands.command import Phase
from energrid_core.errors import EnergridError
from energrid_core.events import Bus, CommandChanged
from energrid_core.lock_slices import locked_slices
from energrid_core.manage.energy import EnergyTracker
from energrid_core.model import Neighborhood
from energrid_core.notes import Note, device, note
from energrid_core.periodic import Periodic
from energrid_core.persistence.manage_store import HistoryRow, ManageStore

log = logging.getLogger("energrid.alarms")

BATTERY_SLICE = 200  # houses whose batteries are read per hold of the server lock
NEIGHBORHOOD = 0  # the scope of the neighborhood's limit; a house's scope is its number


def alarms_topic(neighborhood: int) -> str:
    return f"energrid/{neighborhood}/alarms"


@dataclass(frozen=True, slots=True)
class AlarmChanged:
    """An alarm raised or cleared, or a shedding action: one line for the operator, as a note
    (its words are the reader's: the shell's language, or English)."""

    alarm: str  # "limit/0", "limit/3", "battery/3/1", "obey/3/consumer/2"...
    event: str  # raised, cleared, shed, restored, released
    note: Note
    at: float

    @property
    def line(self) -> Note:
        """The line as printed and kept in the history: '[alarm] House 1 over its limit...'."""
        return history_line(self.event, self.note)


def history_line(event: str, what: Note | str) -> Note:
    return note(f"event.{event}", text=what)


@dataclass(slots=True)
class Alarm:
    alarm: str
    kind: str  # over_limit, battery_low, not_obeyed
    house: int | None
    device: int | None
    note: Note
    raised_at: float

    @property
    def text(self) -> str:
        """In English: the retained alarms topic's words (docs/protocol.md)."""
        return str(self.note)

    def payload(self) -> dict[str, object]:
        return {
            "alarm": self.alarm,
            "kind": self.kind,
            "house": self.house,
            "device": self.device,
            "text": self.text,
            "raised_unix_s": self.raised_at,
        }


@dataclass(slots=True)
class Debounce:
    """A condition that must hold for min_s before it counts, either way."""

    min_s: float
    active: bool = False
    since: float | None = None  # the start of the current run towards the other state

    def step(self, now: float, bad: bool, good: bool) -> bool | None:
        """True when it becomes active, False when it clears, None otherwise."""
        toward = good if self.active else bad
        if not toward:
            self.since = None
            return None
        if self.since is None:
            self.since = now
        if now - self.since < self.min_s:
            return None
        self.active, self.since = not self.active, None
        return self.active


def scope_draw_w(grid: Neighborhood, energy: EnergyTracker, scope: int, now: float) -> float:
    """Net watts drawn from the grid by a house (scope h) or the neighborhood (scope 0), from
    each house's last net draw heard within the energy gap. Call under the server lock."""
    houses = grid.houses if scope == NEIGHBORHOOD else [scope]
    total = 0.0
    for h in houses:
        draw = energy.heard_draw_w(h, now)
        if draw is not None:
            total += draw
    return total


def counts_in_draw(energy: EnergyTracker, house: int, now: float) -> bool:
    """Whether house's last net draw was heard within the energy gap, so that scope_draw_w
    counts it: a silent (offline) house is left out, and so is anything it holds."""
    return energy.heard_draw_w(house, now) is not None


@dataclass
class AlarmSettings:
    min_s: float = 10.0  # a condition holds this long before it raises or clears
    hysteresis: float = 0.05  # cleared under limit * (1 - hysteresis)
    battery_low_pct: float = 20.0
    battery_clear_pct: float = 25.0
    tick_s: float = 0.5


class AlarmMonitor:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        energy: EnergyTracker,
        store: ManageStore,
        clock: Callable[[], float],
        settings: AlarmSettings | None = None,
        sink: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.grid = grid
        self.lock = lock
        self.energy = energy
        self.store = store
        self.clock = clock
        self.settings = settings or AlarmSettings()
        self.sink = sink  # publishes the retained alarms topic
        self.limits: dict[int, float] = store.limits()
        self.active: dict[str, Alarm] = {}
        self._debounce: dict[str, Debounce] = {}
        self._bus: Bus | None = None
        self._topic_stale = True
        # Subscriptions undone only after the last tick has ended: a command change that lands
        # while it runs (a not-obeyed raise or its clearing) still reaches the alarms it judges.
        self._rounds = Periodic(
            "energrid-alarms",
            lambda: self.settings.tick_s,
            self.tick,
            log,
            "alarm evaluation failed",
            undo_after_join=True,
        )
        self._tick_lock = threading.Lock()

    # --- the part -------------------------------------------------------------------------------

    def start(self, bus: Bus, thread: bool = True) -> None:
        self._bus = bus
        self._rounds.start([bus.subscribe(CommandChanged, self.on_command)], thread)

    def stop(self) -> None:
        self._rounds.stop()

    # --- the operator's side ----------------------------------------------------------------------

    def set_limit(self, scope: int, watts: float | None) -> None:
        """A limit in watts for the neighborhood (scope 0) or house `scope`; None removes it."""
        self.store.set_limit(scope, watts)
        if watts is None:
            self.limits.pop(scope, None)
        else:
            self.limits[scope] = watts
        self._topic_stale = True

    def history(self, limit: int = 50) -> list[HistoryRow]:
        return self.store.history(limit)

    def record(self, alarm: str, event: str, what: Note, now: float) -> None:
        """One line of history, printed by the shell (the shedding part's actions too)."""
        try:
            self.store.add_history(HistoryRow(now, alarm, event, what))
        except EnergridError as exc:
            log.warning("%s", exc)
        if self._bus is not None:
            self._bus.publish(AlarmChanged(alarm, event, what, now))

    # --- evaluation -----------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        with self._tick_lock:
            now = self.clock() if now is None else now
            self._check_limits(now)
            self._check_batteries(now)
            if self._topic_stale:
                self._publish_topic()

    def _check_limits(self, now: float) -> None:
        hysteresis = self.settings.hysteresis
        for scope in list(self.limits) + [s for s in self._limit_scopes() if s not in self.limits]:
            key = f"limit/{scope}"
            limit = self.limits.get(scope)
            if limit is None:  # removed while raised: cleared at once
                if key in self.active:
                    self._clear(key, note("alarm.limit removed", scope=_scope_name(scope)), now)
                self._debounce.pop(key, None)
                continue
            with self.lock:
                if scope != NEIGHBORHOOD and scope not in self.grid.houses:
                    continue
                draw = scope_draw_w(self.grid, self.energy, scope, now)
            gate = self._debounce.setdefault(key, Debounce(self.settings.min_s))
            changed = gate.step(now, draw > limit, draw < limit * (1 - hysteresis))
            name = _scope_name(scope)
            if changed is True:
                text = note("alarm.over limit", scope=name, draw_w=draw, limit_w=limit)
                self._raise(Alarm(key, "over_limit", _house(scope), None, text, now), now)
            elif changed is False:
                self._clear(key, note("alarm.under limit", scope=name, draw_w=draw), now)

    def _limit_scopes(self) -> list[int]:
        return [int(k.split("/")[1]) for k in self.active if k.startswith("limit/")]

    def _check_batteries(self, now: float) -> None:
        low, clear = self.settings.battery_low_pct, self.settings.battery_clear_pct
        with self.lock:
            numbers = list(self.grid.houses)
        readings = []
        for some in locked_slices(self.lock, numbers, BATTERY_SLICE):  # let readings in
            for number in some:
                house = self.grid.houses.get(number)
                if house is None:
                    continue
                for s in house.suppliers.values():
                    if "battery_remaining_pct" in s.sensors:
                        pct = s.value("battery_remaining_pct")
                        readings.append((number, s.identifier, pct))
        for house, supplier, pct in readings:
            if pct is None:
                continue
            key = f"battery/{house}/{supplier}"
            gate = self._debounce.setdefault(key, Debounce(self.settings.min_s))
            changed = gate.step(now, pct < low, pct > clear)
            if changed is True:
                text = note("alarm.battery low", house=house, device=supplier, pct=pct)
                self._raise(Alarm(key, "battery_low", house, supplier, text, now), now)
            elif changed is False:
                back = note("alarm.battery back", house=house, device=supplier, pct=pct)
                self._clear(key, back, now)

    def on_command(self, event: CommandChanged) -> None:
        """A device not obeying its command raises at once (the ledger has already waited its
        time to live); a newer command for it, or its confirmation, clears it."""
        c = event.command
        key = f"obey/{c.house}/{c.kind}/{c.device}"
        now = c.resolved_at or self.clock()
        head = device(c.house, c.kind, c.device)
        if c.not_obeyed:
            shows = "ON" if c.shown else "OFF"
            state = "ON" if c.state else "OFF"
            text = note("alarm.not obeyed", head=head, state=state, shown=shows)
            self._raise(Alarm(key, "not_obeyed", c.house, c.device, text, now), now)
        elif key in self.active and (event.previous is None or c.phase is Phase.CONFIRMED):
            self._clear(key, note("alarm.obeys", head=head), now)
        if self._topic_stale and self.sink is not None:
            self._publish_topic()

    def _raise(self, alarm: Alarm, now: float) -> None:
        if alarm.alarm in self.active:
            return
        self.active[alarm.alarm] = alarm
        self._topic_stale = True
        self.record(alarm.alarm, "raised", alarm.note, now)

    def _clear(self, key: str, what: Note, now: float) -> None:
        if self.active.pop(key, None) is None:
            return
        self._topic_stale = True
        self.record(key, "cleared", what, now)

    def payload(self) -> bytes:
        alarms = [a.payload() for a in sorted(self.active.values(), key=lambda a: a.raised_at)]
        limits = {str(scope): watts for scope, watts in sorted(self.limits.items())}
        return orjson.dumps({"alarms": alarms, "limits_w": limits})

    def _publish_topic(self) -> None:
        if self.sink is None:
            self._topic_stale = False
            return
        try:
            self.sink(alarms_topic(self.grid.identifier), self.payload())
            self._topic_stale = False
        except EnergridError:  # the broker is away: the next tick tries again
            pass


def _scope_name(scope: int) -> Note:
    return note("scope.neighborhood") if scope == NEIGHBORHOOD else note("scope.house", house=scope)


def _house(scope: int) -> int | None:
    return None if scope == NEIGHBORHOOD else scope
