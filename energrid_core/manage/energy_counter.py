"""One energy counter: watt-hours integrated from power samples, drawn and delivered apart.

A counter takes signed power samples: positive is power drawn (a consumer's consumption, a
house importing), negative is power delivered (a supplier's output, a house exporting). Between
two samples the earlier power is held (zero-order hold), so an interval has one sign and
drawn and delivered energy never mix; a constant power P sampled from t0 to tn integrates to
exactly P * (tn - t0).

Gap-aware: an interval longer than `gap_s` (a board that fell silent, a server that was down)
is not integrated but counted as unmeasured time. "Today" starts at the local midnight the
caller gives (`day_start`), so a counter never calls the time library on the reading path.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields

WH_PER_WS = 1.0 / 3600.0


@dataclass(slots=True)
class EnergyCounter:
    in_wh: float = 0.0  # drawn since creation (consumed, imported)
    out_wh: float = 0.0  # delivered since creation (produced, exported)
    today_in_wh: float = 0.0
    today_out_wh: float = 0.0
    unmeasured_s: float = 0.0  # time between samples too far apart to be integrated
    today_unmeasured_s: float = 0.0
    day_start: float = 0.0  # the local midnight the today_* values belong to
    since: float | None = None  # the first sample's time
    last_t: float | None = None
    last_w: float = 0.0

    def add(
        self,
        t: float,
        power_w: float,
        gap_s: float,
        day_start: float,
        total: EnergyCounter | None = None,
    ) -> None:
        """Integrate up to t with the power held since the last sample, then hold power_w.

        total, if given, gets the same energy and unmeasured time added (the neighborhood's
        counter, the sum of its houses': no pass over the houses to keep it)."""
        if day_start != self.day_start:
            self.roll(day_start)
        last_t = self.last_t
        if last_t is None:
            self.since = t
        elif t > last_t:
            span = t - last_t
            today_span = t - last_t if last_t > day_start else t - day_start
            if today_span < 0.0:
                today_span = 0.0
            if span > gap_s:  # not integrated: unmeasured time
                booked = (0.0, 0.0, span, today_span, day_start)
            else:
                wh = self.last_w * span * WH_PER_WS
                booked = (wh, self.last_w * today_span * WH_PER_WS, 0.0, 0.0, day_start)
            self.take(*booked)
            if total is not None:
                total.take(*booked)
        else:  # a sample at or before the last one: hold its power, integrate nothing
            self.last_w = power_w
            return
        self.last_t = t
        self.last_w = power_w

    def take(
        self, wh: float, today_wh: float, unmeasured_s: float, today_s: float, day_start: float
    ) -> None:
        """Add what another counter integrated (signed Wh: drawn above zero, delivered below)."""
        if day_start != self.day_start:
            self.roll(day_start)
        if wh >= 0.0:
            self.in_wh += wh
            self.today_in_wh += today_wh
        else:
            self.out_wh -= wh
            self.today_out_wh -= today_wh
        self.unmeasured_s += unmeasured_s
        self.today_unmeasured_s += today_s

    def roll(self, day_start: float) -> None:
        """A new day: today's values start again from zero."""
        self.day_start = day_start
        self.today_in_wh = self.today_out_wh = self.today_unmeasured_s = 0.0

    def today(self, day_start: float) -> tuple[float, float, float]:
        """(drawn Wh, delivered Wh, unmeasured s) since day_start; zeros if not heard today."""
        if day_start != self.day_start:
            return 0.0, 0.0, 0.0
        return self.today_in_wh, self.today_out_wh, self.today_unmeasured_s

    def silent_s(self, now: float, gap_s: float) -> float:
        """The silence going on now, once it is longer than a gap (not yet in unmeasured_s)."""
        if self.last_t is None:
            return 0.0
        silence = now - self.last_t
        return silence if silence > gap_s else 0.0

    def export(self) -> dict[str, float | None]:
        return asdict(self)

    @classmethod
    def restore(cls, state: dict) -> EnergyCounter:
        """A counter from export(); raises ValueError on a field missing or of the wrong kind."""
        values: dict[str, float | None] = {}
        for spec in fields(cls):
            value = state[spec.name]
            if value is None and spec.name in ("since", "last_t"):
                values[spec.name] = None
            elif type(value) in (int, float):
                values[spec.name] = float(value)
            else:
                raise ValueError(f"{spec.name}: not a number: {value!r}")
        return cls(**values)  # type: ignore[arg-type]


class LocalDay:
    """The local midnight of the day a time falls in, recomputed only when a day has passed."""

    def __init__(self) -> None:
        self._start = 0.0
        self._next = 0.0

    def start_of(self, t: float) -> float:
        if self._start <= t < self._next:
            return self._start
        start = local_midnight(t)
        if t >= self._start:  # keep the cache for the newest day seen
            self._start, self._next = start, local_midnight(start + 26 * 3600)
        return start


def local_midnight(t: float) -> float:
    """The Unix time of the local midnight that starts the day t falls in (DST included)."""
    local = time.localtime(t)
    return time.mktime((local.tm_year, local.tm_mon, local.tm_mday, 0, 0, 0, 0, 0, -1))
