"""bindDevice / unbindDevice: a consumer fed by a plug, saved with the grid, subscribed live."""

from __future__ import annotations

import logging
import threading

from energrid_core.adapters.bindings import Binding, Bindings
from energrid_core.adapters.flavours import device_id, flavour
from energrid_core.errors import BadArgumentError
from energrid_core.model import Neighborhood
from energrid_core.notes import note
from energrid_core.persistence.store import Store

log = logging.getLogger("energrid.adapters")


class DeviceBinder:
    """Keeps the bindings, the store and the client's subscriptions in step."""

    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        store: Store,
        client,  # noqa: ANN001 - GridClient: add_topic, rm_topic
        bindings: Bindings,
    ) -> None:
        self.grid = grid
        self.lock = lock
        self.store = store
        self.client = client
        self.bindings = bindings

    def load(self) -> int:
        """The bindings saved with the grid; one that no longer makes sense is skipped, said."""
        loaded = 0
        for house, consumer, name, device in self.store.bindings():
            target = self.grid.houses.get(house)
            if target is None or consumer not in target.consumers:
                continue
            try:
                binding = Binding(house, consumer, name, device_id(name, device))
            except BadArgumentError as exc:
                log.warning("house %d consumer %d: saved binding skipped: %s", house, consumer, exc)
                continue
            self.bindings.add(binding)
            self._subscribe(binding)
            loaded += 1
        return loaded

    def bind(self, house: int, consumer: int, flavour_name: str, device: str) -> Binding:
        flavour(flavour_name)
        device = device_id(flavour_name, device)
        with self.lock:
            self.grid.house(house).consumer(consumer)  # unknown ones reported first
            owner = self.bindings.owner(flavour_name, device)
            if owner is not None and owner.key != (house, consumer):
                raise BadArgumentError(
                    note(
                        "error.plug taken",
                        flavour=flavour_name,
                        device=device,
                        house=owner.house,
                        consumer=owner.consumer,
                    )
                )
            self.store.save_binding(house, consumer, flavour_name, device)
            binding = Binding(house, consumer, flavour_name, device)
            old = self.bindings.add(binding)
        if old is not None:
            self._unsubscribe(old, keep=binding)
        self._subscribe(binding)
        return binding

    def unbind(self, house: int, consumer: int) -> Binding:
        with self.lock:
            self.grid.house(house).consumer(consumer)
            if self.bindings.get(house, consumer) is None:
                raise BadArgumentError(note("error.not bound", house=house, consumer=consumer))
            self.store.delete_binding(house, consumer)
            (gone,) = self.bindings.remove(house, consumer)
        self._unsubscribe(gone)
        return gone

    def forget(self, house: int, consumer: int | None = None) -> None:
        """A house or consumer was removed (the store dropped its binding with it)."""
        for gone in self.bindings.remove(house, consumer):
            self._unsubscribe(gone)

    def _subscribe(self, binding: Binding) -> None:
        for topic in binding.report_topics():
            self.client.add_topic(topic)

    def _unsubscribe(self, binding: Binding, keep: Binding | None = None) -> None:
        kept = set(keep.report_topics()) if keep is not None else set()
        for topic in binding.report_topics():
            if topic not in kept:
                self.client.rm_topic(topic)
