"""The parts that manage the grid (issue 12), assembled in one place for the server.

Energy, history (with its MQTT requests and the optional InfluxDB export), alarms and load
shedding: each a part with start() and stop() that hears the bus; none calls the others except
through what it was given here (the shedder is given the alarms' limits and its record, and the
server's command path). The server builds them with `build()`, starts them after its own parts
and stops them first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from energrid_core.errors import BadArgumentError
from energrid_core.events import Bus
from energrid_core.history.influx import InfluxExport
from energrid_core.history.recorder import HistoryRecorder
from energrid_core.history.requests import HistoryRequests, request_topic
from energrid_core.history.store import HISTORY_NAME, HistoryStore, Retention
from energrid_core.manage.alarms import AlarmMonitor, AlarmSettings
from energrid_core.manage.energy import EnergyTracker
from energrid_core.manage.shedding import Shedder, SheddingSettings
from energrid_core.persistence.manage_store import ManageStore

if TYPE_CHECKING:
    from energrid_core.server import GridServer


@dataclass
class ManageParts:
    energy: EnergyTracker
    alarms: AlarmMonitor
    shedding: Shedder
    history: HistoryRecorder | None
    history_requests: HistoryRequests | None
    influx: InfluxExport | None

    def start(self, bus: Bus) -> None:
        self.energy.start(bus)
        if self.history is not None:
            self.history.start(bus)  # records what the energy sweeps integrate
        if self.history_requests is not None:
            self.history_requests.start()
        if self.influx is not None:
            self.influx.start(bus)
        self.alarms.start(bus)
        self.shedding.start(bus)

    def stop(self) -> None:
        self.shedding.stop()
        self.alarms.stop()
        if self.history_requests is not None:
            self.history_requests.stop()
        self.energy.stop()  # its last sweep, before the history's last write
        if self.history is not None:
            self.history.stop()
            self.history.store.close()
        if self.influx is not None:
            self.influx.stop()


def build(server: GridServer) -> ManageParts:
    """The parts for a server whose grid, store, client and state publisher are built."""
    settings, n = server.settings, server.settings.neighborhood
    grid, lock, clock = server.grid, server.lock, server.clock
    energy = EnergyTracker(
        grid, lock, settings.mains_voltage_v, settings.energy_gap_s, clock, settings.energy_sweep_s
    )
    energy.restore(server.store.energy())
    history = requests = influx = None
    if settings.keep_history:
        keep = Retention(
            settings.history_raw_keep_s,
            settings.history_minute_keep_s,
            settings.history_quarter_keep_s,
        )
        history_store = HistoryStore(server.store.path.parent / HISTORY_NAME, keep)
        history = HistoryRecorder(history_store, clock)
        requests = HistoryRequests(grid, lock, history_store, server.client.respond, clock)
        server.client.add_request_route(request_topic(n), requests.on_request)
    if settings.influx_url:
        try:
            influx = InfluxExport(settings.influx_url, n, settings.influx_db)
        except ValueError as exc:
            raise BadArgumentError(str(exc)) from None
    manage = ManageStore(server.store, n)
    alarms = AlarmMonitor(
        grid,
        lock,
        energy,
        manage,
        clock,
        AlarmSettings(min_s=settings.alarm_min_s),
        server._publish_state,  # noqa: SLF001 - retained, QoS 1, as the state topics
    )
    shed_settings = SheddingSettings(
        settings.shed_margin_pct / 100, settings.shed_step_s, settings.shed_restore_after_s
    )
    shedding = Shedder(
        grid, lock, energy, alarms, manage, server.set_consumer, clock, shed_settings
    )
    return ManageParts(energy, alarms, shedding, history, requests, influx)
