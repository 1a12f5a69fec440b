"""Why a connection to the broker failed or ended, in one true line for a person.

Pure functions: the MQTT client module hands them what paho told it (the exception a connection
attempt raised, the reason code of a DISCONNECT, the socket error paho logged) and says the line
they return: English text (notes.ENGLISH) that carries its note, so that the shell says it in its
own language (see notes.NoteText). Each cause has its own words, so that a certificate refused is
never reported as a broker that does not answer, nor a reset by the network as a client id taken
by someone else.
"""

from __future__ import annotations

import errno
import re
import ssl

from energrid_core.notes import ENGLISH, Note, NoteText, note

SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason: another connection took the client id
_ERRNO = re.compile(r"\[Errno (\d+)\] (.+)")


def mqtt_reason(name: str) -> Note | str:
    """An MQTT 5 reason code's name (paho's words) as a note when the catalogue has it, so that
    the shell says it in its language; another name stays as paho says it."""
    return note(f"mqtt.{name}") if f"mqtt.{name}" in ENGLISH else name


def os_reason(strerror: str) -> Note | str:
    """What the system said of a socket ('Connection reset by peer') as a note when the
    catalogue has it; other words stay as the system says them."""
    return note(f"os.{strerror}") if f"os.{strerror}" in ENGLISH else strerror


def socket_reason(text: str) -> Note | str:
    """paho's '[Errno 104] Connection reset by peer' as a note, its English unchanged."""
    found = _ERRNO.fullmatch(text)
    if found is None or f"os.{found[2]}" not in ENGLISH:
        return text
    return note("os.errno", n=int(found[1]), error=note(f"os.{found[2]}"))


def connect_failure_text(address: str, error: BaseException | None, tls_ca: str | None) -> str:
    """A connection attempt that never reached the broker's CONNACK."""
    return NoteText(_connect_failure(address, error, tls_ca))


def _connect_failure(address: str, error: BaseException | None, tls_ca: str | None) -> Note:
    if isinstance(error, ssl.SSLCertVerificationError):
        what = error.verify_message or error.reason or str(error)
        ca = tls_ca or note("link.the CA file")
        return note("link.tls untrusted", address=address, ca=ca, what=what)
    if isinstance(error, ssl.SSLError):
        return note("link.tls failed", address=address, reason=error.reason or str(error))
    if isinstance(error, ConnectionRefusedError):
        return note("link.refused tcp", address=address)
    if isinstance(error, ConnectionResetError):
        return note("link.reset", address=address)
    if isinstance(error, TimeoutError):
        return note("link.timeout", address=address)
    if isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return note("link.unreachable", address=address, error=os_reason(error.strerror))
    if isinstance(error, OSError) and error.strerror:
        return note("link.cannot connect", address=address, error=os_reason(error.strerror))
    if error is not None:
        return note("link.cannot connect", address=address, error=str(error))
    return note("link.no answer", address=address)


def refusal_text(address: str, reason: str) -> str:
    """A CONNACK that refused us."""
    said = mqtt_reason(reason)
    if reason in ("Not authorized", "Bad user name or password"):
        # (Mosquitto answers "Not authorized" to a wrong password as well as to an unknown account.)
        return NoteText(note("link.refused account", address=address, reason=said))
    return NoteText(note("link.refused", address=address, reason=said))


def lost_text(address: str, reason: str, from_broker: bool, socket_error: str | None) -> str:
    """A connection that was up and ended without our asking.

    from_broker: the broker sent a DISCONNECT with `reason`; socket_error: what the socket said
    (a reset by the network); neither: the broker closed the connection without a word.
    """
    if from_broker:
        said = note("link.lost closed why", address=address, reason=mqtt_reason(reason))
    elif socket_error is not None:
        said = note("link.lost cut", address=address, error=socket_reason(socket_error))
    elif reason not in ("Unspecified error", "Success"):
        said = note("link.lost why", address=address, reason=mqtt_reason(reason))
    else:
        said = note("link.lost closed", address=address)
    return NoteText(said)


def taken_over_text(address: str, client_id: str, said_by_broker: bool) -> str:
    """Another connection took our client id: we stop, rather than take it back in turn."""
    said = "link.taken over" if said_by_broker else "link.taken again"
    return NoteText(note(said, address=address, client_id=client_id))
