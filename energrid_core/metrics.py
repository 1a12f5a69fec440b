"""Prometheus/OpenMetrics metrics of a running server (`--metrics-port`).

A custom collector reads the counters the server already keeps when Prometheus scrapes, so the
per-reading path does no extra work. Per-house series only with `--metrics-per-house`: one set
per house would otherwise grow with the grid.

Energy is in joules, Prometheus's base unit for it (prometheus.io/docs/practices/naming): the
energy counters (energrid_core.manage.energy) keep watt-hours, 1 Wh = 3600 J; a dashboard
shows kWh by
dividing by 3.6e6. Imported and exported are counters (they only grow, and are saved with the
grid); today's amounts, which start again at local midnight, are gauges.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from energrid_core.errors import EnergridError
from energrid_core.lock_slices import locked_slices
from energrid_core.state.payloads import house_sums, totals_of

log = logging.getLogger("energrid.metrics")

HOUSES_PER_HOLD = 200  # houses summed per hold of the server lock at a scrape
JOULES_PER_WH = 3600.0


class GridCollector(Collector):
    """Everything is read at scrape time from the server (a GridServer)."""

    def __init__(self, server, per_house: bool = False) -> None:  # noqa: ANN001
        self.server = server
        self.per_house = per_house

    def collect(self) -> Iterator[Metric]:
        server = self.server
        n = str(server.settings.neighborhood)
        stats = server.stats
        yield _counter("messages_received", "MQTT messages taken in", stats.messages_received, n)
        yield _counter(
            "messages_applied", "messages applied to the grid", stats.messages_applied, n
        )
        yield _counter("readings_applied", "device readings applied", stats.readings_applied, n)
        yield _counter("commands_seen", "commands other clients sent", stats.commands_seen, n)
        yield _counter("callback_errors", "internal errors that cost one message",
                       stats.callback_errors + server.client.callback_errors, n)  # fmt: skip
        yield _counter("duplicates_dropped", "redelivered QoS 1 messages dropped",
                       server.client.duplicates_dropped, n)  # fmt: skip
        yield _by_label("messages_rejected", "messages rejected, by reason", "reason",
                        dict(stats.rejected), n)  # fmt: skip
        yield _by_label("readings_skipped", "readings of unknown devices skipped", "reason",
                        dict(stats.skipped_readings), n)  # fmt: skip
        outcomes = {phase.value: count for phase, count in server.ledger.counts.items()}
        yield _by_label("commands", "commands, by the phases they reached", "outcome", outcomes, n)
        client = server.client
        yield _gauge(
            "broker_connected", "1 while connected to the broker", int(client.connected), n
        )
        yield _counter("broker_connects", "connections made to the broker", client.connects, n)
        yield _counter("broker_disconnects", "connections lost", client.disconnects, n)
        yield _gauge("state_houses_waiting", "houses whose state topics wait to go out",
                     server.state.waiting, n)  # fmt: skip
        yield _gauge("mqtt_unacked_publishes", "messages awaiting the broker's acknowledgement",
                     client.unacked_publishes, n)  # fmt: skip
        yield _gauge("bound_plugs", "consumers fed by a Tasmota or Shelly plug",
                     len(server.bindings), n)  # fmt: skip
        yield from self._power(n)
        yield from self._energy(n)

    def _energy(self, n: str) -> Iterator[Metric]:
        energy = self.server.energy
        now = self.server.clock()
        view = energy.neighborhood(now)
        yield _counter("energy_imported_joules", "energy the houses drew from the grid, summed",
                       view.in_wh * JOULES_PER_WH, n)  # fmt: skip
        yield _counter("energy_exported_joules", "energy the houses delivered to the grid, summed",
                       view.out_wh * JOULES_PER_WH, n)  # fmt: skip
        yield _gauge("energy_imported_today_joules", "energy imported since local midnight",
                     view.today_in_wh * JOULES_PER_WH, n)  # fmt: skip
        yield _gauge("energy_exported_today_joules", "energy exported since local midnight",
                     view.today_out_wh * JOULES_PER_WH, n)  # fmt: skip
        if not self.per_house:
            return
        with self.server.lock:
            numbers = list(self.server.grid.houses)
        imported = CounterMetricFamily(
            "energrid_house_energy_imported_joules", "energy a house drew", labels=_HOUSE
        )
        exported = CounterMetricFamily(
            "energrid_house_energy_exported_joules", "energy a house delivered", labels=_HOUSE
        )
        for number in numbers:
            house = energy.house(number, now)
            if house is None:
                continue  # not heard from yet: no counter
            imported.add_metric([n, str(number)], house.in_wh * JOULES_PER_WH)
            exported.add_metric([n, str(number)], house.out_wh * JOULES_PER_WH)
        yield imported
        yield exported

    def _power(self, n: str) -> Iterator[Metric]:
        server = self.server
        mains_v = server.settings.mains_voltage_v
        now, offline_after_s = server.clock(), server.settings.offline_after_s
        with server.lock:
            numbers = list(server.grid.houses)
        sums, per_house = [], []
        for some in locked_slices(server.lock, numbers, HOUSES_PER_HOLD):
            for number in some:
                house = server.grid.houses.get(number)
                if house is None:
                    continue
                house_sum = house_sums(house)
                sums.append(house_sum)
                if self.per_house:
                    per_house.append((str(number), house_sum))
        totals = totals_of(sums, mains_v, now, offline_after_s)
        yield _gauge("houses", "houses in the grid", totals.houses, n)
        yield _gauge("houses_online", "houses heard from within --offline-after-s",
                     totals.houses_online, n)  # fmt: skip
        yield _gauge("devices", "consumers and suppliers in the grid", totals.devices, n)
        yield _gauge("consumption_watts", "the consumption of the houses online",
                     totals.consumption_w, n)  # fmt: skip
        yield _gauge("left_out_consumption_watts", "what the houses offline last drew",
                     totals.left_out_consumption_w, n)  # fmt: skip
        yield _gauge("supply_watts", "what the suppliers deliver", totals.supply_w, n)
        yield _gauge("net_watts", "supply minus consumption", totals.net_w, n)
        if not self.per_house:
            return
        families = {
            "consumption": GaugeMetricFamily(
                "energrid_house_consumption_watts", "a house's consumption", labels=_HOUSE
            ),
            "supply": GaugeMetricFamily(
                "energrid_house_supply_watts", "what a house's suppliers deliver", labels=_HOUSE
            ),
            "net": GaugeMetricFamily("energrid_house_net_watts", "a house's net", labels=_HOUSE),
        }
        for house, s in per_house:
            consumption_w = s.consumption_a * mains_v
            families["consumption"].add_metric([n, house], consumption_w)
            families["supply"].add_metric([n, house], s.supply_w)
            families["net"].add_metric([n, house], s.supply_w - consumption_w)
        yield from families.values()


_HOUSE = ["neighborhood", "house"]


def _counter(name: str, text: str, value: float, n: str) -> CounterMetricFamily:
    family = CounterMetricFamily(f"energrid_{name}", text, labels=["neighborhood"])
    family.add_metric([n], value)
    return family


def _gauge(name: str, text: str, value: float, n: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"energrid_{name}", text, labels=["neighborhood"])
    family.add_metric([n], value)
    return family


def _by_label(name: str, text: str, label: str, values: dict[str, int], n: str) -> Metric:
    family = CounterMetricFamily(f"energrid_{name}", text, labels=["neighborhood", label])
    for key, value in sorted(values.items()):
        family.add_metric([n, key], value)
    return family


class MetricsEndpoint:
    """The HTTP endpoint Prometheus scrapes: /metrics, OpenMetrics when asked for it."""

    def __init__(self, server, host: str, port: int, per_house: bool = False) -> None:  # noqa: ANN001
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(GridCollector(server, per_house))
        self.host, self.port = host, port
        self._http: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            self._http, self._thread = start_http_server(self.port, self.host, self.registry)
        except OSError as exc:
            raise EnergridError(
                f"cannot serve metrics on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        self.port = self._http.server_port
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
