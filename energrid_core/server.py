"""The supervision server: the grid, the ingest path and the MQTT client, sharing one lock.

Every change the operator makes goes through a method here, so that later layers (state topics,
persistence) have one place to hook in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from energrid_core.config import Settings
from energrid_core.errors import BadArgumentError
from energrid_core.heap import settle
from energrid_core.ingest import Ingest
from energrid_core.model import Consumer, House, Neighborhood, Supplier
from energrid_core.mqtt_client import ClientOptions, GridClient
from energrid_core.topics import (
    consumer_command_topic,
    neighborhood_filter,
    supplier_command_topic,
)
from energrid_core.wire import Decoder

MAX_BATCH = 100_000


class GridServer:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.grid = Neighborhood(settings.neighborhood, settings.history_len)
        self.ingest = Ingest(self.grid, Decoder.from_settings(settings), self.lock, clock)
        options = ClientOptions(
            host=settings.mqtt_host,
            port=settings.mqtt_port,
            client_id=settings.client_id,
            keepalive_s=settings.keepalive_s,
        )
        self.client = GridClient(options, self.ingest.handle)
        self.client.add_topic(neighborhood_filter(settings.neighborhood))

    @property
    def stats(self):  # noqa: ANN201 - IngestStats
        return self.ingest.stats

    def start(self, wait_s: float = 5.0) -> bool:
        """Connect; True when connected within wait_s (it keeps retrying in the background)."""
        return self.client.start(wait_s)

    def stop(self) -> None:
        self.client.stop()

    # --- building the grid -------------------------------------------------------------------

    def new_houses(self, count: int = 1) -> list[House]:
        _check_count(count)
        with self.lock:
            made = self.grid.add_houses(count)
        settle()
        return made

    def rm_house(self, house: int) -> House:
        with self.lock:
            return self.grid.rm_house(house)

    def new_consumers(self, house: int, count: int, type_: str) -> list[Consumer]:
        _check_count(count)
        with self.lock:
            target = self.grid.house(house)
            made = target.add_consumers(count, type_)
        settle()
        return made

    def new_suppliers(self, house: int, count: int, type_: str) -> list[Supplier]:
        _check_count(count)
        with self.lock:
            target = self.grid.house(house)
            made = target.add_suppliers(count, type_)
        settle()
        return made

    def rm_consumer(self, house: int, consumer: int) -> Consumer:
        with self.lock:
            return self.grid.house(house).rm_consumer(consumer)

    def rm_supplier(self, house: int, supplier: int) -> Supplier:
        with self.lock:
            return self.grid.house(house).rm_supplier(supplier)

    # --- commands ------------------------------------------------------------------------------

    def set_consumer(self, house: int, consumer: int, state: int) -> str:
        """Publish 1/0 on .../Consumer/<c>/set at QoS 1; returns the topic."""
        with self.lock:
            device = self.grid.house(house).consumer(consumer)
        topic = consumer_command_topic(self.settings.neighborhood, house, consumer)
        self.client.publish(topic, str(state), qos=1)
        with self.lock:
            device.commanded = state
        return topic

    def set_supplier(self, house: int, supplier: int, state: int) -> str:
        """Publish 1/0 on .../Supplier/<s>/booleanLoad at QoS 1; returns the topic."""
        with self.lock:
            device = self.grid.house(house).supplier(supplier)
        topic = supplier_command_topic(self.settings.neighborhood, house, supplier)
        self.client.publish(topic, str(state), qos=1)
        with self.lock:
            device.commanded = state
        return topic


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_BATCH:
        raise BadArgumentError(f"the number to create must be 1..{MAX_BATCH}, not {count}")
