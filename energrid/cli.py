"""The `energrid` command: the shell by default, --headless for a service, subcommands for tools."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from energrid.broker import credentials
from energrid.city import bridge_cli, city_cli
from energrid.shell import invocation
from energrid.simulator import cli as simulator_cli
from energrid.view import cli as view_cli
from energrid.watch import cli as watch
from energrid_core import config
from energrid_core.errors import EnergridError

# name -> (help, add its arguments, run it with the parsed arguments); later tools register here.
Subcommand = tuple[
    str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]
]
SUBCOMMANDS: dict[str, Subcommand] = {
    "sim": simulator_cli.SUBCOMMAND,
    "watch": (watch.HELP, watch.add_arguments, watch.run),
    "credentials": credentials.SUBCOMMAND,
    "bridge": (bridge_cli.HELP, bridge_cli.add_arguments, bridge_cli.run),
    "city": (city_cli.HELP, city_cli.add_arguments, city_cli.run),
    "view": view_cli.SUBCOMMAND,
}


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a wrong flag is one line (with where to look), not the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="energrid",
        description="Energrid supervision server. With no subcommand: connect and open the shell.",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run the server without the shell until SIGINT or SIGTERM",
    )
    config.add_arguments(parser)
    if SUBCOMMANDS:
        sub = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", parser_class=OneLineParser
        )
        for name, (text, add_arguments, _run) in SUBCOMMANDS.items():
            add_arguments(sub.add_parser(name, help=text, description=text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = config.from_args(args)
    except ValueError as exc:  # a malformed ENERGRID_* variable
        print(f"energrid: {exc}", file=sys.stderr)
        return 2
    invocation.remember(settings)
    try:
        name = getattr(args, "subcommand", None)
        if name:
            args.settings = settings
            return SUBCOMMANDS[name][2](args)
        if args.headless:
            from energrid.headless import run_headless

            return run_headless(settings)
        from energrid.shell.session import run_shell

        return run_shell(settings)
    except EnergridError as exc:
        print(f"energrid: {invocation.pasteable(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
