"""The simulator's one parameter table: how each device type behaves, in numbers a reader can check.

docs/simulator.md gives the same numbers with the reasoning behind them; a test keeps the two in
step. Powers are in watts at the mains voltage (230 V by default): a consumer's current is its power
divided by the mains voltage. Suppliers are the 12 V kits of the demonstrator's boards (an 18 V
panel or a small turbine, a 12 V battery and a 12 V load output), as in the wire-format example.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Steady:
    """Draws power_w whenever it is on; only a command changes it (lamp, LED, relay, unknown)."""

    power_w: float
    noise_pct: float = 1.0
    # Simulated hours of the day it is in use, (from, to) (wrapping past midnight when from >
    # to); None: always. Out of those hours it draws nothing though ON (the oven is not cooking).
    in_use_h: tuple[float, float] | None = None


@dataclass(frozen=True)
class Thermostat:
    """An element switched by a thermostat between setpoint_c - band_c and setpoint_c + band_c.

    The temperature moves by drive_c_per_h while the element runs (down for a fridge, up for a
    radiator) and relaxes towards ambient_c with the time constant loss_tau_h.
    """

    power_w: float  # while the element runs
    idle_w: float  # while the thermostat holds it off (electronics, fan)
    cools: bool
    setpoint_c: float
    band_c: float
    start_c: float
    ambient_c: float
    drive_c_per_h: float
    loss_tau_h: float
    noise_pct: float = 1.0


@dataclass(frozen=True)
class Kit:
    """The 12 V side every supplier board has: a lead-acid battery and a switchable load output."""

    battery_wh: float = 1200.0  # 12 V x 100 Ah
    start_soc_pct: float = 60.0
    empty_v: float = 11.8  # resting voltage at 0 % ...
    full_v: float = 12.7  # ... and at 100 %
    internal_ohm: float = 0.05
    charge_efficiency: float = 0.85
    load_w: float = 12.0  # what the load output delivers to the house while on
    noise_pct: float = 2.0
    # A grid-tied inverter: what the battery cannot take goes to the house too, on top of
    # load_w (the demo's rooftop panels, so that a sunny house exports).
    export_surplus: bool = False
    # The load side's voltage when it is an inverter's AC output (the mains, 230 V); None: the
    # battery's, as on the 12 V kits. Kilowatts at 12 V would read an implausible 145 A.
    output_v: float | None = None


@dataclass(frozen=True)
class Solar:
    """A panel following the sun between sunrise_h and sunset_h, dimmed by passing clouds."""

    peak_w: float = 100.0
    mpp_voltage_v: float = 18.0
    sunrise_h: float = 7.0
    sunset_h: float = 19.0
    cloud_mean: float = 0.8  # fraction of clear-sky light that gets through, on average
    cloud_sigma: float = 0.15
    cloud_tau_s: float = 1200.0
    kit: Kit = Kit()


@dataclass(frozen=True)
class Wind:
    """A small turbine on a gusty wind: cubic power curve from cut-in to rated speed."""

    rated_w: float = 400.0
    cut_in_ms: float = 3.0
    rated_ms: float = 12.5
    cut_out_ms: float = 25.0
    mean_wind_ms: float = 5.5
    gust_sigma_ms: float = 1.5
    gust_tau_s: float = 60.0
    volts_per_ms: float = 4.2  # the alternator's voltage rises with the rotor's (wind) speed
    kit: Kit = Kit()


@dataclass(frozen=True)
class SteadySource:
    """A source of unknown type: a constant power_w at voltage_v."""

    power_w: float = 50.0
    voltage_v: float = 18.0
    kit: Kit = Kit()


ConsumerParams = Steady | Thermostat
SupplierParams = Solar | Wind | SteadySource


@dataclass(frozen=True)
class TypeSpec:
    """One row of the table: a type's name as the demo writes it, other names it goes by."""

    name: str
    aliases: tuple[str, ...]
    params: ConsumerParams | SupplierParams

    @property
    def supplies(self) -> bool:
        return isinstance(self.params, Solar | Wind | SteadySource)


TABLE: tuple[TypeSpec, ...] = (
    TypeSpec("Lampe", ("lamp", "lampe", "light", "bulb"), Steady(power_w=100.0)),
    TypeSpec("LED", ("led", "led lamp", "led bulb"), Steady(power_w=10.0)),
    TypeSpec("Relais", ("relay", "relais", "switch", "plug"), Steady(power_w=500.0)),
    TypeSpec(
        "Frigo",
        ("fridge", "frigo", "refrigerator", "refrigerateur", "freezer", "congelateur"),
        Thermostat(
            power_w=100.0,
            idle_w=3.0,
            cools=True,
            setpoint_c=4.0,
            band_c=1.0,
            start_c=4.0,
            ambient_c=20.0,
            drive_c_per_h=12.0,
            loss_tau_h=4.0,
        ),
    ),
    TypeSpec(
        "Radiateur",
        ("radiator", "radiateur", "heater", "chauffage", "convector", "convecteur"),
        Thermostat(
            power_w=1500.0,
            idle_w=0.0,
            cools=False,
            setpoint_c=20.0,
            band_c=0.5,
            start_c=15.0,
            ambient_c=5.0,
            drive_c_per_h=3.0,
            loss_tau_h=8.0,
        ),
    ),
    TypeSpec("Solar Panel", ("solar panel", "solar", "panneau solaire", "pv", "panel"), Solar()),
    TypeSpec("Wind Turbine", ("wind turbine", "wind", "eolienne", "turbine"), Wind()),
)

UNKNOWN_CONSUMER = TypeSpec("(unknown consumer)", (), Steady(power_w=100.0))
UNKNOWN_SUPPLIER = TypeSpec("(unknown supplier)", (), SteadySource())

# A house meter reads its consumers plus what no consumer board measures (router, standby).
UNMETERED_W = 40.0
UNMETERED_NOISE_PCT = 2.0

DEFAULT_CONSUMER_TYPES = ("Radiateur", "Frigo", "Lampe", "LED", "Relais")
DEFAULT_SUPPLIER_TYPES = ("Solar Panel", "Wind Turbine")


def normalize(type_name: str) -> str:
    """'Réfrigérateur' -> 'refrigerateur', 'Solar_Panel' -> 'solar panel'."""
    text = unicodedata.normalize("NFKD", type_name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(text.replace("_", " ").replace("-", " ").split())


_BY_ALIAS = {normalize(alias): spec for spec in TABLE for alias in (spec.name, *spec.aliases)}


def spec_for(type_name: str, supplier: bool) -> TypeSpec:
    """The row for a type name (any case, accents or alias); a plain steady one when unknown."""
    spec = _BY_ALIAS.get(normalize(type_name))
    if spec is not None and spec.supplies == supplier:
        return spec
    return UNKNOWN_SUPPLIER if supplier else UNKNOWN_CONSUMER
