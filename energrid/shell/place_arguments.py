"""The arguments of setHouse(h, name=..., x=..., y=...), checked before anything changes."""

from __future__ import annotations

import math
from typing import Any

from energrid.arguments import _short
from energrid.shell.words import w
from energrid_core.errors import BadArgumentError

MAX_NAME_LEN = 64
MAX_COORDINATE_M = 100_000.0  # 100 km: a neighborhood, with room to spare


def house_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadArgumentError(w("error.name", value=_short(value)))
    if len(value.strip()) > MAX_NAME_LEN:
        raise BadArgumentError(w("error.name length", n=len(value.strip()), high=MAX_NAME_LEN))
    return value.strip()


def coordinate(value: Any, axis: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadArgumentError(w("error.metres", axis=axis, value=_short(value)))
    if abs(value) > MAX_COORDINATE_M:
        raise BadArgumentError(
            w("error.too far", axis=axis, high=MAX_COORDINATE_M, value=f"{value:g}")
        )
    return float(value)


def place(name: Any, x: Any, y: Any) -> tuple[str | None, float | None, float | None]:
    """(name, x_m, y_m); None where the operator gave nothing. x and y come together."""
    checked = house_name(name), coordinate(x, "x"), coordinate(y, "y")
    if (checked[1] is None) != (checked[2] is None):
        raise BadArgumentError(w("error.x and y"))
    if checked == (None, None, None):
        raise BadArgumentError(w("error.name or place"))
    return checked
