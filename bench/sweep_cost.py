"""What one energy sweep costs in CPU, on a grid whose every device sent a new reading.

    python -m bench.sweep_cost [--houses 10000] [--consumers 10] [--suppliers 0] [--sweeps 6]
                               [--heard 1.0]

Builds the grid without a broker, then before each sweep gives every house's meter and
consumers a new reading (one second later, the amps varying from sweep to sweep, so nothing
is the same as last time) and notes every house as heard, as the MQTT thread would. With
--heard below 1, a different random share of the houses each sweep (the sweep's cached layout
of its houses is then built again each time). Prints
each sweep's CPU time of the sweeping thread (thread_time: what another process on a shared
machine disturbs least) and wall time, then the lowest CPU per sweep and per sample. The first
sweep is each device's first reading (the rare path), so it is left out of the lowest.
"""

from __future__ import annotations

import argparse
import gc
import random
import time

from bench.scratch import scratch_state_dir
from energrid_core.config import Settings
from energrid_core.server import GridServer

START = 1_700_000_000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--suppliers", type=int, default=0, help="suppliers per house")
    parser.add_argument("--sweeps", type=int, default=6)
    parser.add_argument("--heard", type=float, default=1.0, help="share of houses heard a sweep")
    args = parser.parse_args()

    server = GridServer(Settings(mqtt_port=1, start_broker=False, state_dir=scratch_state_dir()))
    server.new_houses(args.houses)
    for h in range(1, args.houses + 1):
        server.new_consumers(h, args.consumers, "LED")
        if args.suppliers:
            server.new_suppliers(h, args.suppliers, "Solar")
    energy = server.energy
    clock = [START]
    energy.clock = lambda: clock[0]

    chance = random.Random(1)
    everyone = list(server.grid.houses.items())

    def feed(t: float, step: int) -> None:
        heard = everyone
        if args.heard < 1.0:
            heard = sorted(chance.sample(everyone, round(args.heard * len(everyone))))
        for h, house in heard:
            house.meter_a.update(t, 5.0 + 0.01 * step)
            for c in house.consumers.values():
                c.current_a.update(t, 0.5 + 0.001 * (step + c.identifier))
            for s in house.suppliers.values():
                s.update(t, {"load_voltage_v": 12.0, "load_current_a": 1.0 + 0.01 * step}, True)
            energy._heard.append(h)

    costs: list[float] = []
    samples = 0
    for step in range(args.sweeps):
        t = clock[0] + 1.0
        feed(t, step)
        clock[0] = t + 0.5
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        samples = energy.sweep()
        cpu = time.thread_time() - cpu0
        wall = time.perf_counter() - wall0
        print(f"sweep {step}: {samples} samples, {wall * 1e3:.1f} ms wall, {cpu * 1e3:.1f} ms cpu")
        if step > 0:
            costs.append(cpu)
    if costs and samples:
        best = min(costs)
        print(f"lowest: {best * 1e3:.1f} ms cpu a sweep, {best * 1e6 / samples:.3f} us a sample")


if __name__ == "__main__":
    main()
