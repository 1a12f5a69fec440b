"""Simulated time: a time factor over an injectable wall clock, and the time of day it stands for.

Reading k of a board is taken at simulated time start_s + k * period * time_factor whatever the
machine's load, so a seed gives the same readings on every run; the wall clock only decides when
they are published. Tests pass their own wall clock and never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

DAY_S = 86_400.0
MAX_TIME_FACTOR = 1_000_000.0


@dataclass
class SimClock:
    time_factor: float = 1.0
    start_s: float = 10 * 3600.0  # simulated seconds since midnight of day 0 at the start
    wall: Callable[[], float] = field(default=time.monotonic)

    def __post_init__(self) -> None:
        if not 0 < self.time_factor <= MAX_TIME_FACTOR:
            raise ValueError(f"the time factor must be more than 0 and at most {MAX_TIME_FACTOR:g}")
        if self.start_s < 0:
            raise ValueError("the simulated start time cannot be negative")

    def sim_time(self, elapsed_wall_s: float) -> float:
        """Simulated seconds since midnight of day 0, elapsed_wall_s after the start."""
        return self.start_s + elapsed_wall_s * self.time_factor


def hour_of_day(sim_s: float) -> float:
    """0 <= hour < 24 for a simulated time in seconds since midnight of day 0."""
    return (sim_s % DAY_S) / 3600.0
