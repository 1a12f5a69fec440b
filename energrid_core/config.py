"""Settings for every entry point: defaults, then ENERGRID_* environment variables, then flags."""

from __future__ import annotations

import argparse
import os
from collections.abc import Collection, Mapping
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


_INTERNAL = {"internal": True}


@dataclass
class Settings:
    """Everything configurable. Field names map to ENERGRID_<NAME> and --<name> flags."""

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    ws_port: int = 9001
    view_port: int = 8090  # `energrid view`: the web page's HTTP port
    ws_tls: bool = False  # the broker's websockets listener speaks TLS: the page uses wss://
    neighborhood: int = 0
    client_id: str = ""  # empty: energrid-server-<the state directory's instance id>
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
    state_max_rate_hz: float = 5.0  # state topics: publishes per second per house, at most
    offline_after_s: float = 30.0  # a device not heard from for this long is offline
    confirm_timeout_s: float = 5.0  # a device's time to show a command before it is resent
    state_max_payloads_per_s: float = 3000.0  # state topics: payloads built per second, at most
    # Broker account (secure profile); the password file defaults to
    # <state_dir>/credentials/<username>.password, written by `energrid credentials add server`.
    mqtt_username: str = ""
    mqtt_password_file: str = ""
    mqtt_tls_ca: str = ""  # a CA certificate file: connect with TLS and check the broker's
    command_ttl_s: float = 120.0  # how long a command is worked on (queued, resent)
    snapshot_interval_s: float = 60.0  # how often readings statistics are saved
    watchdog_s: float = 2.0  # how often the network thread is checked (and commands expire)
    # Names given by an environment variable or a flag (not a setting itself).
    explicit: set[str] = field(default_factory=set, repr=False, compare=False, metadata=_INTERNAL)
    stats_interval_s: float = 0.0  # headless: log the ingest counters this often; 0: never
    takeover: bool = False  # start even though another server says it serves the neighborhood
    metrics_port: int = 0  # Prometheus/OpenMetrics on this port; 0: off
    metrics_host: str = "127.0.0.1"
    metrics_per_house: bool = False  # per-house series too (one set per house: bounded off)
    ha_discovery: bool = False  # Home Assistant MQTT discovery configs
    ha_prefix: str = "homeassistant"
    energy_gap_s: float = 15.0  # readings further apart are not integrated: unmeasured time
    energy_sweep_s: float = 1.0  # new readings are integrated (and recorded) this often
    alarm_min_s: float = 10.0  # a limit or battery condition holds this long to raise or clear
    shed_margin_pct: float = 10.0  # shedding goes on down to the limit minus this margin
    shed_step_s: float = 2.0  # seconds between two shedding actions in one scope
    shed_restore_after_s: float = 60.0  # under the target this long before one comes back
    keep_history: bool = True  # readings kept on disk in <state_dir>/history.sqlite3
    influx_url: str = ""  # http://host:8086: the samples exported to InfluxDB too ("": no)
    influx_db: str = "energrid"
    history_raw_keep_s: float = 3600.0  # every reading kept this long...
    history_minute_keep_s: float = 7 * 86400.0  # ...then 1-minute means this long...
    history_quarter_keep_s: float = 365 * 86400.0  # ...then 15-minute means this long

    @property
    def calibration(self) -> Calibration:
        return Calibration(self.cal_zero_raw, self.cal_amps_per_raw, self.cal_on_threshold_raw)


HELP = {
    "mqtt_host": "the MQTT broker's address",
    "mqtt_port": "the broker's MQTT port",
    "ws_port": "websockets port of a broker that Energrid starts itself",
    "view_port": "HTTP port of the 3D web view (`energrid view`, and the shell with startDemo)",
    "ws_tls": "the broker's websockets listener speaks TLS: the web view connects with wss://",
    "neighborhood": "the neighborhood served: topics Neighborhood/<n>/...",
    "client_id": "the server's MQTT client id, which names its durable session "
    "(default: energrid-server-<an id made once and kept in the state directory>)",
    "keepalive_s": "MQTT keepalive in seconds",
    "state_dir": "where the shell history and a started broker's data live",
    "broker_config": "the Mosquitto configuration used when Energrid starts the broker",
    "start_broker": "start Mosquitto when no broker answers on a loopback address",
    "history_len": "readings kept per quantity (0: none)",
    "mains_voltage_v": "volts that turn a consumer's amps into watts",
    "max_payload_bytes": "larger messages are rejected without being parsed",
    "cal_zero_raw": "legacy boards: the raw value that reads 0 A",
    "cal_amps_per_raw": "legacy boards: amps per raw unit above the zero",
    "cal_on_threshold_raw": "legacy boards: a consumer is ON above this raw value",
    "on_threshold_a": "amps above which a per-device consumer or a supplier's load is ON",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "state_max_rate_hz": "state topics: updates per house per second, at most",
    "offline_after_s": "a device or house not heard from for this long is shown offline",
    "confirm_timeout_s": "seconds a device has to show a command before it is sent again",
    "state_max_payloads_per_s": "state topics: payloads built per second for the whole grid",
    "mqtt_username": "the server's broker account (secure profile)",
    "mqtt_password_file": "file holding that account's password",
    "mqtt_tls_ca": "CA certificate: connect with TLS and check the broker's certificate",
    "command_ttl_s": "how long a command waits for the broker and is sent again to a device "
    "that does not show it",
    "snapshot_interval_s": "seconds between two saves of the readings statistics",
    "watchdog_s": "seconds between two checks of the MQTT network thread",
    "stats_interval_s": "headless: log the ingest counters this often (0: never)",
    "takeover": "start even though the neighborhood's status says another server serves it",
    "metrics_port": "serve Prometheus/OpenMetrics metrics on this port (0: off)",
    "metrics_host": "the address the metrics port listens on",
    "metrics_per_house": "metrics: also one power and energy series per house",
    "ha_discovery": "publish Home Assistant MQTT discovery configs for houses and devices",
    "ha_prefix": "Home Assistant's discovery prefix",
    "energy_gap_s": "readings further apart than this are not integrated into energy but "
    "counted as unmeasured time",
    "energy_sweep_s": "seconds between two passes that integrate the new readings into energy "
    "and history (a device's latest reading each pass)",
    "alarm_min_s": "seconds a limit or battery condition must hold before it raises or clears",
    "shed_margin_pct": "load shedding goes on until the draw is this many percent under the limit",
    "shed_step_s": "seconds between two load shedding actions in one house or the neighborhood",
    "shed_restore_after_s": "seconds under the limit minus the margin before a shed consumer "
    "is switched back on",
    "influx_url": "export the readings to InfluxDB too (http://host:8086, line protocol)",
    "influx_db": "the InfluxDB database the readings go to",
    "keep_history": "keep the readings on disk (history.sqlite3 in the state directory)",
    "history_raw_keep_s": "history: seconds every reading is kept",
    "history_minute_keep_s": "history: seconds 1-minute means are kept",
    "history_quarter_keep_s": "history: seconds 15-minute means are kept",
}

# name -> (lowest, highest) accepted value
LIMITS = {
    "mqtt_port": (1, 65535),
    "ws_port": (1, 65535),
    "view_port": (1, 65535),
    "neighborhood": (0, 999_999),
    "keepalive_s": (5, 65535),
    "history_len": (0, 100_000),
    "mains_voltage_v": (1, 1000),
    "max_payload_bytes": (16, 268_435_455),
    "on_threshold_a": (0, 1000),
    "state_max_rate_hz": (0.01, 1000),
    "offline_after_s": (0.1, 7 * 86400),
    "confirm_timeout_s": (0.1, 3600),
    "state_max_payloads_per_s": (10, 1_000_000),
    "command_ttl_s": (1, 86400),
    "snapshot_interval_s": (0, 86400),
    "watchdog_s": (0.1, 3600),
    "stats_interval_s": (0, 86400),
    "metrics_port": (0, 65535),
    "energy_gap_s": (0.1, 86400),
    "energy_sweep_s": (0.05, 60),
    "alarm_min_s": (0, 86400),
    "shed_margin_pct": (0, 90),
    "shed_step_s": (0.05, 3600),
    "shed_restore_after_s": (0, 86400),
    "history_raw_keep_s": (60, 30 * 86400),
    "history_minute_keep_s": (3600, 366 * 86400),
    "history_quarter_keep_s": (86400, 10 * 366 * 86400),
}

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
        what = {int: "a whole number", float: "a number"}.get(kind, kind.__name__)
        raise ValueError(f"{name} must be {what}, not {text!r}") from None


def _field_types() -> dict[str, type]:
    defaults = Settings()
    return {
        f.name: type(getattr(defaults, f.name))
        for f in fields(Settings)
        if not f.metadata.get("internal")
    }


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
            settings.explicit.add(name)
    if not settings.ha_prefix or any(c in settings.ha_prefix for c in "+# "):
        raise ValueError(
            f"ha_prefix must be a topic without + # or spaces, not {settings.ha_prefix!r}"
        )
    return settings


def add_arguments(
    parser: argparse.ArgumentParser,
    in_subcommand: bool = False,
    shown: Collection[str] | None = None,
    helps: Mapping[str, str] | None = None,
) -> None:
    """Add a --flag for every setting; unset flags leave the environment's value alone.

    in_subcommand: for a subcommand's parser (`energrid sim --mqtt-port 1884`); its unset flags
    then leave alone the same flag given before the subcommand (`energrid --mqtt-port 1884 sim`).
    shown: the settings a subcommand uses, the only ones its --help lists (the others are still
    accepted, as before it, so a command line that worked goes on working); helps: their help
    where the subcommand gives them another meaning.
    """
    group = parser.add_argument_group("settings (also ENERGRID_<NAME> environment variables)")
    default = argparse.SUPPRESS if in_subcommand else None
    for name, kind in _field_types().items():
        flag = "--" + name.replace("_", "-")
        text = (helps or {}).get(name, HELP.get(name))
        if shown is not None and name not in shown:
            text = argparse.SUPPRESS
        if kind is bool:
            action = argparse.BooleanOptionalAction
            group.add_argument(flag, dest=name, default=default, action=action, help=text)
        else:
            group.add_argument(flag, dest=name, default=default, type=_kind(kind), help=text)


def from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then environment, then the flags that were given."""
    settings = from_env(environ)
    for name in _field_types():
        value = getattr(args, name, None)
        if value is not None:
            setattr(settings, name, value)
            settings.explicit.add(name)
    return check(settings)


def check(settings: Settings) -> Settings:
    """Raise ValueError, one line, for a setting outside its range."""
    for name, (low, high) in LIMITS.items():
        value = getattr(settings, name)
        if not low <= value <= high:  # NaN fails this too
            raise ValueError(f"{name} must be from {low} to {high}, not {value}")
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(
            f"log_level must be DEBUG, INFO, WARNING or ERROR, not {settings.log_level}"
        )
    if not settings.ha_prefix or any(c in settings.ha_prefix for c in "+# "):
        raise ValueError(
            f"ha_prefix must be a topic without + # or spaces, not {settings.ha_prefix!r}"
        )
    return settings
