"""Behaviour of simulated consumers: what each draws, step by step in simulated time.

A consumer is ON unless a command switched it OFF. Switched OFF, it draws nothing, but its
physics goes on (a switched-off fridge warms up, and its compressor starts when it is back on).
"""

from __future__ import annotations

import math
import random

from energrid.simulator.clock import hour_of_day
from energrid.simulator.table import ConsumerParams, Steady, Thermostat

SUBSTEP_S = 30.0  # thermostats integrate in steps of at most this many simulated seconds
MAX_SUBSTEPS = 240


def noisy(value: float, noise_pct: float, rng: random.Random) -> float:
    """value with a Gaussian measurement error of noise_pct percent (never below zero)."""
    if value <= 0.0 or noise_pct <= 0.0:
        return max(value, 0.0)
    return max(0.0, value * (1.0 + rng.gauss(0.0, noise_pct / 100.0)))


def substeps(dt_s: float) -> tuple[int, float]:
    """(count, length) of the integration steps covering dt_s."""
    if dt_s <= 0.0:
        return 0, 0.0
    count = min(MAX_SUBSTEPS, max(1, math.ceil(dt_s / SUBSTEP_S)))
    return count, dt_s / count


class ConsumerModel:
    """Base: `on` is the command state, `draw_w` what the device drew at the last step, and
    `working` whether it drew its working power then (switched on, in use, its element
    running): what a board reports as ON, in either wire format."""

    noise_pct = 1.0

    def __init__(self) -> None:
        self.on = True
        self.draw_w = 0.0
        self.working = False

    def step(self, dt_s: float, rng: random.Random, sim_s: float | None = None) -> float:
        """Advance dt_s simulated seconds (to sim_s, when known); returns the watts drawn now."""
        demand_w = self._advance(dt_s)
        in_use = self.in_use(sim_s)
        if not in_use:
            demand_w = 0.0
        self.draw_w = noisy(demand_w, self.noise_pct, rng) if self.on else 0.0
        self.working = self.on and in_use and self._element_on()
        return self.draw_w

    def _advance(self, dt_s: float) -> float:
        raise NotImplementedError

    def _element_on(self) -> bool:
        """Whether the part that draws the working power runs (a thermostat may hold it off)."""
        return True

    def in_use(self, sim_s: float | None) -> bool:
        return True


class SteadyLoad(ConsumerModel):
    """A lamp, an LED, the appliance behind a relay: the same power whenever it is on."""

    def __init__(self, params: Steady) -> None:
        super().__init__()
        self.params = params
        self.noise_pct = params.noise_pct

    def _advance(self, dt_s: float) -> float:
        return self.params.power_w

    def in_use(self, sim_s: float | None) -> bool:
        hours = self.params.in_use_h
        if hours is None or sim_s is None:
            return True
        start, end = hours
        hour = hour_of_day(sim_s)
        return start <= hour < end if start <= end else hour >= start or hour < end


class ThermostatLoad(ConsumerModel):
    """A fridge's compressor or a radiator's element, switched by its thermostat."""

    def __init__(self, params: Thermostat) -> None:
        super().__init__()
        self.params = params
        self.noise_pct = params.noise_pct
        self.temperature_c = params.start_c
        self.running = False
        self.running = self._thermostat()

    def _thermostat(self) -> bool:
        """Hysteresis: start beyond one edge of the band, stop beyond the other."""
        p = self.params
        low, high = p.setpoint_c - p.band_c, p.setpoint_c + p.band_c
        t = self.temperature_c
        if p.cools:
            return t > high or (self.running and t > low)
        return t < low or (self.running and t < high)

    def _advance(self, dt_s: float) -> float:
        p = self.params
        count, length_s = substeps(dt_s)
        hours = length_s / 3600.0
        sign = -1.0 if p.cools else 1.0
        for _ in range(count):
            drive = p.drive_c_per_h if (self.on and self.running) else 0.0
            loss = (self.temperature_c - p.ambient_c) / p.loss_tau_h
            self.temperature_c += (sign * drive - loss) * hours
            self.running = self._thermostat()
        return p.power_w if self.running else p.idle_w

    def _element_on(self) -> bool:
        return self.running


def make_consumer(params: ConsumerParams) -> ConsumerModel:
    if isinstance(params, Thermostat):
        return ThermostatLoad(params)
    return SteadyLoad(params)
