"""--metrics-port: OpenMetrics read from the server's own counters at scrape time."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import TestClient, wait_for
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from energrid_core.errors import EnergridError
from energrid_core.metrics import MetricsEndpoint
from energrid_core.server import GridServer

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


@pytest.fixture
def endpoint(server: GridServer) -> Iterator[MetricsEndpoint]:
    metrics = MetricsEndpoint(server, "127.0.0.1", 0)
    metrics.start()
    yield metrics
    metrics.stop()


def scrape(metrics: MetricsEndpoint) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}, from the OpenMetrics exposition."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{metrics.port}/metrics", headers={"Accept": OPENMETRICS}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    for (sample, have), found in samples.items():
        if sample == name and set(labels.items()) <= set(have):
            return found
    raise AssertionError(f"no sample {name} {labels}")


def test_counters_move_with_the_traffic(
    server: GridServer, endpoint: MetricsEndpoint, mqtt_client: TestClient
) -> None:
    n = server.settings.neighborhood
    server.new_houses(2)
    server.new_consumers(1, 2, "Lamp")
    before = scrape(endpoint)
    assert value(before, "energrid_broker_connected") == 1
    assert value(before, "energrid_houses") == 2
    received = value(before, "energrid_messages_received_total")
    for raw in (1700, 1275):
        mqtt_client.publish(f"Neighborhood/{n}/House/1/Consumer", f'{{"0": {raw}, "1": {raw}}}')
    mqtt_client.publish(f"Neighborhood/{n}/House/1/Consumer", b"{truncated")
    wait_for(lambda: server.stats.messages_received >= received + 3, "the three messages")
    after = scrape(endpoint)
    assert value(after, "energrid_messages_received_total") == received + 3
    assert value(after, "energrid_messages_applied_total") == 2
    assert value(after, "energrid_messages_rejected_total", reason="json") == 1
    assert value(after, "energrid_consumption_watts") == pytest.approx(7.5 * 230)
    assert value(after, "energrid_net_watts") == pytest.approx(-7.5 * 230)
    server.set_consumer(1, 1, 0)
    wait_for(
        lambda: value(scrape(endpoint), "energrid_commands_total", outcome="delivered") == 1,
        "the delivered command",
    )
    assert not any(name.startswith("energrid_house_") for name, _ in after)


def test_energy_counters_move_while_readings_come_in(
    server: GridServer, endpoint: MetricsEndpoint, mqtt_client: TestClient
) -> None:
    n = server.settings.neighborhood
    server.new_houses(1)
    server.new_consumers(1, 1, "Radiator")
    assert value(scrape(endpoint), "energrid_energy_imported_joules_total") == 0
    last_sent = [0.0]

    def imported_after_a_reading() -> float:
        """A reading every 0.2 s at most (a board's pace), and the counter as scraped."""
        if time.monotonic() - last_sent[0] >= 0.2:
            mqtt_client.publish(f"Neighborhood/{n}/House/1/Consumer", '{"1": 2000}')
            last_sent[0] = time.monotonic()
        return value(scrape(endpoint), "energrid_energy_imported_joules_total")

    wait_for(lambda: imported_after_a_reading() > 0, "energy imported")
    first = imported_after_a_reading()
    wait_for(lambda: imported_after_a_reading() > first, "the counter to grow with more readings")
    # Readings stopped: once the last sweep is in, the metric is the server's own count, in J.
    wh = server.energy.neighborhood
    wait_for(
        lambda: (
            value(scrape(endpoint), "energrid_energy_imported_joules_total")
            == pytest.approx(wh().in_wh * 3600)
        ),
        "the metric to match showEnergy's watt-hours",
    )
    samples = scrape(endpoint)
    assert value(samples, "energrid_energy_exported_joules_total") == 0  # consumers only
    today = value(samples, "energrid_energy_imported_today_joules")
    assert 0 < today <= value(samples, "energrid_energy_imported_joules_total")
    per_house = MetricsEndpoint(server, "127.0.0.1", 0, per_house=True)
    per_house.start()
    try:
        house = value(scrape(per_house), "energrid_house_energy_imported_joules_total", house="1")
    finally:
        per_house.stop()
    assert house == pytest.approx(value(samples, "energrid_energy_imported_joules_total"))


def test_per_house_series_only_on_request(server: GridServer, mqtt_client: TestClient) -> None:
    server.new_houses(3)
    metrics = MetricsEndpoint(server, "127.0.0.1", 0, per_house=True)
    metrics.start()
    try:
        samples = scrape(metrics)
    finally:
        metrics.stop()
    houses = {
        dict(labels)["house"] for name, labels in samples if name.startswith("energrid_house_")
    }
    assert houses == {"1", "2", "3"}


def test_a_port_in_use_is_one_line(server: GridServer, endpoint: MetricsEndpoint) -> None:
    with pytest.raises(EnergridError, match=f"cannot serve metrics on 127.0.0.1:{endpoint.port}"):
        MetricsEndpoint(server, "127.0.0.1", endpoint.port).start()


def test_the_grafana_dashboard_uses_only_metrics_energrid_serves(server: GridServer) -> None:
    server.new_houses(1)
    metrics = MetricsEndpoint(server, "127.0.0.1", 0, per_house=True)
    metrics.start()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{metrics.port}/metrics", headers={"Accept": OPENMETRICS}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            families = list(text_string_to_metric_families(response.read().decode()))
    finally:
        metrics.stop()
    served = {f.name for f in families} | {s.name for f in families for s in f.samples}
    served |= {f"{f.name}_total" for f in families if f.type == "counter"}
    dashboard = Path(__file__).resolve().parent.parent / "docs" / "grafana-dashboard.json"
    used = set(re.findall(r"energrid_[a-z_]+", dashboard.read_text()))
    assert used, "the dashboard queries no metric"
    assert used <= served, sorted(used - served)
    panels = json.loads(dashboard.read_text())["panels"]
    assert all(p["targets"] for p in panels)
