"""What the server lets the shell, the views and the demo see: read-only values, never its parts.

The grid itself is only ever read through `GridServer.read(view)`, which calls the view under
the server's lock with a `GridView`; the view returns text or copies, never a part of the grid.
Everything else comes as a frozen copy made on request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from energrid_core.commands.command import Command
from energrid_core.model import DeviceKind, Neighborhood

# A device's last command, or None: (house, kind, device) -> a copy.
CommandLookup = Callable[[int, DeviceKind, int], Command | None]


@dataclass(frozen=True, slots=True)
class Conditions:
    """What readings are judged by: the time now, the mains voltage (consumers' watts) and the
    silence after which a device counts as offline."""

    now: float
    mains_voltage_v: float
    offline_after_s: float


@dataclass(frozen=True, slots=True)
class GridView:
    """What a view gets, under the server's lock: read it, change nothing, keep nothing."""

    grid: Neighborhood
    at: Conditions
    command: CommandLookup


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    connected: bool
    address: str
    connects: int
    disconnects: int
    connect_failures: int
    duplicates_dropped: int
    loop_restarts: int
    refusal: str | None
    explained: bool  # why it is not connected was said already (a refusal, a failed attempt)
    problem: str  # why it is not connected, in one line
    gave_up: str | None  # why it stopped reconnecting (its client id taken over), or None


@dataclass(frozen=True, slots=True)
class CommandCounts:
    sent: int
    waiting: int  # for the broker
    expired: int
    refused: int
    confirmed: int
    unconfirmed: int


@dataclass(frozen=True, slots=True)
class StateCounts:
    published: int
    changes: int
    flushes: int
    cleared: int
    republishes: int  # whole-grid republishes done, one after each connect
