"""The benchmark's figures, compared with the targets of docs/performance.md, as text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.drain import Drain
from bench.live import Live

KB = 1024


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    target: str = ""
    met: bool | None = None  # None: for information, no target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "MISSED")


def printer() -> Callable[[str], None]:
    def say(text: str) -> None:
        print(text, flush=True)

    return say


def header(results: dict[str, Any]) -> str:
    m = results["machine"]
    return "\n".join(
        [
            f"Energrid benchmark, size {results['size']}, started {results['started']}",
            f"command: {results['command']}",
            f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, {m['mosquitto']}, "
            f"load average at start {m['load_average']}",
        ]
    )


def drain_line(d: Drain) -> str:
    readings = f", {d.readings_rate:,.0f} readings/s" if d.readings_rate != d.rate else ""
    return (
        f"  {d.name:<14} {d.rate:>9,.0f} msg/s{readings}; {d.cpu_us:6.1f} us CPU/msg; "
        f"RSS {d.rss_bytes / 2**20:,.1f} MiB; window {d.window_s:.2f} s"
        + (" after its republish" if d.settled else "")
    )


def live_line(v: Live) -> str:
    readings = f", {v.readings_rate:,.0f} readings/s" if v.readings_rate != v.rate else ""
    lost = f"; {v.lost:,} dropped by the broker" if v.lost else ""
    typed = f"; {v.keystrokes} keystrokes" if v.keystrokes else ""
    return (
        f"  {v.name:<14} {v.rate:>9,.0f} msg/s{readings}; {v.cpu_us:6.1f} us CPU/msg; "
        f"window {v.window_s:.2f} s{lost}{typed}"
    )


def live_summary(v: Live) -> dict[str, float]:
    return {
        "published": v.published,
        "received": v.received,
        "rate": v.rate,
        "readings_rate": v.readings_rate,
        "cpu_us": v.cpu_us,
        "window_s": v.window_s,
        "rss_bytes": v.rss_bytes,
        "keystrokes": v.keystrokes,
    }


def live_figures(live: dict[str, Any], size: Any) -> list[Figure]:
    """The live-stream figures, each a ratio of two subscribers measured in the same run."""

    def ratio(key: str, base: str) -> float:
        return live[key]["rate"] / live[base]["rate"]

    def cpu(key: str, base: str) -> Figure:
        """CPU per message, the base's over the subscriber's: what the rates are when the
        subscriber has a core to itself (on a loaded machine the rates also depend on what
        the broker and the publisher got)."""
        mine, theirs = live[key]["cpu_us"], live[base]["cpu_us"]
        return Figure(
            f"  CPU/msg {theirs:.1f} us bare, {mine:.1f} us: bare / it", f"{theirs / mine:.2f}"
        )

    out = []
    for qos in (0, 1):
        base = f"legacy_q{qos}_bare"
        out.append(Figure(f"live legacy QoS {qos}: bare paho msg/s", f"{live[base]['rate']:,.0f}"))
        energrid = ratio(f"legacy_q{qos}_energrid", base)
        diy = ratio(f"legacy_q{qos}_diy", base)
        target = ">= 0.9" if qos == 0 else ""
        met = energrid >= 0.9 if qos == 0 else None
        out.append(
            Figure(f"live legacy QoS {qos}: Energrid / bare paho", f"{energrid:.2f}", target, met)
        )
        out.append(cpu(f"legacy_q{qos}_energrid", base))
        out.append(Figure(f"live legacy QoS {qos}: DIY / bare paho", f"{diy:.2f}"))
        out.append(cpu(f"legacy_q{qos}_diy", base))
        peer = f"legacy_q{qos}_node-red"
        if peer in live:
            out.append(
                Figure(f"live legacy QoS {qos}: Node-RED / bare paho", f"{ratio(peer, base):.2f}")
            )
            out.append(cpu(peer, base))
            ahead = energrid > ratio(peer, base)
            out.append(
                Figure(
                    f"live legacy QoS {qos}: Energrid ahead of Node-RED",
                    f"{energrid - ratio(peer, base):+.2f}",
                    "> 0",
                    ahead,
                )
            )
        if qos == 0:
            ahead = energrid > diy
            out.append(
                Figure(
                    "live legacy QoS 0: Energrid ahead of DIY",
                    f"{energrid - diy:+.2f}",
                    "> 0",
                    ahead,
                )
            )
    typing = ratio("legacy_q0_typing", "legacy_q0_bare")
    out.append(
        Figure(
            "live legacy QoS 0, operator typing: / bare", f"{typing:.2f}", ">= 0.7", typing >= 0.7
        )
    )
    out.append(cpu("legacy_q0_typing", "legacy_q0_bare"))
    for devices in size.live_devices:
        base = f"device_{devices}_q0_bare"
        energrid = ratio(f"device_{devices}_q0_energrid", base)
        diy = ratio(f"device_{devices}_q0_diy", base)
        big = devices == max(size.live_devices)
        out.append(
            Figure(
                f"live per-device QoS 0, {devices} devices: Energrid / bare",
                f"{energrid:.2f}",
                ">= 0.9" if big else "",
                energrid >= 0.9 if big else None,
            )
        )
        out.append(cpu(f"device_{devices}_q0_energrid", base))
        out.append(Figure(f"live per-device QoS 0, {devices} devices: DIY / bare", f"{diy:.2f}"))
        out.append(cpu(f"device_{devices}_q0_diy", base))
        peer = f"device_{devices}_q0_node-red"
        if peer in live:
            name = f"live per-device QoS 0, {devices} devices: Node-RED / bare"
            out.append(Figure(name, f"{ratio(peer, base):.2f}"))
            out.append(cpu(peer, base))
    return out


def memory_line(memory: dict[str, Any]) -> str:
    beyond, full = memory["0"], memory["60"]
    return (
        f"  memory         {beyond['bytes_per_device']:,.0f} B/device beyond history, "
        f"{full['bytes_per_device']:,.0f} B with 60 readings ({beyond['devices']:,.0f} devices)"
    )


def build_line(build: dict[str, Any]) -> str:
    return (
        f"  build          {build['houses']} houses x {build['consumers']} consumers in "
        f"{build['build_s']:.2f} s; showHouses() {build['show_houses_s'] * 1000:.1f} ms"
    )


def roundtrip_line(rtt: dict[str, Any]) -> str:
    idle, loaded = rtt["idle"], rtt["loaded"]
    return (
        f"  round trip     {idle['samples'] + idle['timeouts']} samples idle, median / p99 "
        f"{idle['median_ms']:.1f} / {idle['p99_ms']:.1f} ms; "
        f"{loaded['samples'] + loaded['timeouts']} at {loaded['load_rate']:,.0f} msg/s, "
        f"{loaded['median_ms']:.1f} / {loaded['p99_ms']:.1f} ms" + _threads(loaded)
    )


def _threads(loaded: dict[str, Any]) -> str:
    """The server's busiest threads while loaded (bench.roundtrip's threads_cpu_percent)."""
    shares = loaded.get("threads_cpu_percent") or {}
    busiest = list(shares.items())[:4]
    if not busiest:
        return ""
    names = ", ".join(f"{name.removeprefix('energrid-')} {share:g} %" for name, share in busiest)
    return f"; CPU of a core: {names}"


def drain_summary(d: Drain) -> dict[str, float]:
    return {
        "messages": d.messages,
        "rate": d.rate,
        "readings_rate": d.readings_rate,
        "cpu_us": d.cpu_us,
        "rss_bytes": d.rss_bytes,
        "window_s": d.window_s,
    }


def figures(results: dict[str, Any], size: Any) -> list[Figure]:
    d = results["drains"]
    scale = sorted(size.scale_devices)
    small, big = scale[0], scale[-1]

    def ratio(key: str, base: str) -> float:
        return d[key]["rate"] / d[base]["rate"]

    legacy = ratio("legacy_energrid", "legacy_bare")
    device = ratio(f"device_{big}_energrid", f"device_{big}_bare")
    out = live_figures(results["live"], size) + [
        Figure(
            "legacy: readings applied/s by Energrid",
            f"{d['legacy_energrid']['readings_rate']:,.0f}",
        ),
        Figure(
            "legacy: bare paho msg/s (QoS 1 / QoS 0)",
            f"{d['legacy_bare']['rate']:,.0f} / {d['legacy_bare_qos0']['rate']:,.0f}",
        ),
        Figure("legacy: Energrid / bare paho (QoS 1)", f"{legacy:.2f}", ">= 0.8", legacy >= 0.8),
        Figure(
            "legacy: Energrid / bare paho at QoS 0",
            f"{ratio('legacy_energrid', 'legacy_bare_qos0'):.2f}",
        ),
        Figure(
            "legacy: DIY paho+json.loads+dict / bare", f"{ratio('legacy_diy', 'legacy_bare'):.2f}"
        ),
        Figure(
            f"per-device ({big} devices): Energrid / bare", f"{device:.2f}", ">= 0.9", device >= 0.9
        ),
        Figure("per-device: DIY / bare", f"{ratio('device_diy', f'device_{big}_bare'):.2f}"),
    ]
    for devices in scale:
        r = ratio(f"device_{devices}_energrid", f"device_{devices}_bare")
        cpu = d[f"device_{devices}_energrid"]["cpu_us"]
        out.append(
            Figure(f"per-device, {devices} devices: ratio; CPU us/reading", f"{r:.2f}; {cpu:.1f}")
        )
    cost = d[f"device_{big}_energrid"]["cpu_us"] / d[f"device_{small}_energrid"]["cpu_us"]
    out.append(
        Figure(f"cost/reading (CPU) {big} vs {small} devices", f"{cost:.2f}", "<= 1.2", cost <= 1.2)
    )
    wall = d[f"device_{small}_energrid"]["rate"] / d[f"device_{big}_energrid"]["rate"]
    out.append(Figure(f"cost/reading (wall) {big} vs {small} devices", f"{wall:.2f}"))
    memory = results["memory"]
    beyond = memory["0"]["bytes_per_device"]
    devices = memory["0"]["devices"]
    out.append(
        Figure(
            f"memory/device beyond history ({devices:.0f} dev)",
            f"{beyond:,.0f} B",
            "<= 1024 B",
            beyond <= KB,
        )
    )
    out.append(
        Figure(
            "memory/device with 60-reading history", f"{memory['60']['bytes_per_device']:,.0f} B"
        )
    )
    rss_small = d[f"device_{small}_energrid"]["rss_bytes"]
    rss_big = d[f"device_{big}_energrid"]["rss_bytes"]
    out.append(
        Figure(
            "headless RSS growth per device (cross-check)",
            f"{(rss_big - rss_small) / (big - small):,.0f} B",
        )
    )
    build = results["build"]
    houses = build["houses"]
    out.append(
        Figure(
            f"build {houses} houses x {build['consumers']} consumers (shell)",
            f"{build['build_s']:.2f} s",
            "< 2 s",
            build["build_s"] < 2.0,
        )
    )
    out.append(
        Figure(
            f"showHouses() on {houses} houses",
            f"{build['show_houses_s'] * 1000:.1f} ms",
            "< 200 ms",
            build["show_houses_s"] < 0.2,
        )
    )
    rtt = results["roundtrip"]
    idle, loaded = rtt["idle"], rtt["loaded"]
    out.append(
        Figure(
            "state of the whole grid published after connect",
            f"{rtt['state_settled_s']:.1f} s",
            "<= 5 s",
            rtt["state_settled_s"] <= 5.0,
        )
    )
    out.append(
        Figure(
            "round trip idle: median / p99",
            f"{idle['median_ms']:.1f} / {idle['p99_ms']:.1f} ms{unconfirmed(idle)}",
            "p99 < 10 ms",
            idle["p99_ms"] < 10 and idle["timeouts"] == 0,
        )
    )
    out.append(
        Figure(
            f"round trip at half load ({loaded['load_rate']:,.0f} msg/s): median / p99",
            f"{loaded['median_ms']:.1f} / {loaded['p99_ms']:.1f} ms{unconfirmed(loaded)}",
            "p99 < 50 ms",
            loaded["p99_ms"] < 50 and loaded["timeouts"] == 0,
        )
    )
    out.append(Figure("  server's applied rate during it", f"{loaded['applied_rate']:,.0f} msg/s"))
    runs = results.get("roundtrips", [rtt])
    if len(runs) > 1:
        loads = [run["loaded"] for run in runs]
        out.append(
            Figure(
                f"round trip p99 at half load, {len(runs)} runs",
                " / ".join(f"{load['p99_ms']:.0f}" for load in loads) + " ms",
                "< 50 ms each",
                all(load["p99_ms"] < 50 and load["timeouts"] == 0 for load in loads),
            )
        )
    for phase in ("idle", "loaded"):
        for step, values in rtt.get(f"{phase}_steps", {}).items():
            out.append(
                Figure(
                    f"  {phase}: {step.replace('_', ' ')}, median / p99",
                    f"{values['median_ms']:.1f} / {values['p99_ms']:.1f} ms",
                )
            )
    return out


def unconfirmed(samples: dict[str, Any]) -> str:
    """What the percentiles leave out: commands not confirmed within the benchmark's wait."""
    timeouts = samples["timeouts"]
    return f" ({timeouts} unconfirmed)" if timeouts else ""


def figures_table(rows: list[Figure]) -> str:
    width = max(len(r.name) for r in rows)
    lines = ["\nfigures:", f"  {'figure':<{width}}  {'measured':>18}  {'target':<12}  verdict"]
    for r in rows:
        lines.append(f"  {r.name:<{width}}  {r.value:>18}  {r.target:<12}  {r.verdict}".rstrip())
    return "\n".join(lines)
