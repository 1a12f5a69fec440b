"""The operator's interactive shell: ptpython with the commands in its namespace."""

from __future__ import annotations

import atexit
import os
import signal
import sys
from contextlib import ExitStack
from typing import Any

from prompt_toolkit.patch_stdout import patch_stdout

from energrid import output as out
from energrid.app import running_server, setup_logging
from energrid.arguments import DebugFlag, command
from energrid.commands import ShellCommands
from energrid.completion import TypingCompleter, signatures_only_when_shown
from energrid.demo import Demo
from energrid_core.config import Settings
from energrid_core.server import GridServer

BANNER = """\
Energrid supervision server - neighborhood {n}, broker {address} ({state})
Type help() for the commands. For example:
  newHouse(2), newConsumer(1, 2, 'LED'), showHouses(), showHouse(1), setConsumer(2, 1, 1)
Ctrl-D or exit() leaves the shell and stops the server."""


def banner(server: GridServer) -> str:
    client = server.client
    state = "connected" if client.connected else "NOT connected, retrying"
    return BANNER.format(n=server.settings.neighborhood, address=client.address, state=state)


def build_namespace(server: GridServer, demo: Demo | None = None) -> dict[str, Any]:
    """The commands, plus `server` and `grid` for those who want to look inside.

    The demo's simulated boards stop at exit at the latest (run_shell stops them earlier).
    """
    if demo is None:
        demo = Demo(server)
    atexit.register(demo.close)
    commands = ShellCommands(server, demo=demo.start)
    namespace: dict[str, Any] = {"__name__": "__main__", "server": server, "grid": server.grid}
    namespace.update(commands.namespace())
    stop_demo = command("stopDemo()")(demo.stop)
    commands.register("stopDemo", stop_demo)
    namespace["stopDemo"] = stop_demo
    return namespace


def _typing_mistake(exc: BaseException) -> str | None:
    """One line for the mistakes an operator makes typing a command, None for anything else."""
    if isinstance(exc, NameError):
        return f"{exc}: a command needs parentheses and a type needs quotes, e.g. newHouse(), 'LED'"
    if isinstance(exc, SyntaxError):
        return f"that is not a command Python can read ({exc.msg}); help() lists the commands"
    return None


def _configure(repl: Any) -> None:
    show_exception = repl._handle_exception  # ptpython's hook for an exception at the prompt

    def handle_exception(exc: BaseException) -> None:
        line = None if DebugFlag.on else _typing_mistake(exc)
        if line is None:
            show_exception(exc)
        else:
            out.error(line)

    repl._handle_exception = handle_exception
    repl.show_status_bar = True
    repl.enable_history_search = True
    repl.complete_while_typing = True
    # Names of the namespace while typing (microseconds), Jedi on Tab: see completion.py.
    repl.completer = TypingCompleter(repl.completer, repl.get_globals)
    signatures_only_when_shown(repl)
    repl.confirm_exit = False
    repl.prompt_style = "classic"  # '>>>' as in the seed's examples
    repl.title = "Energrid"


def run_shell(settings: Settings) -> int:
    from ptpython.repl import embed

    with ExitStack() as stack:

        def exit_on_signal(signum: int, frame: object) -> None:
            # ptpython's loop swallows exceptions raised while it waits for input, so a hang-up
            # or SIGTERM stops the server and the broker child here, then leaves at once.
            stack.close()
            os._exit(128 + signum)

        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, exit_on_signal)
        out.Console.direct = sys.stdout
        stack.enter_context(patch_stdout())
        setup_logging(settings.log_level, sys.stdout, timestamps=False)
        on_connection = lambda _up, text: out.say(f"[broker] {text}")  # noqa: E731
        server = stack.enter_context(running_server(settings, on_connection))
        demo = Demo(server)
        stack.callback(demo.close)  # the demo's boards stop before the server and its broker
        out.say(banner(server))
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        history = str(settings.state_dir / "shell_history")
        embed(
            globals=build_namespace(server, demo),
            configure=_configure,
            history_filename=history,
            title="Energrid",
        )
    return 0
