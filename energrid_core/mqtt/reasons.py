"""Why a connection to the broker failed or ended, in one true line for a person.

Pure functions: the MQTT client module hands them what paho told it (the exception a connection
attempt raised, the reason code of a DISCONNECT, the socket error paho logged) and says the line
they return. Each cause has its own words, so that a certificate refused is never reported as a
broker that does not answer, nor a reset by the network as a client id taken by someone else.
"""

from __future__ import annotations

import errno
import ssl

SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason: another connection took the client id


def connect_failure_text(address: str, error: BaseException | None, tls_ca: str | None) -> str:
    """A connection attempt that never reached the broker's CONNACK."""
    if isinstance(error, ssl.SSLCertVerificationError):
        what = error.verify_message or error.reason or str(error)
        return (
            f"the broker at {address} presented a TLS certificate that {tls_ca or 'the CA file'} "
            f"does not vouch for ({what}); retrying"
        )
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        return f"the TLS handshake with the broker at {address} failed ({reason}); retrying"
    if isinstance(error, ConnectionRefusedError):
        return f"the broker at {address} does not answer yet (connection refused); retrying"
    if isinstance(error, ConnectionResetError):
        return f"the network reset the connection to the broker at {address}; retrying"
    if isinstance(error, TimeoutError):
        return f"the broker at {address} did not answer in time; retrying"
    if isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"the broker at {address} cannot be reached ({error.strerror}); retrying"
    if isinstance(error, OSError) and error.strerror:
        return f"cannot connect to the broker at {address} ({error.strerror}); retrying"
    if error is not None:
        return f"cannot connect to the broker at {address} ({error}); retrying"
    return f"the broker at {address} does not answer yet; retrying"


def refusal_text(address: str, reason: str) -> str:
    """A CONNACK that refused us."""
    hint = ""
    if reason in ("Not authorized", "Bad user name or password"):
        # (Mosquitto answers "Not authorized" to a wrong password as well as to an unknown account.)
        hint = "; check --mqtt-username and the password file (energrid credentials)"
    return f"the broker at {address} refused the connection: {reason}{hint}; retrying"


def lost_text(address: str, reason: str, from_broker: bool, socket_error: str | None) -> str:
    """A connection that was up and ended without our asking.

    from_broker: the broker sent a DISCONNECT with `reason`; socket_error: what the socket said
    (a reset by the network); neither: the broker closed the connection without a word.
    """
    if from_broker:
        return f"lost the broker at {address}: it closed the connection ({reason}); retrying"
    if socket_error is not None:
        cut = f"the network cut the connection ({socket_error})"
        return f"lost the broker at {address}: {cut}; retrying"
    if reason not in ("Unspecified error", "Success"):
        return f"lost the broker at {address} ({reason}); retrying"
    return f"lost the broker at {address}: it closed the connection; retrying"


def taken_over_text(address: str, client_id: str, said_by_broker: bool) -> str:
    """Another connection took our client id: we stop, rather than take it back in turn."""
    how = (
        f"took over this session at the broker at {address}"
        if said_by_broker
        else f"keeps taking this connection at the broker at {address} (the broker closes it "
        "each time the other connects)"
    )
    return (
        f"another client with client id {client_id!r} {how}; not reconnecting (give each server "
        "its own --client-id, or stop the other one)"
    )
