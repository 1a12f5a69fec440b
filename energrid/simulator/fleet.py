"""Simulated boards on the broker: one MQTT connection per house (as real boards), or a few houses
per connection for large fleets (board_client.py), and one scheduler thread that takes and
publishes the readings.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence

from energrid.simulator.board import SimHouse
from energrid.simulator.board_client import BoardClient, FleetCounters, FleetOptions
from energrid.simulator.clock import SimClock
from energrid.simulator.status import ConnectionStatus

__all__ = ["BoardClient", "BoardFleet", "FleetCounters", "FleetOptions"]

log = logging.getLogger("energrid.sim")

MAX_SLOTS = 10  # a period is cut in up to 10 slots, so that a big fleet does not publish at once
CommandListener = Callable[[str], None]


class BoardFleet:
    """Every simulated board of a run, and the schedule that makes them publish."""

    def __init__(
        self,
        houses: Sequence[SimHouse],
        clock: SimClock,
        options: FleetOptions,
        on_command: CommandListener | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        """`wait(seconds)` returns True when the fleet is stopping: the stop event's wait by
        default; tests pass one that moves their fake clock.wall instead of sleeping."""
        if not houses:
            raise ValueError("a fleet needs at least one house")
        self.clock = clock
        self.options = options
        self.on_command = on_command
        self.counters = FleetCounters()
        self._lock = threading.Lock()
        self._starting = False
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread: threading.Thread | None = None
        size = max(1, options.houses_per_client)
        self.clients = [
            BoardClient(houses[i : i + size], options, self) for i in range(0, len(houses), size)
        ]
        self.houses = [
            (client, house) for client in self.clients for house in client.houses.values()
        ]
        address = f"{options.host}:{options.port}"
        self.status = ConnectionStatus(
            len(self.clients), address, lambda: self.connected_count, options.status_interval_s
        )

    @property
    def connected_count(self) -> int:
        return sum(client.connected.is_set() for client in self.clients)

    @property
    def refused(self) -> list[BoardClient]:
        """The boards the broker refused at their last attempt."""
        return [c for c in self.clients if c.refusal is not None and not c.connected.is_set()]

    def start(self, wait_s: float = 0.0) -> bool:
        """Connect every board in the background; True when all are up within wait_s.

        The wait ends early once every board is up or refused by the broker (see `refused`).
        """
        self._starting = True
        try:
            for client in self.clients:
                client.start()
            deadline = time.monotonic() + wait_s
            for client in self.clients:
                while not client.connected.wait(0.05):
                    if self._stop.is_set() or time.monotonic() >= deadline:
                        return False
                    if all(c.connected.is_set() or c.refusal for c in self.clients):
                        return False
            return True
        finally:
            self._starting = False
            self.status.settle()  # the caller says how the start went; changes from there on

    def request_stop(self) -> None:
        """Ask run() to return; safe from a signal handler (stop() then disconnects)."""
        self._stop.set()

    def publish_all(self, sim_s: float) -> None:
        """Every house takes a reading at sim_s and publishes it now."""
        for client, house in self.houses:
            client.publish(house, sim_s)

    def run(self, count: int | None = None, duration_s: float | None = None) -> None:
        """Publish every period until stop(), `count` readings per house or duration_s seconds.

        Reading k of the houses in slot g is taken at simulated time
        start + (k + g / slots) * period * time_factor, and published at that wall time.
        """
        slots = max(1, min(len(self.houses), MAX_SLOTS))
        groups = [self.houses[g::slots] for g in range(slots)]
        period, wall = self.options.period_s, self.clock.wall
        start = wall()
        index = 0
        while not self._stop.is_set():
            k, g = divmod(index, slots)
            offset = (k + g / slots) * period
            if (count is not None and k >= count) or (
                duration_s is not None and offset > duration_s
            ):
                return
            delay = start + offset - wall()
            if delay > 0 and self._wait(delay):
                return
            sim_s = self.clock.sim_time(offset)
            for client, house in groups[g]:
                client.publish(house, sim_s)
            index += 1
            behind_s = wall() - start - offset
            if behind_s > period:  # skip to the present instead of bursting to catch up
                skipped = math.floor(behind_s / period * slots)
                index += skipped
                self.counters.late += skipped

    def start_background(self, count: int | None = None) -> None:
        """run() in a daemon thread (the demo's boards inside the shell)."""
        self._thread = threading.Thread(
            target=self._run_guarded, args=(count,), name="energrid-sim-boards", daemon=True
        )
        self._thread.start()

    def _run_guarded(self, count: int | None) -> None:
        try:
            self.run(count)
        except Exception:
            log.warning("the simulated boards stopped on an error", exc_info=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop publishing, then disconnect every board. Safe to call twice."""
        self._stop.set()
        self.status.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        for client in self.clients:
            client.stop()

    # --- called from the boards' network threads ----------------------------------------------

    def obeyed(self, what: str) -> None:
        with self._lock:
            self.counters.commands += 1
        log.debug("obeyed: %s", what)
        if self.on_command is not None:
            self.on_command(what)

    def connection_changed(self) -> None:
        if self._stop.is_set() or self._starting:
            return  # stopping: the boards disconnect on purpose; starting: start() says it
        self.status.changed()
