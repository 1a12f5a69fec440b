"""The operator's interactive shell: ptpython with the commands in its namespace."""

from __future__ import annotations

import atexit
import os
import signal
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from prompt_toolkit.patch_stdout import patch_stdout

from energrid.app import running_server, setup_logging
from energrid.arguments import DebugFlag, command
from energrid.broker.start import ManagedBroker
from energrid.demo import Demo
from energrid.shell import output as out
from energrid.shell.commands import ShellCommands
from energrid.shell.completion import TypingCompleter, signatures_only_when_shown
from energrid.shell.mistakes import typing_mistake
from energrid.shell.words import w
from energrid.view.shell_view import ShellView, with_view
from energrid_core.config import Settings
from energrid_core.private_files import private_directory, private_file
from energrid_core.server import GridServer

BANNER = """\
Energrid supervision server - neighborhood {n}, broker {address} ({state})
{broker}
{profile}
Type help() for the commands; Tab completes names. For example:
  newHouse(2), newConsumer(1, 2, 'LED'), showHouses(), showHouse(1), setConsumer(2, 1, 1)
Ctrl-D or exit() leaves the shell and stops the server{and_broker}."""


def banner(server: GridServer, broker: ManagedBroker | None = None) -> str:
    """What the operator sees first: where the grid comes from, which profile and account."""
    link, settings = server.connection_status(), server.settings
    state = "connected" if link.connected else "NOT connected, retrying"
    if broker is None:
        about_broker = "Broker: not started by Energrid (it goes on after exit)."
        and_broker = ""
    else:
        about_broker = (
            f"Broker: Mosquitto started by Energrid from {Path(settings.broker_config).name}, "
            f"websockets on port {broker.ws_port}; it stops with the shell."
        )
        and_broker = " and the Mosquitto it started"
    if settings.mqtt_username:
        profile = f"Profile: secure, account {settings.mqtt_username}."
    else:
        profile = "Profile: development, no account (anonymous)."
    return BANNER.format(
        n=settings.neighborhood,
        address=link.address,
        state=state,
        broker=about_broker,
        profile=profile,
        and_broker=and_broker,
    )


def build_namespace(server: GridServer, demo: Demo | None = None) -> dict[str, Any]:
    """The commands, plus `server` and `grid` for those who want to look inside.

    The demo's simulated boards stop at exit at the latest (run_shell stops them earlier).
    """
    if demo is None:
        demo = Demo(server)
    atexit.register(demo.close)
    view = ShellView(server.settings)  # served from the first startDemo() on
    atexit.register(view.close)
    commands = ShellCommands(server, demo=with_view(demo.start, view))
    namespace: dict[str, Any] = {"__name__": "__main__", "server": server, "grid": server.grid}
    namespace.update(commands.namespace())
    commands.manage.clock_text = demo.clock_text  # live() shows the demo's simulated time
    stop_demo = command("stopDemo()")(demo.stop)
    commands.register("stopDemo", stop_demo)
    namespace["stopDemo"] = stop_demo
    return namespace


def configure_for(namespace: dict[str, Any]) -> Callable[[Any], None]:
    """ptpython's configure(repl) callback for a shell over these commands."""
    commands = {name: fn for name, fn in namespace.items() if hasattr(fn, "usage")}

    def configure(repl: Any) -> None:
        _configure(repl, commands)

    return configure


def _configure(repl: Any, commands: dict[str, Any]) -> None:
    show_exception = repl._handle_exception  # ptpython's hook for an exception at the prompt
    evaluate = repl.eval  # ptpython runs each line typed through it
    typed: list[str] = [""]

    def eval_line(line: str) -> object:
        typed[0] = line  # for handle_exception: `newConsumer(1, LED)` is answered with its fix
        return evaluate(line)

    def handle_exception(exc: BaseException) -> None:
        line = None if DebugFlag.on else typing_mistake(exc, commands, typed[0])
        if line is None:
            show_exception(exc)
        else:
            out.error(line)

    repl._handle_exception = handle_exception
    repl.eval = eval_line
    # ptpython refuses Enter on a line that does not compile and shows why in its toolbar; the
    # next line typed then lands on the same one. Accepted, it raises SyntaxError like any line
    # does in `python -i`, and handle_exception answers it in one line under a fresh prompt.
    repl.enable_input_validation = False
    repl.show_status_bar = True
    repl.enable_history_search = True
    repl.complete_while_typing = True
    # Names of the namespace while typing (microseconds), Jedi on Tab: see completion.py.
    repl.completer = TypingCompleter(repl.completer, repl.get_globals)
    signatures_only_when_shown(repl)
    repl.confirm_exit = False
    repl.prompt_style = "classic"  # '>>>' as in the seed's examples
    repl.title = "Energrid"


def print_connection(_connected: bool, text: str) -> None:
    """A line about the broker connection or the broker child, from any thread: worded in the
    shell's language when it is printed (the line carries its note, notes.NoteText)."""
    out.say(w("broker notice", text=text))


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
        built: dict[str, Any] = {}

        def prepare(server: GridServer) -> None:
            # Before the connection: the notices of commands settled right after it (one
            # journaled by an earlier run, say) are printed too.
            built["demo"] = Demo(server)
            built["namespace"] = build_namespace(server, built["demo"])

        brokers: list[ManagedBroker | None] = []
        server = stack.enter_context(
            running_server(settings, print_connection, prepare, brokers.append)
        )
        stack.callback(built["demo"].close)  # the demo's boards stop before the server, broker
        out.say(banner(server, brokers[0]))
        history = str(private_file(private_directory(settings.state_dir) / "shell_history"))
        namespace = built["namespace"]
        embed(
            globals=namespace,
            configure=configure_for(namespace),
            history_filename=history,
            title="Energrid",
        )
    return 0
