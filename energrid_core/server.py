"""The supervision server: the grid, the ingest path and the MQTT client, sharing one lock.

Every change the operator makes goes through a method here, and is saved in the store in the
same step: a change that cannot be saved is undone and reported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from energrid_core.adapters.binder import DeviceBinder
from energrid_core.adapters.bindings import Binding, Bindings
from energrid_core.adapters.bridge import AdapterBridge, CommandRouter
from energrid_core.auth import read_password
from energrid_core.commands.command import Command, Phase
from energrid_core.commands.journal import StoreJournal
from energrid_core.commands.ledger import Ledger
from energrid_core.config import Settings, check
from energrid_core.errors import BadArgumentError, StoreError
from energrid_core.events import (
    Bus,
    CommandChanged,
    ConnectionChanged,
    Part,
    PublishAcknowledged,
    WireCommand,
)
from energrid_core.grid_view import (
    CommandCounts,
    Conditions,
    ConnectionStatus,
    GridView,
    StateCounts,
)
from energrid_core.heap import settle
from energrid_core.ingest import Ingest
from energrid_core.instance import default_client_id, instance_id
from energrid_core.lock_slices import ingest_first
from energrid_core.manage import parts as manage_parts
from energrid_core.model import Consumer, DeviceKind, House, Neighborhood, Supplier
from energrid_core.mqtt.client import ClientOptions, GridClient
from energrid_core.notes import note
from energrid_core.persistence import snapshot
from energrid_core.persistence.snapshot_saver import SnapshotSaver
from energrid_core.persistence.store import Store, resolve_calibration
from energrid_core.sole_server import check_alone
from energrid_core.state.payloads import encode, status_payload
from energrid_core.state.publisher import StatePublisher
from energrid_core.state.topics import status_topic
from energrid_core.stats import IngestStats
from energrid_core.topics import (
    consumer_command_topic,
    neighborhood_filter,
    supplier_command_topic,
)
from energrid_core.watchdog import LoopWatchdog
from energrid_core.wire import Decoder

JSON = "application/json"  # the MQTT 5 content type of the state topics
log = logging.getLogger("energrid.server")

T = TypeVar("T")
CONSUMER, SUPPLIER = DeviceKind.CONSUMER, DeviceKind.SUPPLIER

MAX_BATCH = 100_000


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
        self.store = store or Store.in_state_dir(settings.state_dir, settings.neighborhood)
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
        restored = snapshot.restore(self.grid, self.store.readings())
        if self.grid.houses:
            houses, where = len(self.grid.houses), self.store.path
            log.info(
                "loaded %d houses (saved readings of %d meters and devices) from %s",
                houses,
                restored,
                where,
            )
        self.instance = instance_id(settings.state_dir)
        self.bus = Bus()
        decoder = Decoder.from_settings(settings)
        self.ingest = Ingest(self.grid, decoder, self.lock, self.clock, self.bus)
        options = ClientOptions(
            host=settings.mqtt_host,
            port=settings.mqtt_port,
            client_id=settings.client_id or default_client_id(self.instance),
            keepalive_s=settings.keepalive_s,
            username=settings.mqtt_username or None,
            password=read_password(
                settings.mqtt_username, settings.mqtt_password_file, settings.state_dir
            ),
            tls_ca=settings.mqtt_tls_ca or None,
        )
        # Plugs people already own (Tasmota, Shelly) bound to consumers: their topics are
        # routed through the adapters, everything else goes straight to the ingest path.
        self.bindings = Bindings()
        self.bridge = AdapterBridge(self.bindings, self.ingest, n, settings.mains_voltage_v)
        self.client = GridClient(options, self.bridge.handle)
        self._behind = self.client.behind  # one bound method: ingest_first forgets it by identity
        self.client.add_topic(neighborhood_filter(n))
        self.binder = DeviceBinder(self.grid, self.lock, self.store, self.client, self.bindings)
        self.binder.load()
        bus = self.bus
        self.client.session_listeners.append(
            lambda up, text: bus.publish(ConnectionChanged(up, text))
        )
        self.client.publish_listeners.append(
            lambda mid, ok, reason: bus.publish(PublishAcknowledged(mid, ok, reason))
        )
        journal = StoreJournal(self.store)
        self.ledger = Ledger(
            CommandRouter(self.client, self.bindings, n),  # a bound plug's command in its words
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
            instance=self.instance,
            bus=bus,
            bulk_sink=self._republish_state,
            queued=lambda: self.client.queued_packets,
        )
        # Energy, history, limits, alarms and load shedding: energrid_core.manage.parts.
        self.manage = manage_parts.build(self)
        self.energy, self.alarms = self.manage.energy, self.manage.alarms
        self.shedding, self.history = self.manage.shedding, self.manage.history
        self.state.energy = self.energy  # kWh in the house and neighborhood topics
        offline = encode(status_payload(False))
        self.client.set_will(status_topic(n), offline, qos=1, retain=True, content_type=JSON)
        self._undo = [
            bus.subscribe(CommandChanged, self._remember_sent_command),
            bus.subscribe(WireCommand, self._remember_wire_command),
        ]
        # The readings' statistics, saved now and then and at stop (after the others stopped).
        self.snapshots = SnapshotSaver(
            self.grid,
            self.lock,
            self.store,
            lambda: self.ingest.stats.messages_applied,
            settings.snapshot_interval_s,
            poll_s=max(0.05, settings.watchdog_s),
            energy_rows=lambda: self.energy.export(),
        )
        # The parts that run beside the network thread, started in order, stopped in reverse.
        self.parts: list[Part] = [self.snapshots, self.ledger, self.state]
        self.watchdog = LoopWatchdog(
            lambda: self.client.loop_alive, self.client.restart_loop, self.client.announce
        )
        self.failed = threading.Event()  # the watchdog gave up: headless exits non-zero
        self._stop = threading.Event()
        self._housekeeper: threading.Thread | None = None

    @property
    def stats(self):  # noqa: ANN201 - IngestStats
        return self.ingest.stats

    def start(self, wait_s: float = 5.0) -> bool:
        """Connect; True when connected within wait_s (it keeps retrying in the background).

        Raises AnotherServerError, before connecting, when another server's retained status
        says it serves this neighborhood on this broker (unless settings.takeover).
        """
        if not self.settings.takeover:
            check_alone(self.client.options, self.settings.neighborhood, self.instance)
        self._housekeeper = threading.Thread(
            target=self._housekeeping_loop, name="energrid-housekeeping", daemon=True
        )
        self._housekeeper.start()
        ingest_first.follow(self._behind)
        for part in self.parts:
            part.start()
        self.manage.start(self.bus)
        return self.client.start(wait_s)

    def stop(self) -> None:
        """Stop the parts (the snapshot saver saves the statistics a last time), disconnect,
        close the store. Once."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._housekeeper is not None:
            self._housekeeper.join()
        self.manage.stop()
        for part in reversed(self.parts):
            part.stop()
        self.client.stop()  # the broker then publishes our will: status offline
        ingest_first.forget(self._behind)
        self.store.close()

    def _publish_state(self, topic: str, payload: bytes) -> None:
        kind = JSON if payload else None  # an empty payload clears a topic: no content
        self.client.publish(topic, payload, qos=1, retain=True, content_type=kind)

    def _republish_state(self, messages: list[tuple[str, bytes]]) -> None:
        """After a connect, a house's topics in one write at QoS 0 (a drop of this connection
        brings another full republish); an empty payload carries no content type."""
        self.client.publish_bulk(messages, retain=True, content_type=JSON)

    # --- periodic work -------------------------------------------------------------------------

    def housekeeping(self) -> None:
        """One round: watch the network thread, expire waiting commands."""
        watching = self._housekeeper is not None and not self.client.stopping
        if watching and not self.watchdog.check():
            self.failed.set()
        self.ledger.tick()

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
        with self.lock:
            following = self.grid.next_house
            made = self.grid.add_houses(count)
            try:
                self.store.add_houses([h.identifier for h in made], self.grid.next_house)
            except StoreError:  # nothing happened: not even a number was used up
                for house in made:
                    del self.grid.houses[house.identifier]
                self.grid.next_house = following
                raise
        for new in made:
            self.state.mark_house(new.identifier)
        settle()
        return made

    def set_house(
        self, house: int, name: str | None, x_m: float | None, y_m: float | None
    ) -> House:
        """Name a house and place it for a 3D layout (None keeps what it had); saved."""
        with self.lock:
            target = self.grid.house(house)
            name = target.name if name is None else name
            if x_m is None and y_m is None:
                x_m, y_m = target.x_m, target.y_m
            self.store.set_house_place(house, name, x_m, y_m)
            target.name, target.x_m, target.y_m = name, x_m, y_m
        self.state.mark_house(house)  # the house list goes out with the neighborhood topic
        return target

    def rm_house(self, house: int) -> House:
        with self.lock:
            self.grid.house(house)  # an unknown house is reported before touching the store
            self.store.remove_house(house)
            removed = self.grid.rm_house(house)
        self.binder.forget(house)
        self.ledger.cancel(house)
        self.state.house_removed(removed)
        return removed

    def new_consumers(self, house: int, count: int, type_: str) -> list[Consumer]:
        return self._new_devices(house, count, type_, "consumer")

    def new_suppliers(self, house: int, count: int, type_: str) -> list[Supplier]:
        return self._new_devices(house, count, type_, "supplier")

    def _new_devices(self, house: int, count: int, type_: str, kind: str) -> list:
        _check_count(count)
        try:
            type_.encode("utf-8")  # what the store can save; refused before anything changes
        except UnicodeEncodeError:
            raise BadArgumentError(note("error.type not text", type=type_)) from None
        with self.lock:
            target = self.grid.house(house)
            devices = target.consumers if kind == "consumer" else target.suppliers
            add = target.add_consumers if kind == "consumer" else target.add_suppliers
            before = (target.next_consumer, target.next_supplier)
            made = add(type_, count)
            following = target.next_consumer if kind == "consumer" else target.next_supplier
            try:
                rows = [(d.identifier, type_) for d in made]
                self.store.add_devices(house, kind, rows, following)
            except StoreError:  # nothing happened: not even a number was used up
                for device in made:
                    del devices[device.identifier]
                target.next_consumer, target.next_supplier = before
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
            self.store.remove_device(house, kind, device)
            removed = (target.rm_consumer if kind == "consumer" else target.rm_supplier)(device)
        if kind == CONSUMER:
            self.binder.forget(house, device)
        self.ledger.cancel(house, kind, device)
        self.state.device_removed(house, kind, device)
        return removed

    def bind_device(self, house: int, consumer: int, flavour: str, device: str) -> Binding:
        """Feed consumer c of house h from a Tasmota or Shelly plug; its commands go to the plug.

        A command still worked on for the consumer was meant for what stood there before: it
        ends, so that binding a plug never switches it by an older command.
        """
        binding = self.binder.bind(house, consumer, flavour, device)
        self.ledger.cancel(
            house, CONSUMER, consumer, why=note("detail.now plug", plug=binding.describe())
        )
        return binding

    def unbind_device(self, house: int, consumer: int) -> Binding:
        return self.binder.unbind(house, consumer)

    def binding(self, house: int, consumer: int) -> Binding | None:
        """A copy of the plug consumer c of house h is bound to, or None."""
        found = self.bindings.get(house, consumer)
        return None if found is None else replace(found)

    def all_bindings(self) -> list[Binding]:
        """Copies of every binding, by house and consumer."""
        return [replace(b) for b in self.bindings.all()]

    # --- commands ------------------------------------------------------------------------------

    def set_consumer(self, house: int, consumer: int, state: int) -> Command:
        """1/0 on .../Consumer/<c>/set at QoS 1: SENT now, or QUEUED until the broker is back."""
        with self.lock:
            heard_at = self.grid.house(house).consumer(consumer).last_seen
        return self._command(house, CONSUMER, consumer, state, heard_at)

    def set_supplier(self, house: int, supplier: int, state: int) -> Command:
        """1/0 on .../Supplier/<s>/booleanLoad at QoS 1: SENT now, or QUEUED."""
        with self.lock:
            heard_at = self.grid.house(house).supplier(supplier).last_seen
        return self._command(house, SUPPLIER, supplier, state, heard_at)

    def _command(
        self, house: int, kind: DeviceKind, device: int, state: int, heard_at: float | None
    ) -> Command:
        topic = self._command_topic(house, kind, device)
        return self.ledger.submit(self.ledger.new(house, kind, device, state, topic), heard_at)

    def _command_topic(self, house: int, kind: DeviceKind, device: int) -> str:
        n = self.settings.neighborhood
        if kind == CONSUMER:
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

    def _remember_wire_command(self, event: WireCommand) -> None:
        """A command another client (the VR one) sent: saved as the device's commanded state."""
        seen = event.command
        self._save_commanded(event.house, DeviceKind.of(seen.supplier), seen.device, seen.state)

    def _save_commanded(self, house: int, kind: DeviceKind, device: int, state: int) -> None:
        try:
            self.store.set_commanded(house, kind, device, state)
        except StoreError as exc:  # the network thread must go on; the next change retries
            log.warning("%s", exc)

    # --- what the shell, the views and the demo read (grid_view.py) ---------------------------

    def conditions(self) -> Conditions:
        s = self.settings
        return Conditions(self.clock(), s.mains_voltage_v, s.offline_after_s)

    def read(self, view: Callable[[GridView], T]) -> T:
        """view(GridView) under the server's lock: it reads, and returns text or copies."""
        with self.lock:
            return view(GridView(self.grid, self.conditions(), self.ledger.latest))

    def command_of(self, house: int, kind: DeviceKind, device: int) -> Command | None:
        """A copy of the device's last command (its phase says what became of it)."""
        return self.ledger.latest(house, kind, device)

    def stats_snapshot(self) -> IngestStats:
        with self.lock:
            return self.ingest.stats.snapshot()

    def connection_status(self) -> ConnectionStatus:
        c = self.client
        return ConnectionStatus(
            c.connected,
            c.address,
            c.connects,
            c.disconnects,
            c.connect_failures,
            c.duplicates_dropped,
            c.loop_restarts,
            c.refusal,
            c.explained,
            c.problem,
            c.gave_up,
        )

    def command_counts(self) -> CommandCounts:
        n = self.ledger.counts
        waiting = len(self.ledger.pending)
        return CommandCounts(
            n[Phase.SENT],
            waiting,
            n[Phase.EXPIRED],
            n[Phase.REFUSED],
            n[Phase.CONFIRMED],
            n[Phase.UNCONFIRMED],
        )

    def state_counts(self) -> StateCounts:
        p = self.state.stats
        return StateCounts(
            p.messages_published, p.changes_marked, p.flushes, p.topics_cleared, p.republishes
        )

    def follow_connection(self, listener: Callable[[bool, str], None]) -> None:
        """listener(connected, text) for every line about the connection meant for a person."""
        self.client.connection_listeners.append(listener)

    def announce(self, text: str) -> None:
        """Say something about the broker through the connection listeners."""
        self.client.announce(text)

    def notice_rejections_every(self, interval_s: float | None) -> None:
        """Log a line per rejection reason at most once an interval (None: at DEBUG only)."""
        self.ingest.notice_interval_s = interval_s

    @property
    def failure(self) -> str | None:
        """Why the watchdog gave up on the network thread, once `failed` is set."""
        return self.watchdog.failure


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_BATCH:
        raise BadArgumentError(note("error.batch", high=MAX_BATCH, count=count))
