"""The commands not yet acknowledged, kept in the grid database so that a crash loses none."""

from __future__ import annotations

from collections.abc import Callable

from energrid_core.commands.command import Command, Key
from energrid_core.model import DeviceKind
from energrid_core.persistence.store import Store


class StoreJournal:
    """The journal in the grid database, for its neighborhood: one row per device at most."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, command: Command) -> None:
        c = command
        row = (c.house, c.kind, c.device, c.state, c.created, c.expires_at)
        self.store.save_pending(row)

    def forget(self, key: Key) -> None:
        self.store.delete_pending(*key)

    def load(self, topic_of: Callable[[int, str, int], str]) -> list[Command]:
        """Commands journaled by an earlier run, expired ones included."""
        return [
            Command(
                house,
                DeviceKind(kind),
                device,
                state,
                topic_of(house, kind, device),
                created,
                expires,
            )
            for house, kind, device, state, created, expires in self.store.pending()
        ]
