"""The operator's shell, as `energrid` opens it, on a built grid, its counters written to a file.

    python -m bench.energrid_shell --houses 100 --consumers 10 --mqtt-port P \\
        --no-start-broker --stats-interval-s 0.1 --stats-file FILE

The same ptpython prompt, namespace and logging set-up as `energrid`
(energrid/shell/session.py); the
grid is built first (bench/energrid_node.py's build_grid). The `stats ...` lines go to FILE
rather than to the screen, so that the benchmark reads them while a person (pexpect) types at
the prompt in a pty: the shell then renders, completes and runs commands on the same
interpreter as the ingest, which is what the "operator typing" figure measures.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from prompt_toolkit.patch_stdout import patch_stdout

from bench.energrid_node import build_grid
from energrid.app import running_server, setup_logging
from energrid.shell import output as out
from energrid.shell.session import banner, build_namespace, configure_for
from energrid.shell.stats_report import StatsReporter
from energrid_core import config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, required=True)
    parser.add_argument("--consumers", type=int, required=True, help="consumers per house")
    parser.add_argument("--stats-file", type=Path, required=True)
    config.add_arguments(parser)
    args = parser.parse_args(argv)
    settings = config.from_args(args)
    from ptpython.repl import embed

    with ExitStack() as stack:

        def exit_on_signal(signum: int, frame: object) -> None:
            stack.close()
            os._exit(128 + signum)

        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, exit_on_signal)
        out.Console.direct = sys.stdout
        stack.enter_context(patch_stdout())
        setup_logging(settings.log_level, sys.stdout, timestamps=False)
        stats_log = logging.getLogger("energrid.stats")
        stats_log.propagate = False
        stats_log.addHandler(logging.FileHandler(args.stats_file))
        stats_log.setLevel(logging.INFO)
        on_connection = lambda _up, text: out.say(f"[broker] {text}")  # noqa: E731
        server = stack.enter_context(
            running_server(
                settings,
                on_connection,
                prepare=lambda s: build_grid(s, args.houses, args.consumers),
            )
        )
        reporter = StatsReporter(server, settings.stats_interval_s).start()
        stack.callback(reporter.stop)
        out.say(banner(server))
        namespace = build_namespace(server)
        embed(globals=namespace, configure=configure_for(namespace), title="Energrid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
