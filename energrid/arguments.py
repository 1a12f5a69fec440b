"""Checking what an operator typed, and the decorator that turns errors into one line."""

from __future__ import annotations

import functools
import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any

from energrid.shell import output as out
from energrid.shell import words
from energrid.shell.words import term, w
from energrid_core.errors import (
    BadArgumentError,
    EnergridError,
    UnknownDeviceError,
    UnknownHouseError,
)
from energrid_core.topics import MAX_ID

log = logging.getLogger("energrid.shell")

MAX_TYPE_LEN = 100


class DebugFlag:
    """Whether the shell shows tracebacks and live traffic (the seed's debug(True))."""

    on = False


def whole_number(value: Any, name: str, low: int = 1, high: int = MAX_ID) -> int:
    """value when it is a whole number in low..high; name: what it is, in English ('the
    house'), said in the shell's language."""
    if type(value) is not int:
        raise BadArgumentError(_bad("error.not whole", name, value))
    if value < low:
        raise BadArgumentError(_bad("error.too small", name, value, low=low))
    if value > high:
        raise BadArgumentError(_bad("error.too large", name, value, high=high))
    return value


def _bad(key: str, name: str, value: Any, **more: object) -> str:
    return w(key, name=term(name), value=_short(value), **more)


def _short(value: Any) -> str:
    """repr() of an argument, cut to a readable length (and safe for 5,000-digit integers)."""
    if type(value) is int and abs(value) > 10**30:
        return w("a number that large")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def state(value: Any) -> int:
    if type(value) is bool:
        return int(value)
    if type(value) is int and value in (0, 1):
        return value
    raise BadArgumentError(w("error.state", value=_short(value)))


def device_type(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadArgumentError(w("error.type", value=_short(value)))
    if len(value) > MAX_TYPE_LEN:
        raise BadArgumentError(w("error.type length", n=len(value), high=MAX_TYPE_LEN))
    return value.strip()


class command:  # noqa: N801 - used as a decorator, like a function
    """Decorate a shell command with its usage line (see ShellCommand)."""

    def __init__(self, usage: str) -> None:
        self.usage = usage

    def __call__(self, fn: Callable[..., Any]) -> ShellCommand:
        return ShellCommand(fn, self.usage)


class ShellCommand:
    """A command of the shell: a wrong argument or a fault prints one line and returns None.

    Typing its bare name at the prompt shows its usage instead of a Python repr.
    """

    def __init__(self, fn: Callable[..., Any], usage: str, of: ShellCommand | None = None) -> None:
        self.fn = fn
        self.usage = usage
        self.__name__ = of.__name__ if of else fn.__name__
        self.__doc__ = of.__doc__ if of else fn.__doc__
        if of is None:  # computed once per command, not at every call
            self._signature = inspect.signature(fn)
            parameters = list(self._signature.parameters.values())[1:]
            self._bound_signature = self._signature.replace(parameters=parameters)
        else:
            self._signature = of._bound_signature

    def __get__(self, instance: object, owner: type | None = None) -> ShellCommand:
        if instance is None:
            return self
        return ShellCommand(functools.partial(self.fn, instance), self.usage, of=self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            _report(w("wrong arguments", detail=exc, usage=shown_usage(self.usage)))
            return None
        try:
            return self.fn(*args, **kwargs)
        except (BadArgumentError, UnknownHouseError, UnknownDeviceError) as exc:
            _report(w("usage", text=said(exc).rstrip("."), usage=shown_usage(self.usage)))
        except EnergridError as exc:
            _report(said(exc))
        except Exception as exc:
            _report_bug(self.__name__, exc)
        return None

    def __repr__(self) -> str:
        translated = words.catalogue().get(f"doc.{self.__name__}")
        if translated:
            return f"{shown_usage(self.usage)}: {translated.split('. ')[0]}"
        doc = (self.__doc__ or "").strip().splitlines()
        return f"{self.usage}: {doc[0]}" if doc else self.usage


def shown_usage(usage: str) -> str:
    """A usage line in the shell's language: its forms stay as they are typed, the 'or'
    between them is translated."""
    return usage.replace(" or ", f" {w('or')} ")


def description(fn: Any) -> str:
    """What help(command) says of a command: its docstring, the English (kept once, with the
    code), or the shell's language's 'doc.<name>' (words_fr.FRENCH has every command's)."""
    translated = words.catalogue().get(f"doc.{getattr(fn, '__name__', '')}")
    return translated or " ".join((fn.__doc__ or "").split())


def said(exc: EnergridError) -> str:
    """An error's line in the shell's language: its note worded, else its text."""
    return words.say(exc.note) if exc.note is not None else str(exc)


def _report(text: str) -> None:
    out.error(text)
    if DebugFlag.on:
        traceback.print_exc()


def _report_bug(name: str, exc: Exception) -> None:
    log.debug("%s failed", name, exc_info=True)
    out.error(w("failed", name=name, error=f"{type(exc).__name__}: {exc}"))
    if DebugFlag.on:
        traceback.print_exc()
