"""The state directory and what it holds are the operator's alone.

The grid database names every house and device and the commands sent to them; the broker's log
names every client; the credentials directory holds passwords. So the state directory is 0700
and those files 0600, whatever the umask, and a directory or file an older Energrid made with
wider permissions is tightened the next time it is opened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("energrid.store")

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """Create the directory (and its parents) 0700, or tighten it to 0700; raises OSError."""
    path = Path(path)
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    _tighten(path, DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create the file empty 0600 if missing, or tighten it to 0600; raises OSError."""
    path = Path(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE))
    _tighten(path, FILE_MODE)
    return path


def tighten_if_present(path: Path) -> None:
    """Tighten a file that may not exist (SQLite's -wal and -shm files)."""
    with contextlib.suppress(FileNotFoundError):
        _tighten(Path(path), FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:  # group or others may read it: only the owner may
        os.chmod(path, current & mode)
        log.info("%s was readable by others (mode %04o): now %04o", path, current, current & mode)
