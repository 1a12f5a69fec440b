"""One error family. Messages are written for the person at the keyboard, on one line."""

from __future__ import annotations

from energrid_core.notes import Note, NoteText


class EnergridError(Exception):
    """Base of every error Energrid reports to a person.

    Raised with a plain English line, or with a Note (or a NoteText): then `str()` is its
    English and `note` lets the shell say it in its own language."""

    def __init__(self, message: str | Note = "") -> None:
        # A NoteText is kept whole: its English stays at hand where the core's catalogue lacks
        # its id (a line of the broker child the shell runs).
        self.note = message if isinstance(message, Note | NoteText) else None
        super().__init__(str(message))


class BadArgumentError(EnergridError):
    """A command got an argument of the wrong kind or value."""


class UnknownHouseError(EnergridError):
    """No house with that number."""


class UnknownDeviceError(EnergridError):
    """No consumer or supplier with that number in the house."""


class BrokerUnavailableError(EnergridError):
    """The MQTT broker cannot be reached or started."""


class StoreError(EnergridError):
    """The grid could not be read from or saved to the state directory."""


class AnotherServerError(EnergridError):
    """Another server's retained status says it serves this neighborhood on this broker."""
