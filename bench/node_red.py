"""Node-RED as a peer in the live streams (`python -m bench.run --peer node-red`).

The flow (bench/node_red/flows.json): an `mqtt in` node subscribed like the other subscribers
(MQTT 5, QoS 1, no-local, a durable session under the benchmark's client id), a `json` node, and
a function node that keeps amps in a Map by (topic, sensor) as the DIY subscriber does, and logs
the same `stats uptime_s=… received=… cpu_s=…` line every interval. Node-RED is installed on
request with `npm ci` from the pinned package-lock.json into bench/node_red/node_modules.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bench.broker import free_port

FOLDER = Path(__file__).resolve().parent / "node_red"


def install() -> None:
    """`npm ci` in bench/node_red, once (node_modules kept for the next runs)."""
    if (FOLDER / "node_modules" / "node-red" / "red.js").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("--peer node-red needs Node.js and npm (apt-get install nodejs npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FOLDER, check=True, timeout=600)


def command(directory: Path, port: int, client_id: str, interval_s: float) -> tuple[list, dict]:
    """The command line and environment of one Node-RED subscriber with its own user folder."""
    user = directory / f"node-red-{client_id}"
    user.mkdir(parents=True, exist_ok=True)
    shutil.copy(FOLDER / "flows.json", user / "flows.json")
    node = shutil.which("node") or "node"
    argv = [node, str(FOLDER / "node_modules" / "node-red" / "red.js")]
    argv += ["-u", str(user), "-s", str(FOLDER / "settings.js"), str(user / "flows.json")]
    env = {
        "MQTT_PORT": str(port),
        "CLIENT_ID": client_id,
        "UI_PORT": str(free_port()),
        "STATS_INTERVAL_MS": str(round(interval_s * 1000)),
    }
    return argv, env
