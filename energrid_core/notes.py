"""What the core has to tell a person, as records: a message id and the values it names.

The core says things the operator reads (a command confirmed, an alarm raised, a house that
does not exist) but knows no screen and no language choice: it hands out a `Note`, and whoever
shows it picks the words. The shell renders notes in its language (energrid.shell.words, whose
French catalogue translates the ids below); everything else - the retained alarms topic's
`text`, a headless server's log, `str()` of an error - uses `str(note)`, the English below, the
contract's words. A value may itself be a note ("House 2 consumer 1" inside a sentence), rendered
first in the same language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, ENGLISH)

    def as_json(self) -> dict[str, Any]:
        """A plain dict (nested notes too), for a store that keeps notes language-neutral."""
        return {"id": self.id, "values": {k: _plain(v) for k, v in self.values.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        values = data.get("values") or {}
        return cls(str(data["id"]), {k: _from_plain(v) for k, v in values.items()})


def note(id_: str, **values: Any) -> Note:
    return Note(id_, values)


class NoteText(str):
    """A note as the English text an API has always handed out (a line about the broker
    connection, why the client stopped reconnecting): whatever takes it as text reads the
    English, as before; whoever words it in another language (the shell) finds the note in
    `note`, and `render` words it so.

    english: the catalogue with the note's English, for a note said outside the core (the
    broker child the shell runs); the core's ENGLISH by default.
    """

    note: Note

    def __new__(cls, said: Note, english: Mapping[str, str] | None = None) -> NoteText:
        text = super().__new__(cls, render(said, ENGLISH if english is None else english))
        text.note = said
        return text


def render(
    item: Note | str, templates: Mapping[str, str], fallback: Mapping[str, str] | None = None
) -> str:
    """The note's sentence from `templates` (from `fallback`, English by default, for an id
    they lack), values put in; a NoteText is worded from its note (its English is kept where
    neither catalogue knows the id); other text is returned as it is."""
    if isinstance(item, NoteText):
        known = ENGLISH if fallback is None else fallback
        if item.note.id not in templates and item.note.id not in known:
            return str.__str__(item)
        item = item.note
    if not isinstance(item, Note):
        return item
    template = templates.get(item.id)
    if template is None:
        template = (ENGLISH if fallback is None else fallback)[item.id]
    if not item.values:
        return template
    values = {
        k: render(v, templates, fallback) if isinstance(v, Note | NoteText) else v
        for k, v in item.values.items()
    }
    return template.format(**values)


def _plain(value: Any) -> Any:
    return {"note": value.as_json()} if isinstance(value, Note) else value


def _from_plain(value: Any) -> Any:
    if isinstance(value, dict) and "note" in value:
        return Note.from_json(value["note"])
    return value


def ids_text(ids: Mapping[int, object] | list[int]) -> Note | str:
    """ "1, 2, 5", or "1..500 (480 in all)" when there are many, or "none"."""
    if not ids:
        return note("ids.none")
    if len(ids) <= 12:
        return ", ".join(map(str, sorted(ids)))
    return note("ids.many", low=min(ids), high=max(ids), n=len(ids))


def device(house: int, kind: str, number: int) -> Note:
    """'House 2 consumer 1', 'House 2 supplier 1'."""
    return note(f"device.{kind}", house=house, device=number)


# Every sentence the core hands out, in English. Ids are grouped by who says them.
ENGLISH: dict[str, str] = {
    # --- shared pieces ------------------------------------------------------------------------
    "ids.none": "none",
    "ids.many": "{low}..{high} ({n} in all)",
    "device.consumer": "House {house} consumer {device}",
    "device.supplier": "House {house} supplier {device}",
    # --- errors (energrid_core.model, energrid_core.server) -------------------------------------
    "error.no house": "no house {house} (houses: {houses})",
    "error.no houses yet": "none yet: newHouse() makes one",
    "error.no consumer": "house {house} has no consumer {device} (its consumers: {have})",
    "error.no supplier": "house {house} has no supplier {device} (its suppliers: {have})",
    "error.type not text": "the type {type!r} is not valid text",
    "error.batch": "the number to create must be 1..{high}, not {count}",
    "error.device id empty": "{what} must be a non-empty string, not {value}",
    "error.device id long": "{what} is longer than {high} characters",
    "error.device id ascii": "{what} {value!r} must be printable ASCII without spaces",
    "error.device id level": "{what} {value!r} must not hold + # or an empty level",
    "error.plug device": "the {flavour} device",
    "error.flavour": "the flavour must be {names} or {last}, not {value}",
    "error.gen1 shelly": "a Gen1 Shelly is named 'shellies/<id>', not {value!r}",
    "error.plug slash": "the {flavour} device {value!r} must not hold '/'",
    "error.plug taken": "{flavour} {device!r} already feeds house {house} consumer {consumer}: "
    "unbindDevice({house}, {consumer}) first",
    "error.not bound": "consumer {consumer} of house {house} is not bound",
    # --- a command's life (energrid_core.commands) ----------------------------------------------
    "switch": "{state}",
    "switch.load": "load {state}",
    "times.once": "once",
    "times.n": "{n} times",
    "shows.nothing": "no reading",
    "shows": "it shows {state}",
    "phase.expired": "expired",
    "phase.refused": "refused",
    "phase.superseded": "superseded",
    "phase.cancelled": "cancelled",
    "command.confirmed": "{head} confirmed {what} in {took_s:.1f} s",
    "command.unconfirmed": "{head} did not confirm {what} within {took_s:.0f} s (sent {times}; "
    "{shows})",
    "command.queued": "{head}: {what} waits for the broker",
    "command.waiting": "{head}: waiting for {what} to be confirmed",
    "command.ended": "{head}: {what} {phase}",
    "command.ended why": "{head}: {what} {phase} ({detail})",
    "command.from another client": "{text} (command from another client)",
    "notice.refused": "[command] not delivered: the broker refused {call}: {detail}",
    "notice.again": "[command] sending {call} again: {detail}",
    "notice.superseded": "[command] superseded: {call} ({detail})",
    "notice.broker back": "[command] sending {call} now that the broker is back",
    "notice.delivered": "[command] delivered: {call} to {topic}",
    "notice.delivered nobody": "[command] delivered: {call} to {topic} (no device is subscribed "
    "to it right now)",
    "notice.expired": "[command] expired, not delivered: {call} ({detail})",
    "notice.cancelled": "[command] cancelled: {call} ({detail})",
    "detail.replaces": "replaces the waiting {state}",
    "detail.still shows": "the device still shows {state}",
    "detail.back and shows": "the device is back and shows {state}",
    "detail.broker down": "the broker stayed down",
    "detail.removed": "device removed",
    "detail.now plug": "the consumer is now {plug}",
    # --- the broker connection (energrid_core.mqtt, energrid_core.watchdog) ----------------------
    "link.connected": "connected to the broker at {address} ({session})",
    "link.session resumed": "session resumed",
    "link.new session": "new session",
    "link.disconnected": "disconnected from the broker at {address}",
    "link.not connected": "the broker at {address} is not connected: nothing was sent",
    "link.lost closed": "lost the broker at {address}: it closed the connection; retrying",
    "link.lost closed why": "lost the broker at {address}: it closed the connection ({reason}); "
    "retrying",
    "link.lost cut": "lost the broker at {address}: the network cut the connection ({error}); "
    "retrying",
    "link.lost why": "lost the broker at {address} ({reason}); retrying",
    "link.refused": "the broker at {address} refused the connection: {reason}; retrying",
    "link.refused account": "the broker at {address} refused the connection: {reason}; check "
    "--mqtt-username and the password file (energrid credentials); retrying",
    "link.tls untrusted": "the broker at {address} presented a TLS certificate that {ca} does "
    "not vouch for ({what}); retrying",
    "link.the CA file": "the CA file",
    "link.tls failed": "the TLS handshake with the broker at {address} failed ({reason}); retrying",
    "link.refused tcp": "the broker at {address} does not answer yet (connection refused); "
    "retrying",
    "link.reset": "the network reset the connection to the broker at {address}; retrying",
    "link.timeout": "the broker at {address} did not answer in time; retrying",
    "link.unreachable": "the broker at {address} cannot be reached ({error}); retrying",
    "link.cannot connect": "cannot connect to the broker at {address} ({error}); retrying",
    "link.no answer": "the broker at {address} does not answer yet; retrying",
    "link.taken over": "another client with client id {client_id!r} took over this session at "
    "the broker at {address}; not reconnecting (give each server its own --client-id, or stop "
    "the other one)",
    "link.taken again": "another client with client id {client_id!r} keeps taking this "
    "connection at the broker at {address} (the broker closes it each time the other "
    "connects); not reconnecting (give each server its own --client-id, or stop the other one)",
    "watchdog.gave up": "the MQTT network thread stopped {times} times within {window_s:g} s; "
    "giving up",
    "watchdog.failed": "the MQTT network thread stopped and could not be restarted: {error}",
    "watchdog.restarted": "the MQTT network thread stopped; restarted it ({n} of {most} within "
    "{window_s:g} s)",
    # MQTT 5 reason codes a broker gives for refusing or closing a connection (paho's names).
    "mqtt.Unspecified error": "Unspecified error",
    "mqtt.Malformed packet": "Malformed packet",
    "mqtt.Protocol error": "Protocol error",
    "mqtt.Implementation specific error": "Implementation specific error",
    "mqtt.Unsupported protocol version": "Unsupported protocol version",
    "mqtt.Client identifier not valid": "Client identifier not valid",
    "mqtt.Bad user name or password": "Bad user name or password",
    "mqtt.Not authorized": "Not authorized",
    "mqtt.Server unavailable": "Server unavailable",
    "mqtt.Server busy": "Server busy",
    "mqtt.Banned": "Banned",
    "mqtt.Server shutting down": "Server shutting down",
    "mqtt.Bad authentication method": "Bad authentication method",
    "mqtt.Keep alive timeout": "Keep alive timeout",
    "mqtt.Session taken over": "Session taken over",
    "mqtt.Receive maximum exceeded": "Receive maximum exceeded",
    "mqtt.Packet too large": "Packet too large",
    "mqtt.Message rate too high": "Message rate too high",
    "mqtt.Quota exceeded": "Quota exceeded",
    "mqtt.Administrative action": "Administrative action",
    "mqtt.Use another server": "Use another server",
    "mqtt.Server moved": "Server moved",
    "mqtt.Connection rate exceeded": "Connection rate exceeded",
    "mqtt.Maximum connect time": "Maximum connect time",
    # What the system says of a socket (strerror), and paho's "[Errno 104] ..." around it.
    "os.errno": "[Errno {n}] {error}",
    "os.Connection reset by peer": "Connection reset by peer",
    "os.Connection refused": "Connection refused",
    "os.Connection timed out": "Connection timed out",
    "os.Broken pipe": "Broken pipe",
    "os.Software caused connection abort": "Software caused connection abort",
    "os.No route to host": "No route to host",
    "os.Network is unreachable": "Network is unreachable",
    # --- alarms and shedding (energrid_core.manage) ---------------------------------------------
    "scope.neighborhood": "Neighborhood",
    "scope.house": "House {house}",
    "alarm.over limit": "{scope} over its limit: {draw_w:.0f} W drawn, limit {limit_w:.0f} W",
    "alarm.under limit": "{scope} back under its limit: {draw_w:.0f} W",
    "alarm.limit removed": "{scope}: limit removed",
    "alarm.battery low": "House {house} supplier {device} battery low: {pct:.0f} %",
    "alarm.battery back": "House {house} supplier {device} battery back to {pct:.0f} %",
    "alarm.not obeyed": "{head} does not obey: commanded {state}, shows {shown}",
    "alarm.obeys": "{head} obeys a new command",
    "where.neighborhood": "the neighborhood",
    "where.house": "house {house}",
    "why.operator": "the operator's command",
    "why.client": "a command from another client",
    "shed.off": "House {house} consumer {device} ({type}, priority {priority}, {power_w:.0f} W) "
    "switched OFF: {where} draws {draw_w:.0f} W, target {target_w:.0f} W",
    "shed.restored": "House {house} consumer {device} restored ON: draw {draw_w:.0f} W + "
    "{power_w:.0f} W fits under {target_w:.0f} W",
    "shed.released": "House {house} consumer {device} released by {why}",
    # How each line of the alarm history begins, by its event.
    "event.raised": "[alarm] {text}",
    "event.cleared": "[alarm cleared] {text}",
    "event.shed": "[shedding] {text}",
    "event.restored": "[shedding] {text}",
    "event.released": "[shedding] {text}",
}
