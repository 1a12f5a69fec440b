"""One on/off command and its whole life: one record, one state machine, one sentence.

    QUEUED ──> SENT ──> DELIVERED ──> CONFIRMED
      │          │          └───────> UNCONFIRMED   (the device never showed it: gave up)
      │          └──> REFUSED                       (the broker answered with an error)
      └──> EXPIRED                                  (the broker stayed down too long)
    any phase before CONFIRMED ──> SUPERSEDED (a newer command for the device) or CANCELLED

A command is the device's *desired* state: while the device shows the other state, the ledger
sends it again (back in SENT, `sends` counts them) until the device shows it or its time to live
runs out. Times are the server clock's. The record is only changed by the ledger, under its lock;
everyone else gets a copy (`Command.copy()`), so what they read never moves under them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from energrid_core.model import DeviceKind
from energrid_core.notes import Note, device, note

Key = tuple[int, DeviceKind, int]  # house, kind, device


class Phase(Enum):
    QUEUED = "queued"  # the broker is down: waits for it, until it expires
    SENT = "sent"  # handed to the connected client
    DELIVERED = "delivered"  # the broker acknowledged it; waits for the device to show it
    CONFIRMED = "confirmed"  # a reading showed the commanded state
    UNCONFIRMED = "unconfirmed"  # the time to live ran out and the device never showed it
    EXPIRED = "expired"  # never delivered: the broker stayed down too long
    REFUSED = "refused"  # the broker answered with an error (not authorized...)
    SUPERSEDED = "superseded"  # a newer command for the same device took its place
    CANCELLED = "cancelled"  # the device was removed

    @property
    def final(self) -> bool:
        return self in FINAL

    @property
    def status(self) -> str:
        """The state topics' word: pending until settled (docs/protocol.md)."""
        if self is Phase.CONFIRMED:
            return "confirmed"
        if self is Phase.UNCONFIRMED:
            return "unconfirmed"
        return "pending" if not self.final else self.value


FINAL = frozenset(
    {
        Phase.CONFIRMED,
        Phase.UNCONFIRMED,
        Phase.EXPIRED,
        Phase.REFUSED,
        Phase.SUPERSEDED,
        Phase.CANCELLED,
    }
)


@dataclass(slots=True)
class Command:
    house: int
    kind: DeviceKind
    device: int
    state: int  # 1 ON, 0 OFF
    topic: str
    created: float
    expires_at: float  # the time to live: delivery and reconciliation both stop here
    from_server: bool = True  # False: seen on the wire from another client (the VR one...)
    restored: bool = False  # journaled by an earlier run of Energrid
    phase: Phase = Phase.QUEUED
    sent_at: float | None = None  # the first send
    resolved_at: float | None = None
    sends: int = 0
    next_send_at: float | None = (
        None  # when the device, still showing the other state, gets it again
    )
    shown: bool | None = None  # what the device's last reading showed since the command
    heard_at: float | None = None  # when the device was last heard from
    changes: int = 0  # phase changes so far (0: a record not yet placed)
    waited: bool = False  # it was queued or interrupted: its later steps are told to the operator
    detail: Note | str = ""  # why it is where it is: the ledger's note, or the broker's words
    client: str | None = None  # who sent it, when its publisher said (MQTT 5 user property)

    @property
    def key(self) -> Key:
        return (self.house, self.kind, self.device)

    @property
    def call(self) -> str:
        return f"{DeviceKind(self.kind).command_name}({self.house}, {self.device}, {self.state})"

    @property
    def not_obeyed(self) -> bool:
        """Given up on while the device shows the other state."""
        return self.phase is Phase.UNCONFIRMED and self.shown is not None

    def copy(self) -> Command:
        return replace(self)

    def describe(self) -> str:
        """One line for whoever asks: 'House 2 consumer 1 confirmed ON in 0.3 s'."""
        return str(self.description())

    def description(self) -> Note:
        """describe()'s line as a note, for a reader in another language."""
        word = "ON" if self.state else "OFF"
        what = note("switch.load" if self.kind == DeviceKind.SUPPLIER else "switch", state=word)
        head = device(self.house, self.kind, self.device)
        since = self.sent_at if self.sent_at is not None else self.created
        took = (self.resolved_at or since) - since
        phase = self.phase
        if phase is Phase.CONFIRMED:
            text = note("command.confirmed", head=head, what=what, took_s=took)
        elif phase is Phase.UNCONFIRMED:
            shows = (
                note("shows.nothing")
                if self.shown is None
                else note("shows", state=_word(self.shown))
            )
            times = note("times.once") if self.sends == 1 else note("times.n", n=self.sends)
            text = note(
                "command.unconfirmed", head=head, what=what, took_s=took, times=times, shows=shows
            )
        elif phase is Phase.QUEUED:
            text = note("command.queued", head=head, what=what)
        elif phase in (Phase.SENT, Phase.DELIVERED):
            text = note("command.waiting", head=head, what=what)
        else:
            ended = "command.ended why" if self.detail else "command.ended"
            text = note(
                ended, head=head, what=what, phase=note(f"phase.{phase.value}"), detail=self.detail
            )
        return text if self.from_server else note("command.from another client", text=text)


def _word(on: bool) -> str:
    return "ON" if on else "OFF"


def notice(command: Command, previous: Phase | None) -> Note | None:
    """The one line printed when a command changes phase, or None when nothing is worth saying.

    A command sent at once is already answered by setConsumer's own line; the operator hears of
    the later steps of one that had to wait, of every refusal, and of how each ends.
    """
    c, phase = command, command.phase
    if not c.from_server:
        return c.description() if phase in (Phase.CONFIRMED, Phase.UNCONFIRMED) else None
    if phase is Phase.REFUSED:
        return note("notice.refused", call=c.call, detail=c.detail)
    if phase in (Phase.CONFIRMED, Phase.UNCONFIRMED):
        return c.description()
    if phase is Phase.SENT and c.sends > 1:
        return note("notice.again", call=c.call, detail=c.detail)
    if phase is Phase.SUPERSEDED and c.detail:
        return note("notice.superseded", call=c.call, detail=c.detail)
    if not c.waited:
        return None
    if phase is Phase.SENT and previous is Phase.QUEUED:
        return note("notice.broker back", call=c.call)
    if phase is Phase.DELIVERED and c.sends == 1:
        no_one = "No matching subscribers" in str(c.detail)
        delivered = "notice.delivered nobody" if no_one else "notice.delivered"
        return note(delivered, call=c.call, topic=c.topic)
    if phase is Phase.EXPIRED:
        return note("notice.expired", call=c.call, detail=c.detail)
    if phase is Phase.CANCELLED:
        return note("notice.cancelled", call=c.call, detail=c.detail)
    return None
