"""`--ha-discovery`: keeps Home Assistant's retained discovery configs in step with the grid.

A thread compares, once a second, the configs the grid calls for with those it published: new
and changed ones are published (retained), those of removed houses and devices are cleared (an
empty retained message, which makes Home Assistant drop the entity). Configs left on the broker
by an earlier run (Energrid subscribes to its own config topics and sees them retained) are
cleared too when the grid no longer has their entity.

The switches' commands arrive on `energrid/<n>/command/house/<h>/<kind>/<d>` (`ON` or `OFF`) and
become setConsumer / setSupplier: the same command path as the shell's, bound plugs included.
"""

from __future__ import annotations

import logging
import threading

import orjson

from energrid_core.errors import EnergridError, UnknownDeviceError, UnknownHouseError
from energrid_core.integrations.ha_configs import (
    command_filter,
    config_filter,
    house_configs,
)
from energrid_core.lock_slices import locked_slices
from energrid_core.state.topics import CONSUMER, SUPPLIER
from energrid_core.topics import parse_id

log = logging.getLogger("energrid.ha")

PERIOD_S = 1.0
MAX_PUBLISHES_PER_ROUND = 500  # a big grid's configs go out over several rounds
HOUSES_PER_HOLD = 50
_STATES = {b"ON": 1, b"OFF": 0}


class HaDiscovery:
    def __init__(self, server, prefix: str = "homeassistant", period_s: float = PERIOD_S) -> None:  # noqa: ANN001
        self.server = server
        self.n = server.settings.neighborhood
        self.prefix = prefix
        self.period_s = period_s
        self._command_prefix = command_filter(self.n)[:-1]  # energrid/<n>/command/
        self._config_prefix = f"{prefix}/"
        self._lock = threading.Lock()
        self._published: dict[str, bytes] = {}  # topic -> payload, as sent
        self._stale: set[str] = set()  # configs seen retained on the broker, not sent by us
        self._cache: dict[int, tuple[tuple, dict[str, bytes]]] = {}  # house -> (signature, configs)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commands_received = 0

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Before the server connects: its subscriptions and routes, then the sync thread."""
        bridge, client = self.server.bridge, self.server.client
        bridge.routes.append((self._command_prefix, self._on_command))
        bridge.routes.append((self._config_prefix, self._on_config))
        client.add_topic(command_filter(self.n))
        client.add_topic(config_filter(self.prefix, self.n))
        client.session_listeners.append(self._on_connection)
        self._thread = threading.Thread(target=self._run, name="energrid-ha", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The configs stay: Home Assistant shows the entities unavailable (server offline)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:
                log.warning("Home Assistant discovery round failed", exc_info=True)
            self._wake.wait(self.period_s)
            self._wake.clear()

    def _on_connection(self, connected: bool, _text: str = "") -> None:
        if connected:  # the broker may have lost them (restarted without its database)
            with self._lock:
                self._published.clear()
            self._wake.set()

    # --- the configs -------------------------------------------------------------------------

    def wanted(self) -> dict[str, bytes]:
        """Every config the grid calls for now; a house's are rebuilt only when it changed."""
        server = self.server
        with server.lock:
            numbers = list(server.grid.houses)
        bound = {b.key: b for b in server.bindings.all()}
        configs: dict[str, bytes] = {}
        for some in locked_slices(server.lock, numbers, HOUSES_PER_HOLD):
            for number in some:
                house = server.grid.houses.get(number)
                if house is None:
                    continue
                signature = (
                    tuple(
                        (c, d.type, _bound(bound.get((number, c))))
                        for c, d in house.consumers.items()
                    ),
                    tuple((s, d.type) for s, d in house.suppliers.items()),
                )
                cached = self._cache.get(number)
                if cached is None or cached[0] != signature:
                    built = house_configs(self.n, house, self.prefix, bound)
                    encoded = {
                        t: orjson.dumps(c, option=orjson.OPT_SORT_KEYS) for t, c in built.items()
                    }
                    cached = self._cache[number] = (signature, encoded)
                configs.update(cached[1])
        for gone in set(self._cache) - set(numbers):
            del self._cache[gone]
        return configs

    def sync(self) -> int:
        """Publish what changed, clear what went; returns the messages sent (0 when offline)."""
        client = self.server.client
        if not client.connected:
            return 0
        wanted = self.wanted()
        sent = 0
        with self._lock:
            changed = [t for t, p in wanted.items() if self._published.get(t) != p]
            gone = [t for t in (set(self._published) | self._stale) if t not in wanted]
        for topic in changed:
            if sent >= MAX_PUBLISHES_PER_ROUND:
                self._wake.set()
                break
            client.publish(topic, wanted[topic], qos=1, retain=True)
            with self._lock:
                self._published[topic] = wanted[topic]
            sent += 1
        for topic in gone:
            if sent >= MAX_PUBLISHES_PER_ROUND:
                self._wake.set()
                break
            client.publish(topic, b"", qos=1, retain=True)
            with self._lock:
                self._published.pop(topic, None)
                self._stale.discard(topic)
            sent += 1
        return sent

    @property
    def published(self) -> dict[str, bytes]:
        with self._lock:
            return dict(self._published)

    # --- messages (paho's network thread) ----------------------------------------------------

    def _on_config(self, topic: str, payload: bytes, retained: bool) -> None:
        """A config of ours on the broker: one from an earlier run is cleared if not wanted."""
        if not retained or not payload:
            return
        with self._lock:
            if topic not in self._published:
                self._stale.add(topic)
        self._wake.set()

    def _on_command(self, topic: str, payload: bytes, retained: bool) -> None:
        ingest = self.server.ingest
        parts = topic[len(self._command_prefix) :].split("/")
        house = parse_id(parts[1]) if len(parts) == 4 and parts[0] == "house" else None
        device = parse_id(parts[3]) if house is not None else None
        if house is None or device is None or parts[2] not in (CONSUMER, SUPPLIER):
            ingest.reject(topic, "topic", "not energrid/<n>/command/house/<h>/<kind>/<d>")
            return
        if retained:
            ingest.reject(topic, "retained", "a retained command is stale")
            return
        state = _STATES.get(payload.strip().upper())
        if state is None:
            ingest.reject(topic, "command", "a Home Assistant command must be ON or OFF")
            return
        setter = self.server.set_consumer if parts[2] == CONSUMER else self.server.set_supplier
        try:
            setter(house, device, state)
        except (UnknownHouseError, UnknownDeviceError) as exc:
            reason = "unknown_house" if isinstance(exc, UnknownHouseError) else "unknown_device"
            ingest.reject(topic, reason, str(exc))
            return
        except EnergridError as exc:  # the store could not journal it: said, not sent
            log.warning("Home Assistant command on %s not sent: %s", topic[:120], exc)
        ingest.count_received()
        self.commands_received += 1


def _bound(binding) -> tuple[str, str] | None:  # noqa: ANN001
    return None if binding is None else (binding.flavour, binding.device)
