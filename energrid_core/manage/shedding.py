"""Load shedding: while a scope is over its limit, switch off its least needed consumers.

Off until `enabled` (setShedding(True)). A scope (the neighborhood, or a house with a limit of
its own) is *engaged* from the raise of its over-limit alarm to its clear. While engaged and
drawing more than limit * (1 - margin), the ON consumer of the scope with the lowest priority
(1 first, 9 last, 5 when not set; the biggest draw first among equals; `critical` never) that
counts in the draw (its house heard within the energy gap, drawing more than 0 W) is
switched OFF through the normal command path (the ledger) and marked shed, one consumer every
`step_s` at most, and the next only once the last one shows in the draw (its reading says OFF
and its house's draw was integrated after it; `effect_wait_s` at most for one that does not
obey), so that a draw not yet updated never sheds a second consumer for nothing.

Shed consumers come back in reverse order once the scope is no longer engaged and its draw has
stayed under limit * (1 - margin) for `restore_after_s`, one per step, and only when the power
the consumer drew when shed still fits under that target.

The operator's own command wins: a command for a shed consumer typed by the operator (or sent by
another client) drops its shed mark, and the consumer is left alone until the scope's episode
ends. Every action is an `AlarmChanged` (printed, kept in the alarm history).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from energrid_core.commands.command import Command
from energrid_core.errors import EnergridError
from energrid_core.events import Bus, CommandChanged, WireCommand
from energrid_core.manage.alarms import (
    NEIGHBORHOOD,
    AlarmChanged,
    AlarmMonitor,
    counts_in_draw,
    scope_draw_w,
)
from energrid_core.manage.energy import EnergyTracker
from energrid_core.model import Consumer, Neighborhood
from energrid_core.notes import note
from energrid_core.periodic import Periodic
from energrid_core.persistence.manage_store import CRITICAL, ManageStore, ShedRow

log = logging.getLogger("energrid.shedding")

DEFAULT_PRIORITY = 5
Switch = Callable[[int, int, int], Command]  # (house, consumer, 0|1): the server's set_consumer


@dataclass
class SheddingSettings:
    margin: float = 0.10  # shed down to limit * (1 - margin)
    step_s: float = 2.0  # one action per scope per step
    restore_after_s: float = 30.0  # under the target this long before a consumer comes back
    effect_wait_s: float = 15.0  # at most this long for a shed consumer to show in the draw
    tick_s: float = 0.25


class Shedder:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        energy: EnergyTracker,
        alarms: AlarmMonitor,
        store: ManageStore,
        switch: Switch,
        clock: Callable[[], float],
        settings: SheddingSettings | None = None,
    ) -> None:
        self.grid = grid
        self.lock = lock
        self.energy = energy
        self.alarms = alarms  # its limits and its record(); the shedder never raises alarms
        self.store = store
        self.switch = switch
        self.clock = clock
        self.settings = settings or SheddingSettings()
        self.enabled = store.option("shedding", "off") == "on"
        self.priorities: dict[tuple[int, int], int] = store.priorities()
        self.shed: dict[tuple[int, int], ShedRow] = {(r.house, r.device): r for r in store.shed()}
        self.engaged: set[int] = set()
        self.held: set[tuple[int, int]] = set()  # the operator's since the episode began
        self._next_step: dict[int, float] = {}
        self._awaiting: dict[int, tuple[int, int, float]] = {}  # scope -> the last one shed
        self._under_since: dict[int, float] = {}
        self._sending: int | None = None  # the thread sending a shedding command, while it does
        self._tick_count = 0
        # Subscriptions undone after the last tick has ended: a command that tick sends comes
        # back as CommandChanged/WireCommand, and must still be heard as ours.
        self._rounds = Periodic(
            "energrid-shedding",
            lambda: self.settings.tick_s,
            self.tick,
            log,
            "shedding failed",
            undo_after_join=True,
        )
        self._tick_lock = threading.RLock()

    # --- the part -------------------------------------------------------------------------------

    def start(self, bus: Bus, thread: bool = True) -> None:
        undos = [
            bus.subscribe(AlarmChanged, self.on_alarm),
            bus.subscribe(CommandChanged, self.on_command),
            bus.subscribe(WireCommand, self.on_wire_command),
        ]
        self._rounds.start(undos, thread)

    def stop(self) -> None:
        self._rounds.stop()

    # --- the operator's side --------------------------------------------------------------------

    def set_enabled(self, on: bool) -> None:
        self.store.set_option("shedding", "on" if on else "off")
        self.enabled = on

    def set_priority(self, house: int, consumer: int, priority: int) -> None:
        """1..9 (1 shed first) or CRITICAL (never shed)."""
        self.store.set_priority(house, consumer, priority)
        self.priorities[(house, consumer)] = priority

    def priority(self, house: int, consumer: int) -> int:
        return self.priorities.get((house, consumer), DEFAULT_PRIORITY)

    # --- events ---------------------------------------------------------------------------------

    def on_alarm(self, event: AlarmChanged) -> None:
        if not event.alarm.startswith("limit/"):
            return
        scope = int(event.alarm.split("/")[1])
        if event.event == "raised":
            self.engaged.add(scope)
            self._under_since.pop(scope, None)
        elif event.event == "cleared":
            self.engaged.discard(scope)

    def on_command(self, event: CommandChanged) -> None:
        """A new command for a shed consumer that the shedder did not send: the operator's."""
        c = event.command
        ours = self._sending == threading.get_ident()
        if event.previous is not None or ours or c.kind != "consumer":
            return
        self._release(c.house, c.device, "operator")

    def on_wire_command(self, event: WireCommand) -> None:
        """ON sent by another client (the VR one) for a shed consumer: theirs wins too."""
        seen = event.command
        if not seen.supplier and seen.state == 1:
            self._release(event.house, seen.device, "client")

    def _release(self, house: int, device: int, why: str) -> None:
        """why: 'operator' or 'client', whose command won."""
        with self._tick_lock:
            row = self.shed.pop((house, device), None)
            if row is None:
                return
            self.held.add((house, device))
            self._forget(house, device)
            text = note("shed.released", house=house, device=device, why=note(f"why.{why}"))
            self.alarms.record(f"shed/{house}/{device}", "released", text, self.clock())

    # --- acting ---------------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        with self._tick_lock:
            now = self.clock() if now is None else now
            self._tick_count += 1
            if not self.engaged:
                self.held.clear()
            if self.enabled:
                for scope in sorted(self.engaged):
                    self._shed_step(scope, now)
            for scope in sorted({row.scope for row in self.shed.values()}):
                if scope not in self.engaged:
                    self._restore_step(scope, now)

    def _target_w(self, scope: int) -> float | None:
        limit = self.alarms.limits.get(scope)
        return None if limit is None else limit * (1 - self.settings.margin)

    def _shed_step(self, scope: int, now: float) -> None:
        target = self._target_w(scope)
        if target is None or now < self._next_step.get(scope, 0.0):
            return
        if not self._effect_seen(scope, now):
            return
        with self.lock:
            draw = scope_draw_w(self.grid, self.energy, scope, now)
            if draw <= target:
                return
            victim = self._lowest(scope, now)
            if victim is None:
                return
            power_w = victim.power_w(self.energy.mains_voltage_v)
        row = ShedRow(victim.house, victim.identifier, scope, now, power_w)
        if not self._send(victim.house, victim.identifier, 0):
            return
        self.shed[(row.house, row.device)] = row
        self._awaiting[scope] = (row.house, row.device, now)
        try:
            self.store.add_shed(row)
        except EnergridError as exc:
            log.warning("%s", exc)
        self._next_step[scope] = now + self.settings.step_s
        where = (
            note("where.neighborhood")
            if scope == NEIGHBORHOOD
            else note("where.house", house=scope)
        )
        text = note(
            "shed.off",
            house=row.house,
            device=row.device,
            type=victim.type,
            priority=self.priority(row.house, row.device),
            power_w=power_w,
            where=where,
            draw_w=draw,
            target_w=target,
        )
        self.alarms.record(f"shed/{row.house}/{row.device}", "shed", text, now)

    def _effect_seen(self, scope: int, now: float) -> bool:
        """Whether the scope's draw shows the last consumer shed in it: its reading says OFF
        and its house's draw was integrated after that reading. A consumer that does not obey
        holds the next step back for `effect_wait_s` at most."""
        awaiting = self._awaiting.get(scope)
        if awaiting is None:
            return True
        house, device, since = awaiting
        with self.lock:
            target = self.grid.houses.get(house)
            consumer = None if target is None else target.consumers.get(device)
            counters = self.energy.counters
            mine = counters.get((house, "consumer", device))
            draw = counters.get((house, "house", 0))
            seen = (
                consumer is None
                or consumer.on is False
                and mine is not None
                and mine.last_t is not None
                and mine.last_t >= (consumer.last_seen or 0.0)
                and mine.last_t > since
                and draw is not None
                and draw.last_t is not None
                and draw.last_t >= mine.last_t
            )
        if seen or now - since >= self.settings.effect_wait_s:
            del self._awaiting[scope]
            return True
        return False

    def _lowest(self, scope: int, now: float) -> Consumer | None:
        """The ON consumer of the scope to shed first; call under the server lock.

        Only a consumer that counts in the scope's draw is a candidate: its house is heard
        within the energy gap (as scope_draw_w counts it) and it draws power. Switching off a
        device of an offline house, or one drawing 0 W, would lower nothing: it would only wait
        for an effect that never shows, and leave it OFF when its house comes back."""
        houses = self.grid.houses.values() if scope == NEIGHBORHOOD else [self.grid.houses[scope]]
        volts = self.energy.mains_voltage_v
        best: tuple[int, float] | None = None
        chosen = None
        for house in houses:
            if not counts_in_draw(self.energy, house.identifier, now):
                continue
            for c in house.consumers.values():
                key = (house.identifier, c.identifier)
                if c.on is not True or key in self.shed or key in self.held:
                    continue
                priority = self.priorities.get(key, DEFAULT_PRIORITY)
                power_w = c.power_w(volts)
                if priority >= CRITICAL or power_w <= 0.0:
                    continue
                rank = (priority, -power_w)
                if best is None or rank < best:
                    best, chosen = rank, c
        return chosen

    def _restore_step(self, scope: int, now: float) -> None:
        target = self._target_w(scope)
        with self.lock:
            exists = scope == NEIGHBORHOOD or scope in self.grid.houses
            draw = scope_draw_w(self.grid, self.energy, scope, now) if exists else 0.0
        if target is not None and draw >= target:
            self._under_since.pop(scope, None)
            return
        since = self._under_since.setdefault(scope, now)
        if now - since < self.settings.restore_after_s or now < self._next_step.get(scope, 0.0):
            return
        row = max((r for r in self.shed.values() if r.scope == scope), key=lambda r: r.shed_at)
        if target is not None and draw + row.power_w >= target:
            return  # it would push the scope back over: it waits
        with self.lock:
            house = self.grid.houses.get(row.house)
            present = house is not None and row.device in house.consumers
        if present and not self._send(row.house, row.device, 1):
            return
        del self.shed[(row.house, row.device)]
        self._forget(row.house, row.device)
        self._next_step[scope] = now + self.settings.step_s
        self._under_since[scope] = now  # the next one waits for the readings to show this one
        text = note(
            "shed.restored",
            house=row.house,
            device=row.device,
            draw_w=draw,
            power_w=row.power_w,
            target_w=target or 0.0,
        )
        self.alarms.record(f"shed/{row.house}/{row.device}", "restored", text, now)

    def _send(self, house: int, device: int, state: int) -> bool:
        self._sending = threading.get_ident()
        try:
            self.switch(house, device, state)
            return True
        except EnergridError as exc:
            log.warning("shedding could not switch house %s consumer %s: %s", house, device, exc)
            return False
        finally:
            self._sending = None

    def _forget(self, house: int, device: int) -> None:
        try:
            self.store.remove_shed(house, device)
        except EnergridError as exc:
            log.warning("%s", exc)
