"""The city benchmark: two neighborhoods of 1,000 houses on two edge brokers bridged to a city.

    .venv/bin/python -m bench.city [--houses 1000] [--consumers 10] [--rate 1000]
                                   [--outage-s 10] [--samples 20]

Three Mosquittos on free loopback ports (the city, and one edge per neighborhood with the
section `energrid bridge` prints), and for each neighborhood `bench.energrid_node`, the headless
server with its grid built through the shell's commands. It measures, in this order:

1. the city view whole: a new `energrid city` client, from its connect until it holds both
   neighborhoods' totals and status (`--views` times), and a client of every state topic of
   both (the whole tree) for comparison;
2. a command from the city, idle: `city_command.send` to consumer 10 of a house of
   neighborhood 2, answered by `bench.responder` on the edge, until the server's confirmation
   is back in the city (`--samples` times);
3. what neighborhood 1's bridge sends: `bench.loadgen` publishes a legacy batch per house and
   per second (`--rate`) on its edge; a subscriber of `energrid/1/#` on the city counts the
   messages and bytes over `--window-s`;
4. the city broker stopped for `--outage-s` under that load, then started: how long until the
   view (kept running) is whole again; then, the load stopped, whether every retained state
   topic of the city equals its edge's (compared every few seconds until they all do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.broker import BenchBroker
from bench.loadgen import LEGACY, Workload, write_load_file
from energrid.city.bridge_config import MAX_QUEUED_MESSAGES, BridgeOptions, section
from energrid.city.city_client import CityClient
from energrid.city.city_command import CityCommand, send
from energrid.watch.grid import WatchedGrid
from energrid_core.state.topics import CONSUMER

NEIGHBORHOODS = (1, 2)


class Broker(BenchBroker):
    """A broker as mosquitto.conf sets one up (queue of 10,000, Nagle off), plus extra lines."""

    def __init__(self, directory: Path, extra: str = "") -> None:
        super().__init__(directory)
        self.extra = extra

    def config(self) -> str:
        lines = [
            line
            for line in super().config().splitlines()
            if not line.startswith(("max_queued_messages", "queue_qos0_messages"))
        ]
        return "\n".join([*lines, "max_queued_messages 10000", self.extra]) + "\n"


class Retained:
    """Every retained message under a filter, as a fresh subscriber gets it; and a live count."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: dict[str, bytes] = {}
        self.count = 0
        self.bytes = 0
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *rest: c.subscribe(topic, 0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        with self.lock:
            self.count += 1
            self.bytes += len(message.topic) + len(message.payload)
            if message.payload:
                self.messages[message.topic] = message.payload
            else:
                self.messages.pop(message.topic, None)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait(condition, timeout_s: float, what: str) -> float:  # noqa: ANN001
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise SystemExit(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.005)
    return time.monotonic() - started


def whole(client: CityClient, houses: int) -> bool:
    with client.lock:
        for n in NEIGHBORHOODS:
            grid = client.city.grids.get(n)
            if grid is None or grid.summary is None or grid.server_online is not True:
                return False
            if grid.summary.get("house_count") != houses:
                return False
    return True


class Tree:
    """A client of every state topic of both neighborhoods, as `energrid watch` rebuilds one."""

    def __init__(self, port: int) -> None:
        self.grids = {n: WatchedGrid(n) for n in NEIGHBORHOODS}
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, *rest: c.subscribe("energrid/+/#", 0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:  # noqa: ANN001
        with self.lock:
            for grid in self.grids.values():
                grid.apply(message.topic, message.payload)

    def complete(self, houses: int) -> bool:
        with self.lock:
            return all(
                grid.complete() and len(grid.house_ids()) == houses for grid in self.grids.values()
            )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def tree_complete_s(port: int, houses: int) -> float:
    """Seconds for a new client of energrid/+/# to hold every listed topic of both."""
    started = time.monotonic()
    tree = Tree(port)
    try:
        wait(lambda: tree.complete(houses), 60, "the whole state tree")
    finally:
        tree.close()
    return time.monotonic() - started


def view_whole_s(port: int, houses: int) -> float:
    client = CityClient("127.0.0.1", port)
    started = time.monotonic()
    client.start()
    try:
        assert client.sync(10), "the city broker did not answer"
        wait(lambda: whole(client, houses), 10, "a view of both neighborhoods")
        return time.monotonic() - started
    finally:
        client.stop()


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    values = sorted(values)
    p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
    return (
        f"median {statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {values[-1] * 1000:.1f} ms ({len(values)} samples)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=1000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1000.0, help="batches a second on edge 1")
    parser.add_argument("--window-s", type=float, default=10.0)
    parser.add_argument("--outage-s", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--views", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
        return run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> int:
    city = Broker(tmp / "city", f"max_queued_messages {MAX_QUEUED_MESSAGES}")
    city.start()
    edges: dict[int, Broker] = {}
    servers: list[subprocess.Popen[bytes]] = []
    responder = loader = None
    try:
        for n in NEIGHBORHOODS:
            bridge = BridgeOptions(n, city.host, city.port, bridge_id=f"bench-bridge-{n}")
            edges[n] = Broker(tmp / f"edge-{n}", section(bridge))
            edges[n].start()
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.energrid_node",
                        f"--houses={args.houses}",
                        f"--consumers={args.consumers}",
                        f"--mqtt-port={edges[n].port}",
                        "--no-start-broker",
                        f"--neighborhood={n}",
                        f"--client-id=energrid-{n}",
                        f"--state-dir={tmp / f'state-{n}'}",
                        "--log-level=WARNING",
                    ],
                    stdout=subprocess.DEVNULL,
                )
            )
        print(
            f"city broker :{city.port}, edges :{edges[1].port} and :{edges[2].port}; "
            f"{len(NEIGHBORHOODS)} x {args.houses} houses x {args.consumers} consumers"
        )
        tree = Tree(city.port)
        took = wait(lambda: tree.complete(args.houses), 300, "both grids in the city")
        tree.close()
        print(f"both servers' state in the city: {took:.1f} s after start")
        views = [view_whole_s(city.port, args.houses) for _ in range(args.views)]
        print(f"1. city view whole after connecting: {summary(views)}")
        tree_s = tree_complete_s(city.port, args.houses)
        print(f"   every state topic of both (a client of energrid/+/#): {tree_s:.3f} s")

        responder = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.responder",
                f"--port={edges[2].port}",
                "--neighborhood=2",
            ],
            stdin=subprocess.PIPE,  # it answers until its stdin closes
            stdout=subprocess.PIPE,
        )
        assert responder.stdout is not None and responder.stdout.readline().strip() == b"ready"
        client = CityClient("127.0.0.1", city.port)
        client.start()
        rounds = []
        for i in range(args.samples):
            house = 1 + (i * 37) % args.houses
            command = CityCommand(2, house, CONSUMER, args.consumers, i % 2)
            outcome = send(client, command, 5.0, 120.0, 10.0)
            if outcome.took_s is None:
                print(f"   sample {i}: {outcome.text}")
                continue
            rounds.append(outcome.took_s)
        client.stop()
        print(
            f"2. command from the city confirmed, idle: {summary(rounds)}; "
            f"{args.samples - len(rounds)} not confirmed"
        )

        load_file = tmp / "load-1"
        write_load_file(
            Workload(LEGACY, args.houses, args.consumers, 20 * args.houses, neighborhood=1),
            load_file,
        )
        duration_s = 20 + args.window_s + args.outage_s + 60
        loader = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                "publish",
                str(load_file),
                f"--port={edges[1].port}",
                f"--rate={args.rate}",
                f"--duration-s={duration_s}",
            ],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(5)  # the load reaches its rate, and every house has sent a batch
        counter = Retained(city.port, "energrid/1/#")
        time.sleep(1)
        watched = {"server 1": servers[0].pid, "edge 1": edges[1].pid, "city": city.pid}
        cpu0 = {name: cpu_s(pid) for name, pid in watched.items() if pid}
        with counter.lock:
            count0, bytes0 = counter.count, counter.bytes
        started = time.monotonic()
        time.sleep(args.window_s)
        with counter.lock:
            count1, bytes1 = counter.count, counter.bytes
        elapsed = time.monotonic() - started
        cpu = {name: (cpu_s(watched[name]) - used) / elapsed for name, used in cpu0.items()}
        counter.close()
        rate = (count1 - count0) / elapsed
        print(
            f"3. neighborhood 1's bridge at {args.rate:.0f} batches/s ({args.houses} active "
            f"houses): {rate:.0f} messages/s, {(bytes1 - bytes0) / elapsed / 1024:.0f} KiB/s "
            f"of topics and payloads, over {elapsed:.1f} s"
        )
        loads = ", ".join(f"{name} {share:.0%}" for name, share in cpu.items())
        print(
            f"   CPU of one core meanwhile: {loads}; server 1 resident "
            f"{rss_mib(servers[0].pid):.0f} MiB"
        )

        viewer = CityClient("127.0.0.1", city.port)
        viewer.start()
        wait(lambda: whole(viewer, args.houses), 10, "the view")
        city.stop()
        wait(lambda: not viewer.connected.is_set(), 60, "the view to see the city gone")
        time.sleep(args.outage_s)
        city.start()
        back = time.monotonic()
        wait(lambda: viewer.connected.is_set(), 60, "the view to reconnect")
        wait(lambda: whole(viewer, args.houses), 120, "the view whole again")
        print(
            f"4. city broker down {args.outage_s:g} s under load: the view was whole again "
            f"{time.monotonic() - back:.2f} s after it started (no restart of anything)"
        )
        viewer.stop()
        loader.terminate()
        loader.wait()
        loader = None
        stopped = time.monotonic()
        while (different := compare_trees(city.port, edges)) and time.monotonic() - back < 90:
            print(f"   {different} retained state topics differ between the city and the edges")
        print(
            f"   load stopped {stopped - back:.1f} s after the city broker started; every "
            f"retained state topic of the city equal to its edge's {time.monotonic() - back:.1f} s "
            f"after it started ({different} differ)"
        )
        return 0
    finally:
        for process in [p for p in (responder, loader) if p is not None] + servers:
            process.terminate()
            process.wait()
        for broker in [*edges.values(), city]:
            broker.stop()


def settled(retained: Retained, quiet_s: float = 1.0, limit_s: float = 20.0) -> None:
    """Wait until a new subscriber's retained messages stopped coming (quiet for quiet_s)."""
    started = time.monotonic()
    last, last_change = -1, started
    while time.monotonic() - started < limit_s:
        with retained.lock:
            count = retained.count
        if count != last:
            last, last_change = count, time.monotonic()
        elif time.monotonic() - last_change >= quiet_s:
            return
        time.sleep(0.05)


def compare_trees(city_port: int, edges: dict[int, Broker]) -> int:
    different = 0
    for n, edge in edges.items():
        at_city = Retained(city_port, f"energrid/{n}/#")
        at_edge = Retained(edge.port, f"energrid/{n}/#")
        settled(at_city)
        settled(at_edge)
        with at_city.lock, at_edge.lock:
            topics = set(at_city.messages) | set(at_edge.messages)
            differing = sorted(
                t for t in topics if at_city.messages.get(t) != at_edge.messages.get(t)
            )
            different += len(differing)
            for topic in differing[:3]:
                print(
                    f"   differs: {topic}: city {at_city.messages.get(topic)!r:.120}, "
                    f"edge {at_edge.messages.get(topic)!r:.120}"
                )
        at_city.close()
        at_edge.close()
    return different


if __name__ == "__main__":
    sys.exit(main())
