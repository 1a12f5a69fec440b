"""The seed's entry point: `python -i start_server.py` (or `python start_server.py`).

With -i the server starts and Python's own interactive prompt gets the commands;
without it, the ptpython shell opens as with `energrid`.
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

try:
    import paho.mqtt  # noqa: F401 - only checks that this Python has Energrid's requirements
except ModuleNotFoundError:  # the system's Python: use the project's virtualenv when it exists
    VENV = Path(__file__).resolve().parent / ".venv"
    if (VENV / "bin" / "python").exists() and Path(sys.prefix).resolve() != VENV.resolve():
        flags = ["-i"] if sys.flags.interactive else []
        python = str(VENV / "bin" / "python")
        os.execv(python, [python, *flags, __file__, *sys.argv[1:]])
    print("start_server.py: Energrid's requirements are not installed: run ./energrid.sh once.")
    os._exit(2)  # not sys.exit: under -i that would leave a bare prompt behind

from energrid import cli  # noqa: E402


def _interactive() -> dict:
    from energrid.app import running_server, setup_logging
    from energrid.shell.invocation import remember
    from energrid.shell.plain_prompt import answer_mistakes, keep_lines_whole
    from energrid.shell.session import banner, build_namespace
    from energrid_core import config

    settings = config.from_args(cli.build_parser().parse_args(sys.argv[1:]))
    remember(settings)
    keep_lines_whole()  # the server's notices on lines of their own, above the prompt
    setup_logging(settings.log_level)
    brokers: list = []
    on_connection = lambda _up, text: print(f"[broker] {text}")  # noqa: E731
    context = running_server(settings, on_connection, None, brokers.append)
    server = context.__enter__()
    atexit.register(context.__exit__, None, None, None)
    print(banner(server, brokers[0]))
    namespace = build_namespace(server)
    answer_mistakes(namespace)  # `showhouses()`, `newHouse 2`: one line, as in the shell
    return namespace


if __name__ == "__main__":
    if sys.flags.interactive:
        globals().update({k: v for k, v in _interactive().items() if k != "__name__"})
    else:
        sys.exit(cli.main())
