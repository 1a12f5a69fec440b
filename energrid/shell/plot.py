"""A bar chart in Unicode blocks for the terminal: one column per time bucket, zero as an axis.

Chosen over a plotting library because it needs nothing but the eighth blocks every terminal
font has, reads the same in tmux, a plain xterm and a log file, and costs no dependency. Values
above zero (a house importing, a consumer's power) rise from the axis in eighths of a row;
values below zero (a house exporting) hang under it in halves of a row (Unicode has no finer
upper blocks). A column with no sample is left blank.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from energrid.shell.words import w

RISING = " ▁▂▃▄▅▆▇█"
HANGING = (" ", "▀", "█")


def bar_chart(
    values: Sequence[float | None], height: int = 10, unit: str = "W", times: Sequence[float] = ()
) -> str:
    """Rows of the chart, with the scale on the left and, given `times`, clock labels below."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return w("plot.no readings")
    top = max(0.0, max(known))
    bottom = min(0.0, min(known))
    span = top - bottom or 1.0
    up_rows = max(1, round(height * top / span)) if top > 0 else 0
    down_rows = height - up_rows if bottom < 0 else 0
    if bottom < 0 and down_rows == 0:
        up_rows, down_rows = height - 1, 1
    lines: list[str] = []
    width = max(len(_label(top, unit)), len(_label(bottom, unit)), len(_label(0, unit)))
    for row in range(up_rows, 0, -1):  # row 1 is just above the axis
        cells = [_rising(v, top, up_rows, row) for v in values]
        label = _label(top, unit) if row == up_rows else ""
        lines.append(f"{label:>{width}} ┤{''.join(cells)}")
    lines.append(f"{_label(0, unit):>{width}} ┼{'─' * len(values)}")
    for row in range(1, down_rows + 1):
        cells = [_hanging(v, bottom, down_rows, row) for v in values]
        label = _label(bottom, unit) if row == down_rows else ""
        lines.append(f"{label:>{width}} ┤{''.join(cells)}")
    if times:
        lines.append(" " * (width + 2) + _time_axis(times, len(values)))
    return "\n".join(lines)


def _rising(value: float | None, top: float, rows: int, row: int) -> str:
    if value is None or not math.isfinite(value) or value <= 0 or top <= 0:
        return " "
    eighths = round(8 * rows * value / top)
    filled = eighths - 8 * (row - 1)
    return RISING[max(0, min(8, filled))]


def _hanging(value: float | None, bottom: float, rows: int, row: int) -> str:
    if value is None or not math.isfinite(value) or value >= 0 or bottom >= 0:
        return " "
    halves = round(2 * rows * value / bottom)
    filled = halves - 2 * (row - 1)
    return HANGING[max(0, min(2, filled))]


def _label(value: float, unit: str) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f} k{unit}"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f} k{unit}"
    return f"{value:.0f} {unit}"


def _time_axis(times: Sequence[float], columns: int) -> str:
    """Clock times under the first, middle and last columns (with the day of the week, in
    the shell's language, over more than two days)."""
    first, last = times[0], times[-1]
    long = last - first > 2 * 86400
    days = w("plot.weekdays").split()

    def label(t: float) -> str:
        moment = time.localtime(t)
        clock = time.strftime("%H:%M", moment)
        return f"{days[moment.tm_wday]} {clock}" if long else clock

    left, middle, right = label(first), label((first + last) / 2), label(last)
    axis = [" "] * max(columns, len(left) + len(middle) + len(right) + 2)
    axis[: len(left)] = left
    mid = (len(axis) - len(middle)) // 2
    axis[mid : mid + len(middle)] = middle
    axis[len(axis) - len(right) :] = right
    return "".join(axis)
