"""Settings for every entry point: defaults, then ENERGRID_* environment variables, then flags."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field, fields
from pathlib import Path


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "energrid"


@dataclass(frozen=True)
class Calibration:
    """How a legacy board's raw ADC value becomes amps (the demonstrator's values by default).

    amps = (raw - zero_raw) * amps_per_raw, negative results read as 0 A;
    a consumer is ON when raw > on_threshold_raw.
    """

    zero_raw: float = 850.0
    amps_per_raw: float = 30.0 / 1700.0
    on_threshold_raw: float = 870.0

    def raw_to_amps(self, raw: float) -> float:
        amps = (raw - self.zero_raw) * self.amps_per_raw
        return amps if amps > 0.0 else 0.0

    def amps_to_raw(self, amps: float) -> int:
        """Inverse of raw_to_amps, for simulated boards."""
        return round(self.zero_raw + amps / self.amps_per_raw)


@dataclass
class Settings:
    """Everything configurable. Field names map to ENERGRID_<NAME> and --<name> flags."""

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    ws_port: int = 9001
    neighborhood: int = 0
    client_id: str = "energrid-server"
    keepalive_s: int = 30
    state_dir: Path = field(default_factory=default_state_dir)
    broker_config: Path = Path(__file__).resolve().parent.parent / "mosquitto.conf"
    start_broker: bool = True
    history_len: int = 60
    mains_voltage_v: float = 230.0
    max_payload_bytes: int = 16384
    cal_zero_raw: float = 850.0
    cal_amps_per_raw: float = 30.0 / 1700.0
    cal_on_threshold_raw: float = 870.0
    on_threshold_a: float = 0.05
    log_level: str = "INFO"
    stats_interval_s: float = 0.0  # headless: log the ingest counters this often; 0: never

    @property
    def calibration(self) -> Calibration:
        return Calibration(self.cal_zero_raw, self.cal_amps_per_raw, self.cal_on_threshold_raw)


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off"}


def _convert(kind: type, text: str, name: str) -> object:
    if kind is bool:
        low = text.strip().lower()
        if low in _BOOL_TRUE:
            return True
        if low in _BOOL_FALSE:
            return False
        raise ValueError(f"{name} must be true or false, not {text!r}")
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a {kind.__name__}, not {text!r}") from None


def _field_types() -> dict[str, type]:
    defaults = Settings()
    return {f.name: type(getattr(defaults, f.name)) for f in fields(Settings)}


def _kind(kind: type) -> type:
    return Path if issubclass(kind, Path) else kind


def from_env(environ: dict[str, str] | None = None, base: Settings | None = None) -> Settings:
    """Settings from defaults overridden by ENERGRID_<NAME> variables."""
    environ = dict(os.environ) if environ is None else environ
    settings = base or Settings()
    for name, kind in _field_types().items():
        key = "ENERGRID_" + name.upper()
        if key in environ:
            setattr(settings, name, _convert(_kind(kind), environ[key], key))
    return settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add a --flag for every setting; unset flags leave the environment's value alone."""
    group = parser.add_argument_group("settings (also ENERGRID_<NAME> environment variables)")
    for name, kind in _field_types().items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            group.add_argument(flag, dest=name, default=None, action=argparse.BooleanOptionalAction)
        else:
            group.add_argument(
                flag, dest=name, default=None, type=_kind(kind), metavar=name.upper()
            )


def from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then environment, then the flags that were given."""
    settings = from_env(environ)
    for name in _field_types():
        value = getattr(args, name, None)
        if value is not None:
            setattr(settings, name, value)
    return settings
