"""The supervision server: the grid, the ingest path and the MQTT client, sharing one lock.

Every change the operator makes goes through a method here, and is saved in the store in the
same step: a change that cannot be saved is undone and reported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from energrid_core import snapshot
from energrid_core.auth import read_password
from energrid_core.command import Command, Phase
from energrid_core.config import Settings, check
from energrid_core.errors import BadArgumentError, StoreError
from energrid_core.events import (
    Bus,
    CommandChanged,
    ConnectionChanged,
    PublishAcknowledged,
    ReadingApplied,
)
from energrid_core.heap import settle
from energrid_core.ingest import Ingest
from energrid_core.journal import StoreJournal
from energrid_core.ledger import Ledger
from energrid_core.lock_slices import locked_slices
from energrid_core.model import Consumer, House, Neighborhood, Supplier
from energrid_core.mqtt_client import ClientOptions, GridClient
from energrid_core.state_payloads import encode, status_payload
from energrid_core.state_publisher import StatePublisher
from energrid_core.state_topics import status_topic
from energrid_core.store import ReadingRow, Store, resolve_calibration
from energrid_core.topics import (
    consumer_command_topic,
    neighborhood_filter,
    supplier_command_topic,
)
from energrid_core.watchdog import LoopWatchdog
from energrid_core.wire import Decoder

log = logging.getLogger("energrid.server")

MAX_BATCH = 100_000
SNAPSHOT_SLICE = 20  # houses copied per hold of the lock when saving statistics (~5 ms)


class GridServer:
    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        store: Store | None = None,
    ) -> None:
        check(settings)
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.store = store or Store.in_state_dir(settings.state_dir)
        try:
            self._build(settings)
        except BaseException:
            self.store.close()
            raise

    def _build(self, settings: Settings) -> None:
        n = settings.neighborhood
        resolve_calibration(self.store, settings)
        self.grid = Neighborhood(n, settings.history_len)
        self.store.load_grid(self.grid)
        restored = snapshot.restore(self.grid, self.store.readings(n))
        if self.grid.houses:
            houses, where = len(self.grid.houses), self.store.path
            log.info(
                "loaded %d houses (saved readings of %d meters and devices) from %s",
                houses,
                restored,
                where,
            )
        self.bus = Bus()
        decoder = Decoder.from_settings(settings)
        self.ingest = Ingest(self.grid, decoder, self.lock, self.clock, self.bus)
        options = ClientOptions(
            host=settings.mqtt_host,
            port=settings.mqtt_port,
            client_id=settings.client_id,
            keepalive_s=settings.keepalive_s,
            username=settings.mqtt_username or None,
            password=read_password(
                settings.mqtt_username, settings.mqtt_password_file, settings.state_dir
            ),
            tls_ca=settings.mqtt_tls_ca or None,
        )
        self.client = GridClient(options, self.ingest.handle)
        self.client.add_topic(neighborhood_filter(n))
        bus = self.bus
        self.client.session_listeners.append(
            lambda up, text: bus.publish(ConnectionChanged(up, text))
        )
        self.client.publish_listeners.append(
            lambda mid, ok, reason: bus.publish(PublishAcknowledged(mid, ok, reason))
        )
        journal = StoreJournal(self.store, n)
        self.ledger = Ledger(
            self.client,
            journal,
            bus,
            self.clock,
            ttl_s=settings.command_ttl_s,
            confirm_timeout_s=settings.confirm_timeout_s,
            offline_after_s=settings.offline_after_s,
        )
        self.ledger.restore(journal.load(self._command_topic))
        # State topics for the VR interface and dashboards (docs/protocol.md, "State topics").
        self.state = StatePublisher(
            self.grid,
            self.lock,
            self._publish_state,
            self.ledger.latest,
            mains_voltage_v=settings.mains_voltage_v,
            max_rate_hz=settings.state_max_rate_hz,
            offline_after_s=settings.offline_after_s,
            clock=self.clock,
            max_payloads_per_s=settings.state_max_payloads_per_s,
            backlog=lambda: self.client.unacked_publishes,
            bulk_sink=self._republish_state,
            queued=lambda: self.client.queued_packets,
        )
        offline = encode(status_payload(False))
        self.client.set_will(status_topic(n), offline, qos=1, retain=True)
        self._undo = [
            bus.subscribe(CommandChanged, self._remember_sent_command),
            bus.subscribe(ReadingApplied, self._remember_wire_command),
        ]
        self.watchdog = LoopWatchdog(
            lambda: self.client.loop_alive, self.client.restart_loop, self.client.announce
        )
        self.failed = threading.Event()  # the watchdog gave up: headless exits non-zero
        self._stop = threading.Event()
        self._housekeeper: threading.Thread | None = None
        self._snapshot_at = time.monotonic()
        self._snapshot_applied = self.ingest.stats.messages_applied

    @property
    def stats(self):  # noqa: ANN201 - IngestStats
        return self.ingest.stats

    def start(self, wait_s: float = 5.0) -> bool:
        """Connect; True when connected within wait_s (it keeps retrying in the background)."""
        self._housekeeper = threading.Thread(
            target=self._housekeeping_loop, name="energrid-housekeeping", daemon=True
        )
        self._housekeeper.start()
        self.ledger.start()
        self.state.start(self.bus)
        return self.client.start(wait_s)

    def stop(self) -> None:
        """Disconnect, save the readings' statistics, close the store. Once."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._housekeeper is not None:
            self._housekeeper.join()
        self.state.stop()
        self.ledger.stop()
        self.client.stop()  # the broker then publishes our will: status offline
        try:
            self.save_snapshot()
        except StoreError as exc:
            log.warning("%s", exc)
        self.store.close()

    def _publish_state(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1, retain=True)

    def _republish_state(self, topic: str, payload: bytes) -> None:
        """After a connect: QoS 0 (a drop of this connection brings another full republish)."""
        self.client.publish(topic, payload, qos=0, retain=True)

    # --- periodic work -------------------------------------------------------------------------

    def housekeeping(self) -> None:
        """One round: watch the network thread, expire waiting commands, snapshot when due."""
        watching = self._housekeeper is not None and not self.client.stopping
        if watching and not self.watchdog.check():
            self.failed.set()
        self.ledger.tick()
        due = time.monotonic() - self._snapshot_at >= self.settings.snapshot_interval_s
        if due and self.ingest.stats.messages_applied != self._snapshot_applied:
            self.save_snapshot()

    def save_snapshot(self) -> int:
        """Save the readings' statistics now; returns how many devices had some.

        Only the copy is made under the lock, a slice of houses at a time (copying the whole
        grid at once held up readings for over a second at 100,000 devices); writing does not
        hold up readings. Readings applied meanwhile to a house already copied go into the
        next snapshot, which they make due.
        """
        with self.lock:
            applied = self.ingest.stats.messages_applied
            numbers = list(self.grid.houses)
        rows: list[ReadingRow] = []
        for some in locked_slices(self.lock, numbers, SNAPSHOT_SLICE):
            chosen = (self.grid.houses.get(n) for n in some)
            # Encoded at once: bytes are not tracked by the garbage collector, whereas a copy
            # of the whole grid as dicts and lists made it walk them for 0.2 s.
            rows += snapshot.encode(snapshot.export_houses(h for h in chosen if h is not None))
        self.store.save_readings(self.settings.neighborhood, rows)
        self._snapshot_at = time.monotonic()
        self._snapshot_applied = applied
        return len(rows)

    def _housekeeping_loop(self) -> None:
        period = max(0.05, self.settings.watchdog_s)
        while not self._stop.wait(period):
            try:
                self.housekeeping()
            except Exception:
                log.warning("housekeeping failed", exc_info=True)

    # --- building the grid -------------------------------------------------------------------

    def new_houses(self, count: int = 1) -> list[House]:
        _check_count(count)
        n = self.settings.neighborhood
        with self.lock:
            made = self.grid.add_houses(count)
            try:
                self.store.add_houses(n, [h.identifier for h in made], self.grid.next_house)
            except StoreError:
                for house in made:
                    del self.grid.houses[house.identifier]
                raise
        for new in made:
            self.state.mark_house(new.identifier)
        settle()
        return made

    def rm_house(self, house: int) -> House:
        with self.lock:
            self.grid.house(house)  # an unknown house is reported before touching the store
            self.store.remove_house(self.settings.neighborhood, house)
            removed = self.grid.rm_house(house)
        self.ledger.cancel(house)
        self.state.house_removed(removed)
        return removed

    def new_consumers(self, house: int, count: int, type_: str) -> list[Consumer]:
        return self._new_devices(house, count, type_, "consumer")

    def new_suppliers(self, house: int, count: int, type_: str) -> list[Supplier]:
        return self._new_devices(house, count, type_, "supplier")

    def _new_devices(self, house: int, count: int, type_: str, kind: str) -> list:
        _check_count(count)
        with self.lock:
            target = self.grid.house(house)
            devices = target.consumers if kind == "consumer" else target.suppliers
            add = target.add_consumers if kind == "consumer" else target.add_suppliers
            made = add(type_, count)
            following = target.next_consumer if kind == "consumer" else target.next_supplier
            try:
                rows = [(d.identifier, type_) for d in made]
                self.store.add_devices(self.settings.neighborhood, house, kind, rows, following)
            except (StoreError, UnicodeEncodeError) as exc:
                for device in made:
                    del devices[device.identifier]
                if isinstance(exc, UnicodeEncodeError):
                    raise BadArgumentError(f"the type {type_!r} is not valid text") from None
                raise
        self.state.mark_house(house)
        settle()
        return made

    def rm_consumer(self, house: int, consumer: int) -> Consumer:
        return self._rm_device(house, consumer, "consumer")

    def rm_supplier(self, house: int, supplier: int) -> Supplier:
        return self._rm_device(house, supplier, "supplier")

    def _rm_device(self, house: int, device: int, kind: str):  # noqa: ANN202
        with self.lock:
            target = self.grid.house(house)
            find = target.consumer if kind == "consumer" else target.supplier
            find(device)  # an unknown device is reported before touching the store
            self.store.remove_device(self.settings.neighborhood, house, kind, device)
            removed = (target.rm_consumer if kind == "consumer" else target.rm_supplier)(device)
        self.ledger.cancel(house, kind, device)
        self.state.device_removed(house, kind, device)
        return removed

    # --- commands ------------------------------------------------------------------------------

    def set_consumer(self, house: int, consumer: int, state: int) -> Command:
        """1/0 on .../Consumer/<c>/set at QoS 1: SENT now, or QUEUED until the broker is back."""
        with self.lock:
            heard_at = self.grid.house(house).consumer(consumer).last_seen
        return self._command(house, "consumer", consumer, state, heard_at)

    def set_supplier(self, house: int, supplier: int, state: int) -> Command:
        """1/0 on .../Supplier/<s>/booleanLoad at QoS 1: SENT now, or QUEUED."""
        with self.lock:
            heard_at = self.grid.house(house).supplier(supplier).last_seen
        return self._command(house, "supplier", supplier, state, heard_at)

    def _command(
        self, house: int, kind: str, device: int, state: int, heard_at: float | None
    ) -> Command:
        topic = self._command_topic(house, kind, device)
        return self.ledger.submit(self.ledger.new(house, kind, device, state, topic), heard_at)

    def _command_topic(self, house: int, kind: str, device: int) -> str:
        n = self.settings.neighborhood
        if kind == "consumer":
            return consumer_command_topic(n, house, device)
        return supplier_command_topic(n, house, device)

    def _remember_sent_command(self, event: CommandChanged) -> None:
        """A command went out: it is the device's commanded state, in the model and the store."""
        c = event.command
        if c.phase is not Phase.SENT or c.sends != 1 or not c.from_server:
            return
        with self.lock:
            target = self.grid.houses.get(c.house)
            devices = None if target is None else getattr(target, c.kind + "s")
            device = None if devices is None else devices.get(c.device)
            if device is None:
                return
            device.commanded = c.state
        self._save_commanded(c.house, c.kind, c.device, c.state)

    def _remember_wire_command(self, event: ReadingApplied) -> None:
        """A command another client (the VR one) sent: saved as the device's commanded state."""
        seen = event.decoded.command
        if seen is not None:
            kind = "supplier" if seen.supplier else "consumer"
            self._save_commanded(event.house, kind, seen.device, seen.state)

    def _save_commanded(self, house: int, kind: str, device: int, state: int) -> None:
        try:
            self.store.set_commanded(self.settings.neighborhood, house, kind, device, state)
        except StoreError as exc:  # the network thread must go on; the next change retries
            log.warning("%s", exc)


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_BATCH:
        raise BadArgumentError(f"the number to create must be 1..{MAX_BATCH}, not {count}")
