"""One line for the mistakes an operator makes typing at the prompt, with the command they meant.

The shell hands here the NameError or SyntaxError a typed line raised (nothing of the line ran);
anything else is left to the normal error display.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from energrid.shell.words import w

# `newHouse 2`: a command name followed by its arguments without parentheses.
_BARE_CALL = re.compile(r"^\s*([A-Za-z_]\w*)\s+([^=(][^=]*?)\s*$")
# `newConsumer(1, LED)`: one command's call on the line, its arguments inside the parentheses.
_CALL = re.compile(r"^\s*([A-Za-z_]\w*)\s*\((.*)\)\s*$")
MAX_DISTANCE = 2  # letters added, removed or changed: 'shwHouses', 'showHouse' for 'showHouses'
MIN_LENGTH = 4  # 'x' is no typo of 'rmHouse'


def edit_distance(a: str, b: str, limit: int = MAX_DISTANCE) -> int:
    """Levenshtein distance between a and b; limit + 1 as soon as it is known to exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def close_commands(name: str, commands: Mapping[str, Any]) -> list[str]:
    """The command names `name` was probably meant to be: the same but for case, else the ones
    at the smallest edit distance (at most MAX_DISTANCE, case ignored). [] when none is close."""
    low = name.lower()
    same = [c for c in commands if c.lower() == low and c != name]
    if same or len(name) < MIN_LENGTH:
        return same
    distances = {c: edit_distance(low, c.lower()) for c in commands}
    best = min(distances.values(), default=MAX_DISTANCE + 1)
    if best > MAX_DISTANCE:
        return []
    return sorted(c for c, d in distances.items() if d == best)


def _call_form(name: str, commands: Mapping[str, Any]) -> str:
    """How a command is called: its usage's first form ('showHouse(h)'), else 'name()'."""
    usage = getattr(commands[name], "usage", None)
    return usage.split(" or ")[0] if usage else f"{name}()"


def _suggest(names: list[str], commands: Mapping[str, Any]) -> str:
    forms = [_call_form(n, commands) for n in names]
    last = w("or")
    if len(forms) < 3:
        return f" {last} ".join(forms)
    return ", ".join(forms[:-1]) + f" {last} " + forms[-1]


def quoted_in_call(name: str, line: str | None, commands: Mapping[str, Any]) -> str | None:
    """The line typed with the bare name quoted, when it is an argument of a command's call:
    newConsumer(1, 'LED') for `newConsumer(1, LED)`. None when the name is not such an argument
    (or appears more than once, maybe in a string, where quoting it would be a guess)."""
    call = _CALL.match(line or "")
    if call is None or call.group(1) not in commands or not _one_call(call.group(2)):
        return None
    bare = re.compile(rf"(?<![\w'\".]){re.escape(name)}(?![\w'\"(.])")
    arguments, found = bare.subn(f"'{name}'", call.group(2))
    return f"{call.group(1)}({arguments})" if found == 1 else None


def _one_call(arguments: str) -> bool:
    """Whether the call's parentheses hold all of these arguments: not `f(1); g(LED)`."""
    depth = 0
    for char in arguments:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def typing_mistake(
    exc: BaseException, commands: Mapping[str, Any], line: str | None = None
) -> str | None:
    """One line for a name or syntax mistake at the prompt, None for any other exception.

    line: the line typed, when the shell knows it (to quote a type typed bare)."""
    if isinstance(exc, NameError):
        name = getattr(exc, "name", None) or ""
        # Python's own words ("name 'x' is not defined") in English; the shell's otherwise.
        what = str(exc) if not name else w("mistake.name", name=name)
        quoted = quoted_in_call(name, line, commands) if name else None
        if quoted is not None:
            return w("mistake.did you mean", what=what, call=quoted)
        close = close_commands(name, commands)
        if close:
            return w("mistake.did you mean", what=what, call=_suggest(close, commands))
        return w("mistake.parentheses and quotes", what=what)
    if isinstance(exc, SyntaxError):
        what = w("mistake.syntax", reason=exc.msg)
        bare = _BARE_CALL.match((exc.text or "").strip("\r\n"))
        if bare:
            name, arguments = bare.groups()
            close = [name] if name in commands else close_commands(name, commands)
            if len(close) == 1:
                return w("mistake.did you mean", what=what, call=f"{close[0]}({arguments})")
        return w("mistake.parentheses", what=what)
    return None
