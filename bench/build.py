"""Building a large grid from the shell's commands, and showing it.

    python -m bench.build --houses 10000 --consumers 10

Times newHouse(houses), then newConsumer(h, consumers, 'LED') for every house, then
showHouses(), all through energrid.shell.commands.ShellCommands as the shell calls them (their
printed output goes to a buffer that is dropped).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from dataclasses import dataclass

from bench.scratch import scratch_state_dir
from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.server import GridServer


@dataclass(frozen=True)
class BuildTimes:
    houses: int
    consumers: int
    build_s: float
    show_houses_s: float
    show_houses_lines: int


def time_build(houses: int, consumers: int) -> BuildTimes:
    server = GridServer(Settings(state_dir=scratch_state_dir(), client_id="bench-build"))
    commands = ShellCommands(server)
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        commands.newHouse(houses)
        for house in range(1, houses + 1):
            commands.newConsumer(house, consumers, "LED")
        build_s = time.perf_counter() - start
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        start = time.perf_counter()
        commands.showHouses()
        show_s = time.perf_counter() - start
    made = sum(len(h.consumers) for h in server.grid.houses.values())
    if len(server.grid.houses) != houses or made != houses * consumers:
        raise RuntimeError(f"built {len(server.grid.houses)} houses and {made} consumers")
    return BuildTimes(houses, consumers, build_s, show_s, shown.getvalue().count("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=10)
    args = parser.parse_args(argv)
    times = time_build(args.houses, args.consumers)
    print(
        f"built {times.houses} houses x {times.consumers} consumers in {times.build_s:.3f} s; "
        f"showHouses() {times.show_houses_s * 1000:.1f} ms ({times.show_houses_lines} lines)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
