"""The web view at 1,000 houses: late join of the page over websockets, frames per second in
headless Chromium, and what a subscriber to each level of the state topics receives while
1,000 simulated houses send readings.

    .venv/bin/python -m bench.view_page [--houses 1000] [--consumers 10] [--runs 3] [--no-browser]

Everything runs on this machine: Mosquitto from mosquitto.conf (ports moved), Energrid's
server in this process, `energrid sim` in a child process, Debian's chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from browser import chromium  # noqa: E402
from mosquitto_fixture import free_port  # noqa: E402

from energrid.broker.start import ManagedBroker  # noqa: E402
from energrid.view.cli import page_config  # noqa: E402
from energrid.view.server import ViewServer  # noqa: E402
from energrid_core.config import Settings  # noqa: E402
from energrid_core.server import GridServer  # noqa: E402

SUBSCRIPTIONS = [
    "energrid/0/#",
    "energrid/0/state/house/+",
    "energrid/0/state/neighborhood",
]


def wait(condition, timeout_s: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


class Counter:
    """A TCP subscriber counting the messages and payload bytes it receives."""

    def __init__(self, port: int, topic: str) -> None:
        self.topic = topic
        self.messages = 0
        self.bytes = 0
        self.ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=0)
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.on_message = self._count
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _count(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        if not message.retain:  # live traffic only, not the retained grid at subscribe time
            self.messages += 1
            self.bytes += len(message.payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def page_late_join(driver, url: str, runs: int) -> list[tuple[float, float]]:  # noqa: ANN001
    """Seconds from the page's CONNACK to the whole grid held by the page, and to it drawn
    (scene and panel), per load."""
    seconds = []
    for _ in range(runs):
        driver.get(url)
        wait(
            lambda: driver.execute_script("return window.energridView?.timings.drawn != null"),
            120,
            "the page never held the whole grid",
        )
        t = driver.execute_script("return window.energridView.timings")
        seconds.append(((t["whole"] - t["connected"]) / 1000, (t["drawn"] - t["connected"]) / 1000))
    return seconds


def fps(driver, seconds: float) -> float:  # noqa: ANN001
    first = driver.execute_script("return window.energridView.scene.frames")
    time.sleep(seconds)
    return (driver.execute_script("return window.energridView.scene.frames") - first) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=1000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure-s", type=float, default=10.0)
    parser.add_argument("--no-browser", action="store_true", help="the subscribers' traffic only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        mqtt_port, ws_port = free_port(), free_port()
        settings = Settings(mqtt_port=mqtt_port, ws_port=ws_port, state_dir=Path(state))
        broker = ManagedBroker(settings)
        broker.start()
        server = GridServer(Settings(**{**settings.__dict__, "start_broker": False}))
        view = ViewServer(page_config(settings), 0)
        sim = None
        counters: list[Counter] = []
        try:
            server.start(10)
            for house in server.new_houses(args.houses):
                server.new_consumers(house.identifier, args.consumers, "LED")
                server.new_suppliers(house.identifier, 1, "Solar Panel")
            wait(server.state.idle, 120, "the server never published the grid")
            devices = args.houses * (args.consumers + 1)
            print(f"grid: {args.houses} houses x {args.consumers + 1} devices ({devices})")
            view.start()
            with contextlib.ExitStack() as stack:
                driver = None if args.no_browser else stack.enter_context(chromium())
                if driver is not None:
                    joins = page_late_join(driver, view.url, args.runs)
                    shown = ", ".join(f"{held:.2f} / {drawn:.2f} s" for held, drawn in joins)
                    print(f"page late join over websockets, connect -> grid held / drawn: {shown}")
                    print(f"page fps, grid idle: {fps(driver, 5):.1f}")
                sim = subprocess.Popen(
                    [sys.executable, "-m", "energrid", "--mqtt-port", str(mqtt_port), "sim",
                     "--houses", str(args.houses), "--consumers", str(args.consumers),
                     "--suppliers", "1", "--period", "1", "--houses-per-client", "50"],
                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                time.sleep(10)  # every simulated house connected and reading
                counters = [Counter(mqtt_port, topic) for topic in SUBSCRIPTIONS]
                for counter in counters:
                    counter.ready.wait(10)
                time.sleep(args.measure_s)
                for counter in counters:
                    rate = counter.messages / args.measure_s
                    kb_s = counter.bytes / args.measure_s / 1000
                    print(f"{args.houses} active houses, subscriber to {counter.topic}: "
                          f"{rate:.0f} msg/s, {kb_s:.1f} kB/s of payload")  # fmt: skip
                if driver is not None:
                    print(f"page fps, {args.houses} active houses: {fps(driver, 5):.1f}")
        finally:
            for counter in counters:
                counter.close()
            if sim is not None:
                sim.terminate()
                sim.wait(10)
            view.stop()
            server.stop()
            broker.stop()


if __name__ == "__main__":
    main()
