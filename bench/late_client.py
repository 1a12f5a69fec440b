"""How fast a client that connects late rebuilds a big grid from the retained state topics.

    .venv/bin/python bench/late_client.py [--houses 1000] [--consumers 3] [--suppliers 1]

Starts Mosquitto from the repository's mosquitto.conf on free ports, a server in this process,
builds the grid, feeds every house one legacy consumer batch and one supplier batch, waits until
the state is published, then runs `energrid watch --once` as a separate process (a late client)
and compares what it prints with showHouses()' totals line. Prints the figures and the command.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt

from energrid.broker.start import ensure_broker
from energrid.shell import views
from energrid_core.config import Settings
from energrid_core.server import GridServer
from energrid_core.state.payloads import Totals, grid_totals

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(predicate, timeout_s: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def feed(port: int, houses: int, consumers: int, suppliers: int) -> float:
    """Publish one consumer batch and one supplier batch per house; returns seconds taken."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-boards")
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.monotonic()
    last = None
    for h in range(1, houses + 1):
        batch = {"0": 900 + h % 800}
        batch.update({str(c): 850 + (h * 7 + c * 13) % 700 for c in range(1, consumers + 1)})
        topic = f"Neighborhood/0/House/{h}"
        last = client.publish(f"{topic}/Consumer", orjson.dumps(batch), qos=1)
        sensors = {"lvoltage": 12.0 + h % 3, "lcurrent": 0.1 * (h % 9), "bremaining": h % 101}
        supplied = {str(s): sensors for s in range(1, suppliers + 1)}
        if suppliers:
            last = client.publish(f"{topic}/Supplier", orjson.dumps(supplied), qos=1)
    if last is not None:
        last.wait_for_publish(30)
    elapsed = time.monotonic() - started
    client.disconnect()
    client.loop_stop()
    return elapsed


def wait_delivered(port: int, shown: str) -> float:
    """Wait until the neighborhood topic shows the final totals; the server publishes it last,
    in order, so every house topic before it has reached the broker. Returns seconds waited."""
    started = time.monotonic()
    seen: list[bytes] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-observer")
    client.on_message = lambda _c, _u, message: seen.append(message.payload)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.subscribe("energrid/0/state/neighborhood", qos=1)

    def final() -> bool:
        if not seen:
            return False
        totals = Totals.from_payload(orjson.loads(seen[-1]))
        return views.neighborhood_line(0, totals) == shown

    wait(final, 60, "the final neighborhood state at the broker")
    client.disconnect()
    client.loop_stop()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=1000)
    parser.add_argument("--consumers", type=int, default=3)
    parser.add_argument("--suppliers", type=int, default=1)
    args = parser.parse_args()
    state_dir = Path(tempfile.mkdtemp(prefix="energrid-bench-"))
    settings = Settings(
        mqtt_port=free_port(), ws_port=free_port(), state_dir=state_dir, client_id="bench-server"
    )
    broker = ensure_broker(settings)
    server = GridServer(settings)
    try:
        assert server.start(5.0), "no broker"
        server.new_houses(args.houses)
        for h in range(1, args.houses + 1):
            server.new_consumers(h, args.consumers, "LED")
            if args.suppliers:
                server.new_suppliers(h, args.suppliers, "Solar Panel")
        expected = args.houses * (2 if args.suppliers else 1)
        feed_s = feed(settings.mqtt_port, args.houses, args.consumers, args.suppliers)
        wait(lambda: server.stats.messages_applied >= expected, 60, "the readings")
        wait(server.state.idle, 60, "the state to be built")
        with server.lock:
            mains_v, after_s = settings.mains_voltage_v, settings.offline_after_s
            totals = grid_totals(server.grid, mains_v, time.time(), after_s)
            shown = views.neighborhood_line(0, totals)
        drained_s = wait_delivered(settings.mqtt_port, shown)
        command = [
            str(Path(sys.executable).with_name("energrid")),
            "watch",
            "--once",
            f"--port={settings.mqtt_port}",
            "--timeout-s=30",
        ]
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        process_s = time.monotonic() - started
        rebuilt = [line for line in result.stdout.splitlines() if line.startswith("Rebuilt")]
        same = shown in result.stdout.splitlines()
        devices = args.consumers + args.suppliers
        print(f"grid: {args.houses} houses x {devices} devices, fed in {feed_s:.2f} s")
        print(f"server: {server.state.stats}")
        print(f"the last state message reached the broker {drained_s:.2f} s after the readings")
        print(f"showHouses(): {shown}")
        print(f"late client: {' '.join(rebuilt) or result.stdout + result.stderr}")
        print(f"late client process, start to exit: {process_s:.2f} s (rc {result.returncode})")
        print(f"same totals as showHouses(): {same}")
        print("command: " + " ".join(command))
        return 0 if same and result.returncode == 0 else 1
    finally:
        server.stop()
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    sys.exit(main())
