"""Checking what an operator typed, and the decorator that turns errors into one line."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import Any

from energrid import output as out
from energrid_core.errors import BadArgumentError, EnergridError

log = logging.getLogger("energrid.shell")

MAX_TYPE_LEN = 100


class DebugFlag:
    """Whether the shell shows tracebacks and live traffic (the seed's debug(True))."""

    on = False


def whole_number(value: Any, name: str, low: int = 1) -> int:
    if type(value) is not int:
        raise BadArgumentError(f"{name} must be a whole number, not {value!r}")
    if value < low:
        raise BadArgumentError(f"{name} must be {low} or more, not {value}")
    return value


def state(value: Any) -> int:
    if type(value) is bool:
        return int(value)
    if type(value) is int and value in (0, 1):
        return value
    raise BadArgumentError(f"the state must be 1 (ON) or 0 (OFF), not {value!r}")


def device_type(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadArgumentError(f"the type must be a name in quotes such as 'LED', not {value!r}")
    if len(value) > MAX_TYPE_LEN:
        raise BadArgumentError(f"the type is {len(value)} characters long; at most {MAX_TYPE_LEN}")
    return value.strip()


def command(usage: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a shell command: a wrong argument or a fault prints one line; nothing is returned."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except EnergridError as exc:
                _report(f"{exc}. Usage: {usage}")
            except TypeError as exc:
                if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                    _report(f"wrong arguments. Usage: {usage}")  # the call itself did not bind
                else:
                    _report_bug(fn.__name__, exc)
            except Exception as exc:
                _report_bug(fn.__name__, exc)
            return None

        run.usage = usage  # type: ignore[attr-defined]
        return run

    return wrap


def _report(text: str) -> None:
    out.error(text)
    if DebugFlag.on:
        traceback.print_exc()


def _report_bug(name: str, exc: Exception) -> None:
    log.debug("%s failed", name, exc_info=True)
    out.error(f"{name} failed: {type(exc).__name__}: {exc} (debug(True) shows the traceback)")
    if DebugFlag.on:
        traceback.print_exc()
