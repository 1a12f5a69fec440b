"""Behaviour of simulated suppliers: a source (sun, wind, steady), a 12 V battery, a load output.

Each step balances the source against the load: the surplus charges the battery (the charge
controller curtails the source when it is full), a deficit is drawn from it (the load browns out
when it is empty). `booleanLoad 0` switches the load output off; the source then only charges.
"""

from __future__ import annotations

import math
import random

from energrid.simulator.clock import hour_of_day
from energrid.simulator.consumers import noisy, substeps
from energrid.simulator.table import Kit, Solar, SteadySource, SupplierParams, Wind


def mean_reverting(
    value: float, mean: float, sigma: float, tau_s: float, dt_s: float, rng: random.Random
) -> float:
    """One exact step of an Ornstein-Uhlenbeck process (clouds, gusts), for any dt_s."""
    decay = math.exp(-dt_s / tau_s)
    spread = sigma * math.sqrt(1.0 - decay * decay)
    return mean + (value - mean) * decay + spread * rng.gauss(0.0, 1.0)


class SunSource:
    def __init__(self, params: Solar) -> None:
        self.params = params
        self.cloud = params.cloud_mean

    def clear_sky(self, sim_s: float) -> float:
        """0 at night, rising to 1 at solar noon."""
        p = self.params
        hour = hour_of_day(sim_s)
        if not p.sunrise_h < hour < p.sunset_h:
            return 0.0
        return math.sin(math.pi * (hour - p.sunrise_h) / (p.sunset_h - p.sunrise_h))

    def advance(self, sim_s: float, dt_s: float, rng: random.Random) -> tuple[float, float]:
        """(available power W, source voltage V) at sim_s."""
        p = self.params
        cloud = mean_reverting(self.cloud, p.cloud_mean, p.cloud_sigma, p.cloud_tau_s, dt_s, rng)
        self.cloud = min(1.0, max(0.1, cloud))
        light = self.clear_sky(sim_s)
        if light <= 0.0:
            return 0.0, 0.0
        return p.peak_w * light * self.cloud, p.mpp_voltage_v * (0.9 + 0.1 * light)


class WindSource:
    def __init__(self, params: Wind) -> None:
        self.params = params
        self.wind_ms = params.mean_wind_ms

    def power_w(self, wind_ms: float) -> float:
        p = self.params
        if wind_ms < p.cut_in_ms or wind_ms >= p.cut_out_ms:
            return 0.0
        if wind_ms >= p.rated_ms:
            return p.rated_w
        low, high = p.cut_in_ms**3, p.rated_ms**3
        return p.rated_w * (wind_ms**3 - low) / (high - low)

    def advance(self, sim_s: float, dt_s: float, rng: random.Random) -> tuple[float, float]:
        p = self.params
        wind = mean_reverting(
            self.wind_ms, p.mean_wind_ms, p.gust_sigma_ms, p.gust_tau_s, dt_s, rng
        )
        self.wind_ms = max(0.0, wind)
        return self.power_w(self.wind_ms), p.volts_per_ms * self.wind_ms


class ConstantSource:
    def __init__(self, params: SteadySource) -> None:
        self.params = params

    def advance(self, sim_s: float, dt_s: float, rng: random.Random) -> tuple[float, float]:
        return self.params.power_w, self.params.voltage_v


Source = SunSource | WindSource | ConstantSource


class SupplierModel:
    """One supplier board: its source, battery and load output, and the sensors it reports."""

    def __init__(self, params: SupplierParams) -> None:
        self.params = params
        self.kit: Kit = params.kit
        self.source: Source = _make_source(params)
        self.load_on = True
        self.soc_wh = self.kit.battery_wh * self.kit.start_soc_pct / 100.0
        self.sensors: dict[str, float] = {}

    @property
    def soc_pct(self) -> float:
        return 100.0 * self.soc_wh / self.kit.battery_wh

    def step(self, sim_s: float, dt_s: float, rng: random.Random) -> dict[str, float]:
        """Advance to sim_s (dt_s after the last step); returns the sensors' values."""
        count, length_s = substeps(dt_s)
        balance = (0.0, 0.0, 0.0, 0.0)
        for i in range(max(count, 1)):
            t = sim_s - (count - 1 - i) * length_s
            source_w, source_v = self.source.advance(t, length_s, rng)
            balance = (source_v, *self._balance(source_w, length_s, rng))
        self.sensors = self._sensors(*balance)
        return self.sensors

    def _balance(self, source_w: float, dt_s: float, rng: random.Random) -> tuple[float, ...]:
        """(source power used, load power, battery power: + charging) over dt_s; moves the SoC."""
        kit = self.kit
        load_w = noisy(kit.load_w, kit.noise_pct, rng) if self.load_on else 0.0
        hours = dt_s / 3600.0
        surplus_w = source_w - load_w
        if surplus_w >= 0.0:
            if self.soc_wh >= kit.battery_wh:
                battery_w = 0.0  # full: the charge controller curtails the source
            elif hours > 0.0:
                room_w = (kit.battery_wh - self.soc_wh) / (hours * kit.charge_efficiency)
                battery_w = min(surplus_w, room_w)
            else:
                battery_w = surplus_w
            self.soc_wh += battery_w * kit.charge_efficiency * hours
            if kit.export_surplus and self.load_on:  # the inverter sends the rest to the house
                return source_w, source_w - battery_w, battery_w
            return load_w + battery_w, load_w, battery_w
        if self.soc_wh <= 0.0:
            delivered_w = 0.0  # empty: the load gets only what the source gives
        elif hours > 0.0:
            delivered_w = min(-surplus_w, self.soc_wh / hours)
        else:
            delivered_w = -surplus_w
        self.soc_wh = max(0.0, self.soc_wh - delivered_w * hours)
        return source_w, source_w + delivered_w, -delivered_w

    def _sensors(
        self, source_v: float, source_w: float, load_w: float, battery_w: float
    ) -> dict[str, float]:
        kit = self.kit
        rest_v = kit.empty_v + (kit.full_v - kit.empty_v) * self.soc_wh / kit.battery_wh
        battery_a = battery_w / rest_v
        battery_v = rest_v + kit.internal_ohm * battery_a
        out_v = battery_v if kit.output_v is None else kit.output_v
        load_v = out_v if self.load_on else 0.0
        return {
            "pv_voltage_v": round(source_v, 2),
            "pv_current_a": round(source_w / source_v, 3) if source_v > 0.0 else 0.0,
            "load_voltage_v": round(load_v, 2),
            "load_current_a": round(load_w / out_v, 3) if self.load_on else 0.0,
            "battery_voltage_v": round(battery_v, 2),
            "battery_current_a": round(battery_a, 3),
            "battery_remaining_pct": float(round(self.soc_pct)),
        }


def _make_source(params: SupplierParams) -> Source:
    if isinstance(params, Solar):
        return SunSource(params)
    if isinstance(params, Wind):
        return WindSource(params)
    return ConstantSource(params)
