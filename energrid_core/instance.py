"""Who this server is: an id made once per state directory and kept in it.

Two servers on one broker must never share an MQTT client id: the broker would hand one's durable
session to the other and close the first one's connection, and they would take turns for ever.
The default client id is made from this id, so a session is only ever resumed by the server (the
state directory) that made it; the retained status carries the id, so that a server starting up
can tell its own last status from another server's.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from energrid_core.errors import StoreError

INSTANCE_FILE = "instance-id"
CLIENT_ID_PREFIX = "energrid-server-"
_VALID = re.compile(r"[0-9a-f]{12}")


def instance_id(state_dir: Path) -> str:
    """The state directory's id: read from its file, or made and saved the first time."""
    path = Path(state_dir) / INSTANCE_FILE
    try:
        saved = path.read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        saved = ""
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if _VALID.fullmatch(saved):
        return saved
    made = secrets.token_hex(6)
    spare = path.with_name(INSTANCE_FILE + ".new")
    try:
        handle = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(made + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(spare, path)  # all or nothing: a crash never leaves half an id
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror}") from None
    return made


def default_client_id(instance: str) -> str:
    return CLIENT_ID_PREFIX + instance
