"""`python -i start_server.py`: Python's own prompt answering as the Energrid shell does.

The shell (ptpython) answers a typing mistake in one line and prints the server's notices above
its prompt. Python's own prompt would print a traceback for `showhouses()`, and a notice from
the network thread in the middle of the line being typed. answer_mistakes() gives it the shell's
one-line answers (the full traceback under debug(True)); keep_lines_whole() prints a notice that
comes while the prompt waits on a line of its own, then draws the prompt and what was typed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

from energrid.arguments import DebugFlag
from energrid.shell import output as out
from energrid.shell.mistakes import typing_mistake

CLEAR_LINE = "\r\x1b[K"  # back to the start of the line, and erase it


def answer_mistakes(namespace: Mapping[str, Any]) -> None:
    """sys.excepthook answers a mistake typed at the prompt in one line, as the shell does."""
    commands = {name: fn for name, fn in namespace.items() if hasattr(fn, "usage")}
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        answer = None if DebugFlag.on else typing_mistake(exc, commands, last_line_typed())
        if answer is None:
            previous(kind, exc, tb)
        else:
            out.error(answer)

    sys.excepthook = excepthook


def last_line_typed() -> str | None:
    """The line just entered at the prompt: readline's last history entry (None without it)."""
    readline = sys.modules.get("readline")  # imported by Python's prompt on a terminal
    if readline is None:
        return None
    length = readline.get_current_history_length()
    return readline.get_history_item(length) if length else None


def at_prompt() -> bool:
    """True while the main thread waits at Python's prompt: it then runs no Python code."""
    return threading.main_thread().ident not in sys._current_frames()


class PromptSafeStream:
    """sys.stdout for `python -i` on a terminal: the main thread writes through; another
    thread's lines, while the prompt waits, replace the prompt's line and the prompt is drawn
    again below them with what was typed so far."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._pending = threading.local()  # a thread's text up to its next newline

    def write(self, text: str) -> int:
        if threading.current_thread() is threading.main_thread():
            with self._lock:
                return self._stream.write(text)
        pending = getattr(self._pending, "text", "") + text
        lines, newline, rest = pending.rpartition("\n")
        self._pending.text = rest
        if newline:
            self._write_lines(lines + newline)
        return len(text)

    def _write_lines(self, lines: str) -> None:
        with self._lock:
            if not at_prompt():
                self._stream.write(lines)
            else:
                self._stream.write(CLEAR_LINE + lines + str(getattr(sys, "ps1", "")) + typed())
            self._stream.flush()

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding...
        return getattr(self._stream, name)


def typed() -> str:
    """What is typed on the prompt's line so far."""
    readline = sys.modules.get("readline")
    return readline.get_line_buffer() if readline is not None else ""


def keep_lines_whole() -> None:
    """Install PromptSafeStream as sys.stdout when it is a terminal (before logging is set up,
    so that the log's lines go through it too)."""
    if sys.stdout.isatty():
        sys.stdout = PromptSafeStream(sys.stdout)
