"""`energrid --headless` with a grid built first, the way an operator builds it in the shell.

    python -m bench.energrid_node --houses 10000 --consumers 10 --mqtt-port P \\
        --no-start-broker --stats-interval-s 0.1

Every house gets its consumers through the shell's own commands (newHouse(n), then
newConsumer(h, n, 'LED') per house), before the server connects; then the process is the
headless server, logging its `stats ...` line every --stats-interval-s until SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys

from energrid.headless import run_headless
from energrid.shell.commands import ShellCommands
from energrid_core import config
from energrid_core.server import GridServer


def build_grid(server: GridServer, houses: int, consumers: int) -> None:
    """newHouse(houses), then newConsumer(h, consumers, 'LED') for every house; output dropped."""
    commands = ShellCommands(server)
    with contextlib.redirect_stdout(io.StringIO()):
        commands.newHouse(houses)
        for house in range(1, houses + 1):
            commands.newConsumer(house, consumers, "LED")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, required=True)
    parser.add_argument("--consumers", type=int, required=True, help="consumers per house")
    config.add_arguments(parser)
    args = parser.parse_args(argv)
    settings = config.from_args(args)
    return run_headless(
        settings, prepare=lambda server: build_grid(server, args.houses, args.consumers)
    )


if __name__ == "__main__":
    sys.exit(main())
