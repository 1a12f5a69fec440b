"""The benchmark runs end to end at a tiny size and prints every figure of docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

FIGURES = [
    "live legacy QoS 0: bare paho msg/s",
    "live legacy QoS 0: Energrid / bare paho",
    "live legacy QoS 0: DIY / bare paho",
    "live legacy QoS 0: Energrid ahead of DIY",
    "live legacy QoS 1: Energrid / bare paho",
    "live legacy QoS 0, operator typing: / bare",
    "live per-device QoS 0, 200 devices: Energrid / bare",
    "live per-device QoS 0, 200 devices: DIY / bare",
    "legacy: readings applied/s by Energrid",
    "legacy: bare paho msg/s (QoS 1 / QoS 0)",
    "legacy: Energrid / bare paho (QoS 1)",
    "legacy: Energrid / bare paho at QoS 0",
    "legacy: DIY paho+json.loads+dict / bare",
    "per-device (200 devices): Energrid / bare",
    "per-device: DIY / bare",
    "per-device, 100 devices: ratio; CPU us/reading",
    "per-device, 200 devices: ratio; CPU us/reading",
    "cost/reading (CPU) 200 vs 100 devices",
    "memory/device beyond history",
    "memory/device with 60-reading history",
    "build 100 houses x 10 consumers (shell)",
    "showHouses() on 100 houses",
    "state of the whole grid published after connect",
    "round trip idle: median / p99",
    "round trip at half load",
    "loaded: command returned, median / p99",
    "loaded: to board, median / p99",
    "loaded: answer applied, median / p99",
]


@pytest.mark.slow
def test_tiny_benchmark_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--size", "tiny", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = result.stdout
    assert "machine: " in text and "command: python -m bench.run --size tiny" in text
    for name in FIGURES:
        assert name in text, f"missing figure {name!r}"
    results = json.loads(out.read_text())
    for figure in results["figures"]:
        assert figure["value"] and "nan" not in figure["value"].lower()
    # Every subscriber got every message, and Energrid applied all of them.
    for key, drain in results["drains"].items():
        assert drain["rate"] > 0, key
    for key, live in results["live"].items():
        assert live["rate"] > 0 and live["received"] > 0, key
    assert results["live"]["legacy_q0_typing"]["keystrokes"] > 0
    energrid = results["drains"]["legacy_energrid"]
    assert energrid["readings_rate"] == pytest.approx(10 * energrid["rate"])
    assert results["roundtrip"]["idle"]["timeouts"] == 0


def run_bench(args: list[str], cwd: Path = REPO) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_tiny_store_benchmark_prints_its_figures() -> None:
    out = run_bench([str(REPO / "bench" / "bench_store.py"), "--houses", "3", "--runs", "1"])
    assert "newConsumer(1, 10, 'LED')" in out and "commanded state changed" in out
    assert "snapshot of     3 houses" in out and "waited" in out


@pytest.mark.slow
def test_tiny_late_client_benchmark_matches_the_shell() -> None:
    out = run_bench([str(REPO / "bench" / "late_client.py"), "--houses", "5"])
    assert "grid: 5 houses" in out and "same totals as showHouses(): True" in out


@pytest.mark.slow
def test_tiny_inprocess_benchmark_prints_its_cost() -> None:
    args = ["-m", "bench.inprocess", "--houses", "3", "--messages", "200"]
    assert "us per message in Ingest.handle (30 devices)" in run_bench(args)


@pytest.mark.slow
def test_tiny_city_benchmark_prints_its_figures() -> None:
    args = ["-m", "bench.city", "--houses", "5", "--rate", "5", "--window-s", "1"]
    out = run_bench([*args, "--outage-s", "1", "--samples", "2", "--views", "1"])
    assert "1. city view whole after connecting: median" in out
    assert "(2 samples); 0 not confirmed" in out
    assert "3. neighborhood 1's bridge at 5 batches/s" in out
    assert "(0 differ)" in out


def test_tiny_sweep_cost_benchmark_prints_its_cost() -> None:
    args = ["-m", "bench.sweep_cost", "--houses", "4", "--consumers", "3", "--sweeps", "3"]
    out = run_bench([*args, "--suppliers", "1", "--heard", "0.5"])
    assert "sweep 2: 10 samples" in out and "ms cpu a sweep" in out and "us a sample" in out


def test_a_rate_window_always_sees_messages_come() -> None:
    """A pause between two samples of one count is no window: the benchmark's rate would be 0
    (it was once, under load, and the report divided by it)."""
    from bench.drain import Sample, window

    def sample(t: float, received: int) -> Sample:
        return Sample(t, {"received": received})

    paused = [sample(0, 0), sample(1, 5000), sample(2, 5000), sample(3, 10200)]
    first, last = window(paused, 10200, 200)
    assert last.counts["received"] > first.counts["received"]
    steady = [sample(0, 0), sample(1, 3000), sample(2, 6000), sample(3, 10200)]
    assert [s.uptime_s for s in window(steady, 10200, 200)] == [1, 2]
    assert window([sample(0, 0), sample(1, 0)], 10200, 200) is None
