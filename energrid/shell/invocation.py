"""Commands in hints, written so that pasting them works: the way this Energrid was launched,
and the settings in use.

Every message that suggests an Energrid command writes it `energrid ...`, in backticks
(energrid_core's too, which knows nothing of how it was started). Where text meets the operator
(out.say, the log format, the CLI's error line), pasteable() rewrites each such command with
what runs Energrid here (`energrid` when it is on PATH, else `.venv/bin/energrid`, else
`python -m energrid`) and the flags the operator set for the state directory, the broker and
the neighborhood, so that `energrid credentials add server` written by a server run with
`--state-dir /srv/x` becomes `.venv/bin/energrid --state-dir /srv/x credentials add server`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from energrid_core.config import Settings

# The settings a hinted command must share with the running Energrid to act on the same
# things: the files, the broker, the neighborhood's topics.
SHARED = ("state_dir", "mqtt_host", "mqtt_port", "neighborhood", "broker_config")
# Set by energrid.sh to the directory the operator ran it from (it then changes directory).
CALLER_DIR = "ENERGRID_CALLER_DIR"
# `energrid ...`, and the one in a loop over houses: `for h in 1 2; do energrid ... $h; done`
_COMMAND = re.compile(r"(?:(?<=`)|(?<=; do ))energrid(?=[ `])")


class Invocation:
    """How this process's Energrid is run again, with its settings; set once at start-up."""

    settings: Settings | None = None


def remember(settings: Settings) -> None:
    """Hints from now on carry these settings' flags."""
    Invocation.settings = settings


def caller_dir() -> Path:
    return Path(os.environ.get(CALLER_DIR) or os.getcwd())


def shown_path(path: Path) -> str:
    """path relative to the operator's directory when it is below it, else absolute."""
    try:
        relative = path.relative_to(caller_dir().resolve())
    except ValueError:
        return str(path)
    return str(relative) if "/" in str(relative) else f"./{relative}"


def launcher() -> str:
    """What starts Energrid from the operator's directory: 'energrid' when that name on PATH is
    this installation's, else the path of this installation's `energrid`, else python -m."""
    installed = Path(sys.prefix) / "bin" / "energrid"
    if not installed.exists():
        return f"{shlex.quote(shown_path(Path(sys.executable)))} -m energrid"
    on_path = shutil.which("energrid")
    if on_path and Path(on_path).resolve() == installed.resolve():
        return "energrid"
    return shlex.quote(shown_path(installed.absolute()))


def flags(settings: Settings) -> str:
    """' --state-dir /x --mqtt-port 18830' for the shared settings the operator set."""
    words: list[str] = []
    for name in SHARED:
        if name not in settings.explicit:
            continue
        value = getattr(settings, name)
        if isinstance(value, Path):
            value = value.expanduser().absolute()
        words += ["--" + name.replace("_", "-"), shlex.quote(str(value))]
    return "".join(" " + word for word in words)


def pasteable(text: str) -> str:
    """text with every `energrid ...` command as it must be typed here."""
    if "energrid" not in text:
        return text
    settings = Invocation.settings
    prefix = launcher() + (flags(settings) if settings is not None else "")
    return _COMMAND.sub(lambda _match: prefix, text)
