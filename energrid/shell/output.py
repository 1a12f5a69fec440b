"""Everything the shell prints goes through here: aligned tables and numbers with their units."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from energrid.shell.invocation import pasteable
from energrid.shell.words import w

NOTHING = "-"


class Console:
    """Where the shell's commands write.

    Under prompt_toolkit's patch_stdout, sys.stdout is a proxy that flushes from a thread of its
    own, so a command's answer could land after the next prompt. The shell sets `direct` to the
    real terminal: commands (main thread, no prompt on screen) write there at once, and background
    threads (broker notices, debug traffic) go through the proxy, above the prompt.
    """

    direct: TextIO | None = None


def say(text: str = "") -> None:
    """Print one block of text (a hinted `energrid ...` command as it runs here)."""
    text = pasteable(text)
    direct = Console.direct
    if direct is not None and threading.current_thread() is threading.main_thread():
        direct.write(text + "\n")
        direct.flush()
        return
    print(text, file=sys.stdout, flush=True)


def error(text: str) -> None:
    say(w("error", text=text))


def printable(text: str) -> str:
    """Text safe for a terminal: control and format characters (a newline, ESC, NUL, a
    right-to-left override) shown as escapes, so a device type or a hostile topic cannot
    break a table or send the terminal commands."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def amps(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.2f} A"


def watts(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.1f} W"


def volts(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.1f} V"


def percent(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.0f} %"


def on_off(value: bool | int | None) -> str:
    return NOTHING if value is None else ("ON" if value else "OFF")


def age(now: float, timestamp: float | None) -> str:
    """How long ago a reading came: '0.4 s ago', '12 min ago', 'never'."""
    if timestamp is None:
        return w("never")
    seconds = max(0.0, now - timestamp)
    if seconds < 10:
        return w("ago", t=f"{seconds:.1f} s")
    if seconds < 120:
        return w("ago", t=f"{seconds:.0f} s")
    if seconds < 7200:
        return w("ago", t=f"{seconds / 60:.0f} min")
    return w("ago", t=f"{seconds / 3600:.0f} h")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Columns padded to their widest cell; text left-aligned, numbers with units right-aligned."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    right = [_is_quantity(rows, i) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if r else cell.ljust(width)
            for cell, width, r in zip(cells, widths, right, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def _is_quantity(rows: Sequence[Sequence[str]], column: int) -> bool:
    cells = [row[column] for row in rows if row[column] != NOTHING]
    return bool(cells) and all(c[:1].isdigit() or c[:1] == "-" for c in cells)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """'1 house', '2 houses', '0 houses'; plural_noun for the irregular ones."""
    return f"{count} {noun if count == 1 else plural_noun or noun + 's'}"
