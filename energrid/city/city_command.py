"""A command sent from the city to one device of one neighborhood, confirmed from its state topic.

The city view publishes the device's ordinary command topic on the city broker; the bridge of
that neighborhood carries it to its broker, where the board and the neighborhood's server get it
as from any other client. The server then watches the device's readings and publishes the
command's fate in the device's state topic (`command`: pending, then confirmed or unconfirmed),
which the bridge carries back. Nothing is sent to a neighborhood the city cannot reach, or to a
house or device it does not list: a wrong argument is one line and changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from energrid.city.city_client import CityClient
from energrid.city.city_state import Reach
from energrid_core.state.topics import (
    CONSUMER,
    device_state_topic,
    house_state_topic,
    houses_state_topic,
)
from energrid_core.topics import consumer_command_topic, supplier_command_topic

POLL_S = 0.01
TRIP_MARGIN_S = 5.0  # on top of the server's confirmation window: two bridge crossings


@dataclass(frozen=True)
class CityCommand:
    neighborhood: int
    house: int
    kind: str  # CONSUMER or SUPPLIER
    device: int
    state: int  # 1 on, 0 off

    @property
    def topic(self) -> str:
        if self.kind == CONSUMER:
            return consumer_command_topic(self.neighborhood, self.house, self.device)
        return supplier_command_topic(self.neighborhood, self.house, self.device)

    @property
    def device_text(self) -> str:
        return f"Neighborhood {self.neighborhood} house {self.house} {self.kind} {self.device}"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str
    took_s: float | None = None  # from the publish to the confirmation, when confirmed


def problem(client: CityClient, command: CityCommand) -> str | None:
    """Why the command must not be sent, or None. Call with the retained state in."""
    city = client.city
    n, house = command.neighborhood, command.house
    known = [m for m in city.neighborhoods() if city.grid(m).summary is not None]
    if n not in known:
        listed = ", ".join(map(str, known)) or "none"
        return f"neighborhood {n} is not in the city at {client.where} (neighborhoods: {listed})"
    reach = city.summary(n).reach
    if reach is Reach.UNREACHABLE:
        return f"not sent: neighborhood {n}'s broker is not bridged to the city now"
    if reach is Reach.OFFLINE:
        return f"not sent: neighborhood {n}'s server is offline; nothing would confirm it"
    grid = city.grid(n)
    if house not in grid.house_ids():
        return f"neighborhood {n} has no house {house}"
    if (house, command.kind, command.device) not in grid.device_keys(house):
        return f"house {house} of neighborhood {n} has no {command.kind} {command.device}"
    return None


def send(
    client: CityClient,
    command: CityCommand,
    confirm_timeout_s: float,
    ttl_s: float,
    sync_timeout_s: float,
) -> Outcome:
    """Check, send, and wait for the neighborhood's server to settle the command."""
    n, house = command.neighborhood, command.house
    client.watch(
        [
            houses_state_topic(n),  # the house list: whether the house exists
            house_state_topic(n, house),
            device_state_topic(n, house, command.kind, command.device),
        ]
    )
    if not client.sync(sync_timeout_s):
        if client.refusal is not None:
            return Outcome(False, client.refusal_text())
        if not client.connected.is_set():
            return Outcome(False, f"not sent: could not reach the city broker at {client.where}")
        return Outcome(False, f"not sent: {client.no_echo_text(sync_timeout_s)}")
    with client.lock:
        why = problem(client, command)
        before = client.city.command_of(n, house, command.kind, command.device)
    if why is not None:
        return Outcome(False, why)
    started = time.monotonic()
    if not client.publish_command(
        command.topic, str(command.state).encode(), ttl_s, sync_timeout_s
    ):
        return Outcome(False, f"not sent: the city broker at {client.where} did not take it")
    wait_s = confirm_timeout_s + TRIP_MARGIN_S
    deadline = started + wait_s
    seen = None
    while time.monotonic() < deadline:
        with client.lock:
            record = client.city.command_of(n, house, command.kind, command.device)
        if isinstance(record, dict) and record != before and record.get("state") == command.state:
            seen = record
            status = record.get("status")
            if status == "confirmed":
                took_s = time.monotonic() - started
                return Outcome(
                    True,
                    f"{command.device_text} confirmed {_word(command)} in {took_s:.2f} s",
                    took_s,
                )
            if status not in (None, "pending"):
                return Outcome(
                    False, f"{command.device_text} did not confirm {_word(command)} ({status})"
                )
        time.sleep(POLL_S)
    if seen is not None:
        return Outcome(
            False,
            f"{command.device_text}: its server got the command but no confirmation came "
            f"within {wait_s:g} s",
        )
    return Outcome(
        False,
        f"{command.device_text}: no sign of the command from neighborhood {n}'s server within "
        f"{wait_s:g} s (is its bridge carrying commands in?)",
    )


def _word(command: CityCommand) -> str:
    return ("" if command.kind == CONSUMER else "load ") + ("ON" if command.state else "OFF")
